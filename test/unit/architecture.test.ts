import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';

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
  return sources(join(root, folder)).flatMap((file) => imports(file).filter((specifier) => forbidden(specifier, file)).map((specifier) => `${relative(root, file)} imports ${specifier}`));
}

describe('architecture: who may import whom', () => {
  for (const folder of ['src/core', 'src/server', 'src/cli', 'src/shared']) {
    it(`${folder} never imports vscode`, () => {
      assert.deepEqual(violations(folder, (specifier) => specifier === 'vscode'), []);
    });
  }

  it('src/core imports nothing from host, server or cli', () => {
    assert.deepEqual(violations('src/core', (specifier) => /(^|\/)(host|server|cli)\//.test(specifier) || specifier.endsWith('/extension')), []);
  });

  it('src/shared imports nothing internal but types of the core', () => {
    const typeOnlyFromCore = (file: string) => new Set([...readFileSync(file, 'utf8').matchAll(/(?:import|export) type\s[^'"]*?from\s*['"](\.\.\/core\/[^'"]+)['"]/g)].map((match) => match[1]));
    assert.deepEqual(violations('src/shared', (specifier, file) => specifier.startsWith('.') && !typeOnlyFromCore(file).has(specifier)), []);
  });

  it('webview imports only src/shared from src, and nothing of Node', () => {
    assert.deepEqual(
      violations('webview/src', (specifier) => (specifier.includes('/src/') && !specifier.includes('/src/shared/')) || specifier.startsWith('node:') || specifier === 'vscode'),
      [],
    );
  });
});
