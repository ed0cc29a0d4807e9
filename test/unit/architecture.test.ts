import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

const root = join(__dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(ts|tsx|mts)$/.test(entry) ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g)].map(
    (match) => match[1] ?? match[2] ?? match[3] ?? '',
  );
}

function violations(folder: string, forbidden: (specifier: string, file: string) => boolean): string[] {
  return sources(join(root, folder)).flatMap((file) =>
    imports(file)
      .filter((specifier) => forbidden(specifier, file))
      .map((specifier) => `${relative(root, file)} imports ${specifier}`),
  );
}

/** The src/core folder a relative import from `file` lands in, or undefined when it leaves src/core. */
function coreFolderOf(specifier: string, file: string): string | undefined {
  const target = relative(join(root, 'src', 'core'), resolve(dirname(file), specifier));
  return target.startsWith('..') ? undefined : target.split(sep)[0];
}

/** Core's layering as eslint.config.mjs enforces it: each src/core folder → the folders it may import. */
async function coreLayers(): Promise<Record<string, string[]>> {
  const config = (await import(pathToFileURL(join(root, 'eslint.config.mjs')).href)) as { coreLayers: Record<string, string[]> };
  return config.coreLayers;
}

describe('architecture: who may import whom', () => {
  for (const folder of ['src/core', 'src/server', 'src/cli', 'src/shared', 'src/worker']) {
    it(`${folder} never imports vscode`, () => {
      assert.deepEqual(
        violations(folder, (specifier) => specifier === 'vscode'),
        [],
      );
    });
  }

  it('src/core imports nothing from host, server, cli or worker', () => {
    assert.deepEqual(
      violations('src/core', (specifier) => /(^|\/)(host|server|cli|worker)\//.test(specifier) || specifier.endsWith('/extension')),
      [],
    );
  });

  it('src/server, src/cli and src/worker import nothing from src/host, nor each other', () => {
    for (const entry of ['server', 'cli', 'worker']) {
      const outside = (specifier: string, file: string): string | undefined => {
        if (!specifier.startsWith('.')) return undefined;
        const target = relative(join(root, 'src'), resolve(dirname(file), specifier));
        return target.split(sep)[0];
      };
      const others = ['host', 'extension.ts', 'extension', 'server', 'cli', 'worker'].filter((folder) => folder !== entry);
      assert.deepEqual(
        violations(`src/${entry}`, (specifier, file) => others.includes(outside(specifier, file) ?? '')),
        [],
      );
    }
  });

  it('src/shared imports nothing internal but types from src/core', () => {
    const valueImports = sources(join(root, 'src', 'shared')).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/^import\s+(type\s+)?[^'"]*?from\s*['"](\.[^'"]+)['"]/gm)]
        .filter(([, typeOnly, specifier]) => {
          const target = relative(join(root, 'src'), resolve(dirname(file), specifier!));
          return target.startsWith('..') || (target.split(sep)[0] !== 'shared' && !(typeOnly && target.split(sep)[0] === 'core'));
        })
        .map(([, , specifier]) => `${relative(root, file)} imports ${specifier}`),
    );
    assert.deepEqual(valueImports, []);
  });

  it('every src/core folder has a place in the layering, and the layering has no cycle', async () => {
    const layers = await coreLayers();
    const folders = readdirSync(join(root, 'src', 'core')).filter((entry) => statSync(join(root, 'src', 'core', entry)).isDirectory());
    assert.deepEqual(
      folders.filter((folder) => !(folder in layers)),
      [],
    );
    const visiting = new Set<string>();
    const done = new Set<string>();
    const cycleFrom = (folder: string, path: string[]): string[] | undefined => {
      if (done.has(folder)) return undefined;
      if (visiting.has(folder)) return [...path, folder];
      visiting.add(folder);
      for (const next of layers[folder] ?? []) {
        const cycle = cycleFrom(next, [...path, folder]);
        if (cycle) return cycle;
      }
      visiting.delete(folder);
      done.add(folder);
      return undefined;
    };
    for (const folder of Object.keys(layers)) assert.equal(cycleFrom(folder, [])?.join(' → '), undefined);
  });

  it('each src/core folder imports only the core folders below it', async () => {
    const layers = await coreLayers();
    assert.deepEqual(
      violations('src/core', (specifier, file) => {
        if (!specifier.startsWith('.')) return false;
        const from = coreFolderOf('.', file);
        const to = coreFolderOf(specifier, file);
        return from !== undefined && to !== undefined && to !== from && !(layers[from] ?? []).includes(to);
      }),
      [],
    );
  });

  it('webview imports only src/shared from src, and nothing of Node', () => {
    assert.deepEqual(
      violations('webview/src', (specifier) => (specifier.includes('/src/') && !specifier.includes('/src/shared/')) || specifier.startsWith('node:') || specifier === 'vscode'),
      [],
    );
  });
});
