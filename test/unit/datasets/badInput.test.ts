import assert from 'node:assert/strict';
import { unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { validateDatasetFile } from '../../../src/core/datasets/fileValidation';
import { type DatasetFinding } from '../../../src/core/datasets/findings';
import { validateDataset } from '../../../src/core/datasets/validateDataset';
import { scratchDir } from '../../support/scratchDir';

const dir = scratchDir('bad-input');

/** Every range lies inside the text: on an existing line, within its length, start before end. */
function assertWithin(text: string, findings: DatasetFinding[]): void {
  const lines = text.split(/\r\n|\n|\r/);
  for (const finding of findings) {
    const { start, end } = finding.range;
    assert.ok(start.line >= 0 && start.line < Math.max(lines.length, 1), `line ${start.line} outside ${lines.length} lines`);
    assert.ok(end.line >= start.line);
    if (end.line === start.line) assert.ok(end.character >= start.character);
    assert.ok(start.character <= (lines[start.line]?.length ?? 0), `${finding.code} starts past the end of line ${start.line}`);
    if (end.line < lines.length) assert.ok(end.character <= (lines[end.line]?.length ?? 0) + 0, `${finding.code} ends past its line`);
  }
}

const validRow = fc.record({
  messages: fc.array(fc.record({ role: fc.constantFrom('system', 'user', 'assistant', 'tool', 'bot', 'human'), content: fc.oneof(fc.string(), fc.constant(null), fc.integer()) }), { maxLength: 5 }),
});
/** A valid row, serialized, then cut, spliced or garbled at a random place. */
const mutatedLine = fc.tuple(validRow, fc.nat(), fc.nat(), fc.string({ maxLength: 4 })).map(([row, a, b, insert]) => {
  const text = JSON.stringify(row);
  const from = a % (text.length + 1);
  const to = Math.min(text.length, from + (b % 5));
  return text.slice(0, from) + insert + text.slice(to);
});

describe('bad input: the validator never throws and keeps its ranges inside the document', () => {
  it('survives random text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const { findings } = validateDataset(text);
        assertWithin(text, findings);
      }),
      { numRuns: 500 },
    );
  });

  it('survives mutated valid rows', () => {
    fc.assert(
      fc.property(fc.array(mutatedLine, { maxLength: 12 }), fc.constantFrom('\n', '\r\n'), (lines, eol) => {
        const text = lines.join(eol);
        assertWithin(text, validateDataset(text).findings);
      }),
      { numRuns: 500 },
    );
  });

  it('survives random bytes from disk (invalid UTF-8 included), and names the byte offset', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (bytes) => {
        const path = join(dir, 'random.jsonl');
        writeFileSync(path, bytes);
        const findings: DatasetFinding[] = [];
        await validateDatasetFile(path, { onFinding: (f) => findings.push(f) });
        for (const finding of findings.filter((f) => f.code === 'invalid-utf8')) assert.match(finding.message, /byte offset \d+/);
      }),
      { numRuns: 150 },
    );
  });

  it('handles 10,000-level nested JSON', () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const nestedRow = `{"messages": [{"role": "user", "content": ${deep}}]}`;
    const { findings } = validateDataset(`${nestedRow}\n${'{'.repeat(10_000)}\n`, { trainingData: true });
    assert.ok(findings.some((f) => f.code === 'invalid-content'));
    assert.ok(findings.some((f) => f.code === 'invalid-json' || f.code === 'truncated-last-line'));
  });

  it('handles a 10 MB single line, in memory and streamed', async () => {
    const big = JSON.stringify({
      messages: [
        { role: 'user', content: 'x'.repeat(10 * 1024 * 1024) },
        { role: 'assistant', content: 'ok' },
      ],
    });
    const { stats } = validateDataset(`${big}\n`);
    assert.equal(stats.rows, 1);
    const path = join(dir, 'big-line.jsonl');
    writeFileSync(path, `${big}\n${big.slice(0, 100)}\n`);
    const findings: DatasetFinding[] = [];
    const result = await validateDatasetFile(path, { minRows: 0, onFinding: (f) => findings.push(f) });
    assert.equal(result.stats.lines, 2);
    assert.deepEqual(
      findings.filter((f) => f.severity === 'error').map((f) => [f.code, f.range.start.line]),
      [['invalid-json', 1]],
    );
    // Far past the default model's context, found without tokenizing ten megabytes.
    assert.deepEqual(
      findings.filter((f) => f.code === 'too-many-tokens').map((f) => f.range.start.line),
      [0],
    );
  });

  it('handles an empty file', async () => {
    assert.deepEqual(validateDataset('').findings, []);
    const path = join(dir, 'empty.jsonl');
    writeFileSync(path, '');
    const result = await validateDatasetFile(path, { onFinding: () => assert.fail('no finding expected') });
    assert.equal(result.stats.rows, 0);
  });

  it('finishes a file deleted while it is being validated (the open handle keeps reading)', async () => {
    const path = join(dir, 'deleted.jsonl');
    const row = (i: number) =>
      JSON.stringify({
        messages: [
          { role: 'user', content: `q${i}` },
          { role: 'assistant', content: `a${i}` },
        ],
      });
    writeFileSync(path, `${Array.from({ length: 20_000 }, (_, i) => row(i)).join('\n')}\n`);
    let deleted = false;
    const result = await validateDatasetFile(path, {
      threads: 1,
      onProgress: () => {
        if (!deleted) {
          deleted = true;
          unlinkSync(path);
        }
      },
    });
    assert.equal(result.stats.rows, 20_000);
  });

  it('rejects with a clear error for a file that does not exist', async () => {
    await assert.rejects(validateDatasetFile(join(dir, 'nope.jsonl')), /ENOENT/);
  });
});
