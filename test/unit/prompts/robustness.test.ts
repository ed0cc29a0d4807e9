import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { analyzePrompty } from '../../../src/core/prompts/promptyDiagnostics';
import { completePrompty, definitionPrompty, foldingPrompty, hoverPrompty, symbolsPrompty } from '../../../src/core/prompts/promptyLanguageFeatures';
import { renderPrompt } from '../../../src/core/prompts/renderPrompt';
import { realPromptyFiles } from '../../support/promptFixtures';

const context = { workspaceRoots: [] as string[], checkModelCache: false };
const pieces = [
  '---\n',
  '\n',
  'name: x\n',
  'model:\n  api: chat\n',
  '  parameters: {temperature: 3}\n',
  'inputs:\n  q: {type: string}\n',
  '[',
  ']',
  '{',
  '}',
  '{{',
  '}}',
  '{%',
  '%}',
  '{#',
  '#}',
  'for x in q',
  'endfor',
  'if',
  'endif',
  'system:\n',
  'user:\n',
  'bot:\n',
  '"',
  "'",
  '|',
  'upper',
  ':',
  '- ',
  '  ',
  '\t',
  '&a',
  '*a',
  '!!str',
  'é',
  '\r\n',
  '{{#s}}',
  '{{/s}}',
];
const templateish = fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 6 })), { maxLength: 60 }).map((parts) => parts.join(''));

/** Every language feature at every line of a text: none may throw. */
function exerciseAll(text: string): void {
  const analysis = analyzePrompty(text, context);
  for (const finding of analysis.findings) {
    assert.ok(finding.range.start.line <= finding.range.end.line, 'ranges are ordered');
    assert.ok(finding.message.length > 0);
  }
  symbolsPrompty(analysis);
  foldingPrompty(analysis);
  const lines = text.split(/\r?\n|\r/);
  lines.forEach((line, index) => {
    for (const character of [0, Math.floor(line.length / 2), line.length]) {
      completePrompty(analysis, { line: index, character }, { modelIds: [], workspaceRoots: [] });
      hoverPrompty(analysis, { line: index, character });
      definitionPrompty(analysis, { line: index, character }, context);
    }
  });
}

describe('robustness (property-based): malformed YAML, Jinja and Mustache never crash the language features', () => {
  it('a mapping or a list used as a front matter key writes no warning to the console', async (t) => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.message);
    process.on('warning', onWarning);
    t.after(() => process.off('warning', onWarning));
    analyzePrompty('---\n{ a: 1 }: x\n[b]: y\nname: n\n---\nuser:\nhi\n', context);
    // process.emitWarning delivers on a later tick.
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(warnings, []);
  });

  it('arbitrary template-like text', () => {
    fc.assert(
      fc.property(templateish, (text) => exerciseAll(text)),
      { numRuns: 300 },
    );
  });
  it('arbitrary unicode text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => exerciseAll(text)),
      { numRuns: 200 },
    );
  });
  it('real templates with random cuts and insertions', () => {
    const texts = realPromptyFiles().map((file) => readFileSync(file, 'utf8'));
    fc.assert(
      fc.property(fc.constantFrom(...texts), fc.nat(), fc.nat(), fc.constantFrom(...pieces), (text, a, b, insert) => {
        const start = a % (text.length + 1);
        const end = Math.min(text.length, start + (b % 40));
        exerciseAll(text.slice(0, start) + insert + text.slice(end));
      }),
      { numRuns: 200 },
    );
  });
  it('rendering either succeeds or fails with an Error, never anything else', async () => {
    await fc.assert(
      fc.asyncProperty(templateish, async (text) => {
        try {
          await renderPrompt({ text, workspaceRoots: [] });
        } catch (error) {
          assert.ok(error instanceof Error, `threw ${String(error)}`);
        }
      }),
      { numRuns: 200 },
    );
  });
});
