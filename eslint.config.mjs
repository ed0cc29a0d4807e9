// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'test/host/**', 'test-output/**', '**/*.js', '**/*.mjs', '**/*.cjs', 'examples/**'] },
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
        ...['CallExpression[callee.property.name=/^(push|unshift|splice|concat)$/] > SpreadElement', "CallExpression[callee.object.name='Math'] > SpreadElement", 'CallExpression[callee.property.name=/^fromC(harCode|odePoint)$/] > SpreadElement'].map((selector) => ({
          selector,
          message: 'Do not spread an array into a call: it can be input-sized and overflow the stack. Loop, or reduce.',
        })),
      ],
    },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../*', '!../core', 'vscode'], message: 'src/shared holds message types only and imports nothing internal.' },
            { group: ['../core/*'], allowTypeImports: true, message: 'src/shared may import only types from src/core (its domain types).' },
          ],
        },
      ],
    },
  },
);
