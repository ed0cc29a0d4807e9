// @ts-check
import js from '@eslint/js';
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

/**
 * Core's layering (docs/ARCHITECTURE.md, "Core's layering"): the other folders of src/core that each folder may
 * import. The graph is acyclic, lowest first, so no feature reaches into one that builds on it; a new folder must be
 * added here before anything imports it. test/unit/architecture.test.ts checks the same table against the imports.
 */
export const coreLayers = {
  text: [],
  files: ['text'],
  settings: ['text', 'files'],
  rpc: ['text', 'files'],
  process: ['rpc', 'text', 'files'],
  templates: ['text', 'files'],
  hub: ['settings', 'process', 'rpc', 'text', 'files'],
  inference: ['hub', 'templates', 'settings', 'process', 'rpc', 'text', 'files'],
  datasets: ['templates', 'settings', 'process', 'rpc', 'text', 'files'],
  rag: ['inference', 'hub', 'settings', 'process', 'rpc', 'text', 'files'],
  jobs: ['datasets', 'inference', 'hub', 'templates', 'settings', 'process', 'rpc', 'text', 'files'],
  prompts: ['datasets', 'rag', 'inference', 'hub', 'templates', 'settings', 'process', 'rpc', 'text', 'files'],
  chat: ['prompts', 'datasets', 'rag', 'inference', 'hub', 'templates', 'settings', 'process', 'rpc', 'text', 'files'],
  serving: ['chat', 'prompts', 'jobs', 'datasets', 'rag', 'inference', 'hub', 'templates', 'settings', 'process', 'rpc', 'text', 'files'],
  eval: ['chat', 'serving', 'prompts', 'jobs', 'datasets', 'rag', 'inference', 'hub', 'templates', 'settings', 'process', 'rpc', 'text', 'files'],
  views: ['chat', 'prompts', 'datasets', 'rag', 'inference', 'hub', 'templates', 'settings', 'process', 'rpc', 'text', 'files'],
};

const noVscode = { name: 'vscode', message: 'Only host code (src/host, src/extension.ts) may import vscode.' };
/** A relative import that climbs `depth` folders and then enters one of `folders`. */
const enters = (depth, folders) => `^(\\.\\./){${depth}}(${folders.join('|')})(/|$)`;

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'test/host/**', 'test/host-newest/**', 'test-output/**', '**/*.js', '**/*.mjs', '**/*.cjs', 'examples/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    // The pure core must stay editor-independent: it is shared by the CLI, the language server and the workers.
    files: ['src/core/**/*.ts', 'src/shared/**/*.ts', 'src/server/**/*.ts', 'src/cli/**/*.ts', 'src/worker/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'Only host code (src/host, src/extension.ts) may import vscode.' }] }],
    },
  },
  {
    // A spread's elements are passed as call arguments, on the stack: an input-sized array overflows it (RangeError).
    files: ['src/core/**/*.ts', 'src/worker/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...[
          'CallExpression[callee.property.name=/^(push|unshift|splice|concat)$/] > SpreadElement',
          "CallExpression[callee.object.name='Math'] > SpreadElement",
          'CallExpression[callee.property.name=/^fromC(harCode|odePoint)$/] > SpreadElement',
        ].map((selector) => ({
          selector,
          message: 'Do not spread an array into a call: it can be input-sized and overflow the stack. Loop, or reduce.',
        })),
      ],
    },
  },
  // Each core folder imports only the folders below it, and nothing of the entry points above core. Files one folder
  // deeper (src/core/jobs/launch/…) climb one `../` more to leave their core folder.
  ...Object.entries(coreLayers).flatMap(([folder, allowed]) =>
    [1, 2].map((depth) => ({
      files: [depth === 1 ? `src/core/${folder}/*.ts` : `src/core/${folder}/*/**/*.ts`],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            paths: [noVscode],
            patterns: [
              { regex: enters(depth + 1, ['host', 'server', 'cli', 'worker', 'extension']), message: 'src/core is pure logic: it imports nothing from src/host, src/server, src/cli or src/worker.' },
              {
                regex: `^(\\.\\./){${depth}}(?!(${[folder, ...allowed].join('|')})(/|$))[^./][^/]*`,
                message: `src/core/${folder} may import only ${allowed.length > 0 ? allowed.join(', ') : 'no other core folder'} (see "Core's layering" in docs/ARCHITECTURE.md).`,
              },
            ],
          },
        ],
      },
    })),
  ),
  {
    // Entry points over core: they use src/core and src/shared, never the VS Code adapters or each other.
    files: ['src/server/**/*.ts', 'src/cli/**/*.ts', 'src/worker/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noVscode],
          patterns: [1, 2, 3].map((depth) => ({ regex: enters(depth, ['host', 'extension']), message: 'Only the extension host imports src/host.' })),
        },
      ],
    },
  },
  ...[
    ['worker', ['server', 'cli']],
    ['server', ['cli', 'worker']],
    ['cli', ['server', 'worker']],
  ].map(([entry, others]) => ({
    files: [`src/${entry}/**/*.ts`],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [1, 2, 3].map((depth) => ({ regex: enters(depth, others), message: `src/${entry} imports only src/core and src/shared, not the other entry points.` })) },
      ],
    },
  })),
  // Message types: src/shared imports vscode-jsonrpc and, as types only, core's domain types; nothing else internal.
  ...[1, 2].map((depth) => ({
    files: depth === 1 ? ['src/shared/*.ts'] : ['src/shared/*/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: enters(depth, ['core']), allowTypeImports: true, message: 'src/shared may import only types from src/core (`import type`).' },
            { regex: `^(\\.\\./){${depth}}(?!core(/|$))[^./]`, message: 'src/shared holds message types and imports nothing internal but types from src/core.' },
          ],
        },
      ],
    },
  })),
  {
    // The webviews run in the browser: from src they see only the message types and helpers of src/shared.
    files: ['webview/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'Webviews talk to the host through messages, never the vscode API.' }],
          patterns: [
            { regex: '^(\\.\\./)+src/(?!shared/)', message: 'A webview imports nothing from src/ except src/shared.' },
            { regex: `^(node:|(${builtinModules.filter((name) => !name.startsWith('_')).join('|')})(/|$))`, message: 'A webview runs in the browser: nothing of Node.' },
          ],
        },
      ],
    },
  },
);
