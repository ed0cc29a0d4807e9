import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { validateDatasetFile } from '../../../src/core/datasets/fileValidation';
import { compareRows, FingerprintTable, normalizedHash, sampleKey } from '../../../src/core/datasets/fingerprint';
import { scanRange } from '../../../src/core/datasets/rangeScan';
import { validateDataset } from '../../../src/core/datasets/validateDataset';
import { scratchDir } from '../../support/scratchDir';

const dir = scratchDir('fingerprint');

/** The normalization the duplicate checks promise: drop every character <= U+0020, lower ASCII letters. */
function normalize(text: string): string {
  let out = '';
  for (const c of text) {
    const code = c.charCodeAt(0);
    if (c.length === 1 && code <= 32) continue;
    out += code >= 65 && code <= 90 ? String.fromCharCode(code + 32) : c;
  }
  return out;
}

/** Changes a text without changing its normalized form: random case flips of ASCII letters and inserted whitespace. */
function disguise(text: string, seed: number): string {
  let out = '';
  let state = seed;
  for (const c of text) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    if (state % 7 === 0) out += ' \t'[state % 2]!;
    out += /[a-z]/i.test(c) && state % 3 === 0 ? (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) : c;
  }
  return out;
}

describe('row fingerprints', () => {
  it('give the same sample key and full hash to rows equal up to case and whitespace', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.integer({ min: 1 }), (text, seed) => {
        const other = disguise(text, seed);
        assert.equal(normalize(other), normalize(text));
        assert.equal(sampleKey(other), sampleKey(text));
        assert.equal(normalizedHash(other), normalizedHash(text));
        assert.notEqual(compareRows(other, text), 0);
      }),
    );
  });

  it('compares rows exactly: 2 for equal after trimming, 1 up to normalization, 0 otherwise', () => {
    assert.equal(compareRows(' {"a":1}\t', '{"a":1}'), 2);
    assert.equal(compareRows('{"a": "X y"}', '{"A":"xY"}'), 1);
    assert.equal(compareRows('{"a":"é"}', '{"a":"É"}'), 0);
    assert.equal(compareRows('{"a":1}', '{"a":12}'), 0);
    fc.assert(fc.property(fc.string(), fc.string(), (a, b) => assert.equal(compareRows(a, b) !== 0, normalize(a) === normalize(b))));
  });

  it('never reports rows whose sample keys collide but whose text differs', () => {
    // Same first and last 32 characters and the same characters after the last quotes: the keys collide.
    const head = '{"messages":[{"role":"user","content":"';
    const tail = ' the same long ending of every single answer here."}]}';
    const rows = Array.from({ length: 200 }, (_, i) => `${head}question number ${i}${tail}`);
    assert.equal(new Set(rows.map(sampleKey)).size, 1);
    const table = new FingerprintTable(16, (line) => rows[line]);
    rows.forEach((row, line) => assert.equal(table.add(sampleKey(row), line, row), undefined));
    assert.deepEqual(table.add(sampleKey(rows[7]!), 200, rows[7]!), { firstLine: 7, exact: true });
    const near = rows[9]!.replace('question', 'QUESTION ');
    assert.deepEqual(table.add(sampleKey(near), 201, near), { firstLine: 9, exact: false });
  });

  it('reads rows back from the file by line number to confirm them (BOM, CRLF, non-ASCII, chunk borders)', async () => {
    const rows: string[] = [];
    for (let i = 0; i < 3000; i++)
      rows.push(
        JSON.stringify({
          messages: [
            { role: 'user', content: `${i % 5 === 0 ? 'Ünïcödé 🎉 ' : ''}q${i} ${'x'.repeat(i % 700)}` },
            { role: 'assistant', content: `a${i}` },
          ],
        }),
      );
    rows.push(rows[3]!.replace('q3', 'Q3 '), rows[2500]!, rows[11]!.toUpperCase());
    const file = join(dir, 'rows.jsonl');
    writeFileSync(file, `\ufeff${rows.join('\r\n')}\r\n`);
    const result = await scanRange({ path: file, start: 0, end: statSync(file).size, checkDuplicates: true, trainingData: true }, () => undefined);
    const table = FingerprintTable.fromBuffers(result.table!);
    for (const line of [0, 1, 15, 16, 17, 999, 1000, 2999, 3002]) assert.equal(table.rows(line), rows[line]);
    assert.equal(table.rows(5000), undefined);
    const inMemory = validateDataset(`${rows.join('\n')}\n`).stats;
    assert.deepEqual(result.stats.duplicates, inMemory.duplicates);
    assert.deepEqual(result.stats.duplicates, { exact: 1, normalized: 2 });
  });

  it('finds the same duplicates in templated data (all sample keys equal) across worker threads as in memory', async () => {
    // Over the inline limit, so ranges run in workers; every row has the same beginning and end.
    const rows: string[] = [];
    for (let i = 0; i < 30_000; i++) {
      let row = JSON.stringify({
        messages: [
          { role: 'system', content: 'You are a helpful support assistant for an online shop.' },
          { role: 'user', content: `Question number ${i}: where is my order, and when will it arrive at my address? ${'pad '.repeat(40)}` },
          { role: 'assistant', content: 'Your order ships within two days; you will get a tracking link by e-mail as soon as it leaves.' },
        ],
      });
      if (i % 1009 === 0 && i > 0) row = rows[i - 700]!;
      if (i % 1013 === 0 && i > 0) row = rows[i - 15_000 > 0 ? i - 15_000 : i - 1]!.replace('Question', 'question  ');
      rows.push(row);
    }
    const file = join(dir, 'templated.jsonl');
    writeFileSync(file, `${rows.join('\n')}\n`);
    const expected = validateDataset(`${rows.join('\n')}\n`).stats;
    assert.ok(expected.duplicates.exact >= 25 && expected.duplicates.normalized >= 25, JSON.stringify(expected.duplicates));
    for (const threads of [1, 3]) {
      const result = await validateDatasetFile(file, { threads, maxFindingsPerCode: 100_000 });
      assert.deepEqual(result.stats.duplicates, expected.duplicates, `threads: ${threads}`);
    }
  });
});
