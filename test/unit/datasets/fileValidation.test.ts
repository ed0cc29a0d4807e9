import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { validateDatasetFile } from '../../../src/core/datasets/fileValidation';
import { type DatasetFinding } from '../../../src/core/datasets/findings';
import { validateDataset } from '../../../src/core/datasets/validateDataset';
import { scratchDir } from '../../support/scratchDir';

const dir = scratchDir('file-validation');
const path = join(dir, 'train.jsonl');
after(() => rmSync(dir, { recursive: true, force: true }));

function key(f: DatasetFinding): string {
  return `${f.range.start.line}:${f.range.start.character}:${f.code}:${f.relatedLine ?? ''}:${f.message}`;
}

describe('validateDatasetFile: streamed, split across worker threads', () => {
  before(() => {
    // About 12 MB, above the inline limit, with defects spread over the whole file, duplicates across the halves.
    const rows: string[] = [];
    for (let i = 0; i < 30_000; i++) {
      const padding = 'lorem ipsum dolor sit amet '.repeat(10);
      // Non-ASCII text in some rows: byte offsets then differ from character offsets (rows are read back by offset).
      let row = JSON.stringify({
        messages: [
          { role: 'user', content: `Question ${i}: ${i % 7 === 0 ? 'café ☕ 𝄞 ' : ''}${padding}` },
          { role: 'assistant', content: `Answer ${i}.` },
        ],
      });
      if (i % 997 === 0) row = row.replace('"assistant"', '"bot"');
      if (i % 1499 === 0) row = row.slice(0, -2);
      if (i % 2003 === 0 && i > 0) row = rows[i - 1500]!;
      if (i % 2011 === 0 && i > 20_000) row = rows[i - 3]!;
      // Near-duplicates (case and whitespace changed), within a range and across the ranges.
      if (i % 2027 === 0 && i > 0) row = rows[i - 1900]!.replace('Question', 'QUESTION  ').replace('{', ' { ');
      rows.push(row);
    }
    writeFileSync(path, `${rows.join('\n')}\n`);
  });

  it('finds exactly what the in-memory validator finds, with 1 and with 3 threads', async () => {
    const expected = validateDataset(readFileSync(path, 'utf8'));
    for (const threads of [1, 3]) {
      const findings: DatasetFinding[] = [];
      const result = await validateDatasetFile(path, { threads, maxFindingsPerCode: 100_000, onFinding: (f) => findings.push(f) });
      assert.deepEqual(findings.map(key).sort(), expected.findings.map(key).sort(), `threads: ${threads}`);
      assert.deepEqual(result.stats.findings, expected.stats.findings);
      assert.ok((result.stats.findings['near-duplicate-row'] ?? 0) >= 10);
      assert.ok((result.stats.findings['duplicate-row'] ?? 0) >= 10);
      assert.equal(result.stats.rows, expected.stats.rows);
      assert.equal(result.stats.lines, expected.stats.lines);
      assert.deepEqual(result.stats.turns, expected.stats.turns);
    }
  });

  it('reports progress up to the file size', async () => {
    let last = 0;
    let total = 0;
    await validateDatasetFile(path, { threads: 2, onProgress: (done, size) => ((last = done), (total = size)) });
    assert.ok(total > 10_000_000);
    assert.equal(last, total);
  });

  it('stops when cancelled', async () => {
    const controller = new AbortController();
    const result = await validateDatasetFile(path, { threads: 2, signal: controller.signal, onProgress: () => controller.abort() });
    assert.equal(result.cancelled, true);
  });

  it('lists at most maxFindingsPerCode findings of a code but counts them all', async () => {
    const findings: DatasetFinding[] = [];
    const result = await validateDatasetFile(path, { threads: 2, maxFindingsPerCode: 3, onFinding: (f) => findings.push(f) });
    assert.equal(findings.filter((f) => f.code === 'unrecognized-role').length, 3);
    assert.ok((result.stats.findings['unrecognized-role'] ?? 0) > 20);
  });
});
