// `npm run package`: a linux-x64 VSIX with the production bundles, the media and grammars, and — for the native
// modules the bundles load at run time — only their linux-x64 binaries. No sources, no tests, no other platforms.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const target = process.env.CHATWRIGHT_VSIX_TARGET ?? 'linux-x64';
const [platform, arch] = target.split('-');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = join(root, 'dist', `chatwright-${target}-${manifest.version}.vsix`);

/**
 * Native packages the bundles require at run time (they are esbuild externals), and the files of each that the
 * target needs. They are staged into dist/node_modules, where Node resolves them from dist/*.js.
 */
const nativeRuntime = {
  'onnxruntime-node': ['package.json', 'dist', `bin/napi-v6/${platform}/${arch}`],
  'onnxruntime-common': ['package.json', 'dist/cjs'],
  'better-sqlite3': ['package.json', 'lib', 'build/Release/better_sqlite3.node'],
  bindings: ['package.json', 'bindings.js'],
  'file-uri-to-path': ['package.json', 'index.js'],
  // Retrieval index: pdf.js for PDF text (ES modules, loaded by dynamic import from the index worker).
  'pdfjs-dist': ['package.json', 'LICENSE', 'legacy/build/pdf.mjs', 'legacy/build/pdf.worker.mjs'],
};

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed with ${result.status}`);
}

rmSync(join(root, 'dist'), { recursive: true, force: true });
run(process.execPath, ['scripts/build.mjs', '--production']);

const staged = join(root, 'dist', 'node_modules');
for (const [name, paths] of Object.entries(nativeRuntime)) {
  const source = join(root, 'node_modules', name);
  if (!existsSync(source)) throw new Error(`${name} is not installed; run npm ci first`);
  for (const path of paths) {
    const from = join(source, path);
    if (!existsSync(from)) throw new Error(`${name}/${path} is missing (is ${target} supported by ${name}?)`);
    const to = join(staged, name, path);
    mkdirSync(dirname(to), { recursive: true });
    cpSync(from, to, { recursive: true, filter: (file) => !file.endsWith('.map') && !file.endsWith('.d.ts') });
  }
}

// The webviews' icons: the build copies them; a VSIX without them would show empty buttons.
for (const file of ['codicon.css', 'codicon.ttf', 'LICENSE']) {
  if (!existsSync(join(root, 'dist', 'webview', 'codicons', file))) throw new Error(`dist/webview/codicons/${file} is missing: the build did not copy @vscode/codicons`);
}

run(join(root, 'node_modules', '.bin', 'vsce'), ['package', '--target', target, '--no-dependencies', '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links', '--out', out]);
console.log(`VSIX: ${out} (${(statSync(out).size / 1024 / 1024).toFixed(1)} MiB)`);
