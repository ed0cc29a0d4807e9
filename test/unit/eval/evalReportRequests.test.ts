import assert from 'node:assert/strict';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { summarizeReport } from '../../../src/core/eval/reportSummary';
import { maxReportBytes, readEvalReportFile, validExport, validGrade, validOpenSource, validQuestion, validRerun, validSearch } from '../../../src/host/eval/evalReportRequests';
import { diffWords } from '../../../webview/src/lib/wordDiff';
import { generateEvalReport } from '../../support/evalReportFixture';
import { scratchDir } from '../../support/scratchDir';

const report = generateEvalReport({ questions: 10, strategies: 4, seed: 1 });

describe('The eval report panel reads report.json bounded and checked', () => {
  it('reads a valid report', async () => {
    const file = join(scratchDir('eval-report'), 'report.json');
    writeFileSync(file, JSON.stringify(report));
    const result = await readEvalReportFile(file);
    assert.ok(result.ok);
    assert.equal(result.report.questions.length, 10);
  });

  it('says what is wrong with a missing, corrupt, other-version or oversized file', async () => {
    const dir = scratchDir('eval-report');
    const missing = await readEvalReportFile(join(dir, 'none.json'));
    assert.ok(!missing.ok && /no report .* Run the comparison/.test(missing.message));
    writeFileSync(join(dir, 'torn.json'), JSON.stringify(report).slice(0, 500));
    const torn = await readEvalReportFile(join(dir, 'torn.json'));
    assert.ok(!torn.ok && /not valid JSON/.test(torn.message));
    writeFileSync(join(dir, 'v2.json'), JSON.stringify({ ...report, version: 2 }));
    const other = await readEvalReportFile(join(dir, 'v2.json'));
    assert.ok(!other.ok && /version is 2, expected 1/.test(other.message));
    writeFileSync(join(dir, 'shape.json'), JSON.stringify({ ...report, questions: [{ id: 3 }] }));
    const shape = await readEvalReportFile(join(dir, 'shape.json'));
    assert.ok(!shape.ok && /a question has no id/.test(shape.message));
    writeFileSync(join(dir, 'big.json'), '');
    truncateSync(join(dir, 'big.json'), maxReportBytes + 1);
    const big = await readEvalReportFile(join(dir, 'big.json'));
    assert.ok(!big.ok && /more than the 64 MiB/.test(big.message));
  });
});

describe("The eval report panel checks the page's requests", () => {
  it('accepts a grade of a known strategy and question on the judge scale, 0 clearing', () => {
    assert.deepEqual(validGrade(report, { strategy: 'rag', questionId: 'q2', score: 4, note: 'ok' }), { strategy: 'rag', questionId: 'q2', score: 4, note: 'ok' });
    assert.deepEqual(validGrade(report, { strategy: 'rag', questionId: 'q2', score: 0 }), { strategy: 'rag', questionId: 'q2', score: 0 });
  });

  it('refuses grades off the scale, of unknown strategies or questions, or with odd fields', () => {
    for (const params of [
      { strategy: 'rag', questionId: 'q2', score: 6 },
      { strategy: 'rag', questionId: 'q2', score: 2.5 },
      { strategy: 'rag', questionId: 'q2', score: -1 },
      { strategy: 'nope', questionId: 'q2', score: 3 },
      { strategy: 'rag', questionId: 'q99', score: 3 },
      { strategy: 'rag', questionId: 'q2', score: 3, note: 'x'.repeat(5000) },
      { strategy: 'rag', questionId: 'q2', score: '3' },
      null,
    ]) {
      assert.equal(validGrade(report, params), undefined, JSON.stringify(params));
    }
    assert.equal(validGrade(undefined, { strategy: 'rag', questionId: 'q2', score: 3 }), undefined, 'no report, no grade');
  });

  it('accepts only the three export formats, real files to open and known strategies to rerun', () => {
    assert.deepEqual(validExport({ format: 'csv' }), { format: 'csv' });
    assert.equal(validExport({ format: 'html' }), undefined);
    assert.deepEqual(validOpenSource({ file: 'docs/a.md', line: 3 }), { file: 'docs/a.md', line: 3 });
    assert.equal(validOpenSource({ file: 'docs/a.md', line: 0 }), undefined);
    assert.equal(validOpenSource({ file: 'a\u0000b' }), undefined);
    assert.equal(validOpenSource({ file: '' }), undefined);
    assert.deepEqual(validRerun(report, {}), {});
    assert.deepEqual(validRerun(report, { strategies: ['rag', 'rag'] }), { strategies: ['rag'] });
    assert.equal(validRerun(report, { strategies: ['rag', 'other'] }), undefined);
    assert.equal(validRerun(report, { strategies: [] }), undefined);
  });
});

describe("The eval report panel checks the page's question and search requests", () => {
  it('answers a question the report has (full or summary), and a bounded search', () => {
    const summary = summarizeReport(report);
    assert.deepEqual(validQuestion(summary, { questionId: 'q3' }), { questionId: 'q3' });
    assert.deepEqual(validQuestion(report, { questionId: 'q10', extra: 1 }), { questionId: 'q10' });
    for (const bad of [{ questionId: 'q11' }, { questionId: 3 }, {}, null, 'q3', { questionId: '__proto__' }]) assert.equal(validQuestion(summary, bad), undefined, JSON.stringify(bad));
    assert.equal(validQuestion(undefined, { questionId: 'q3' }), undefined, 'no report held yet');
    assert.deepEqual(validSearch({ text: 'refund' }), { text: 'refund' });
    for (const bad of [{ text: 5 }, {}, null, { text: 'x'.repeat(1001) }]) assert.equal(validSearch(bad), undefined);
  });

  it('refuses a report whose answers have no scores: the summary walks over them', async () => {
    const file = join(scratchDir('eval-report'), 'report.json');
    const broken = structuredClone(report);
    (broken.questions[2]!.answers['rag'] as unknown as Record<string, unknown>).scores = null;
    writeFileSync(file, JSON.stringify(broken));
    const result = await readEvalReportFile(file);
    assert.ok(!result.ok && /an answer to q3 has no status or scores/.test(result.message), result.ok ? 'read' : result.message);
  });
});

describe('Word diff of an answer against its reference', () => {
  it('marks added and removed words, the answer spelled by same + added and the reference by same + removed', () => {
    const reference = 'Reset your password from the Account page.';
    const answer = 'Reset the password from the Settings page, then sign in.';
    const parts = diffWords(reference, answer);
    assert.equal(
      parts
        .filter((p) => p.kind !== 'removed')
        .map((p) => p.text)
        .join(''),
      answer,
    );
    assert.equal(
      parts
        .filter((p) => p.kind !== 'added')
        .map((p) => p.text)
        .join(''),
      reference,
    );
    assert.deepEqual(
      parts.filter((p) => p.kind === 'removed').map((p) => p.text.trim()),
      ['your', 'Account page.'],
    );
    assert.ok(parts.some((p) => p.kind === 'added' && p.text.includes('Settings')));
  });

  it('compares words case-insensitively and handles empty sides and Unicode', () => {
    assert.deepEqual(diffWords('Hello World', 'hello world'), [{ kind: 'same', text: 'hello world' }]);
    assert.deepEqual(diffWords('', 'new text'), [{ kind: 'added', text: 'new text' }]);
    assert.deepEqual(diffWords('old', ''), [{ kind: 'removed', text: 'old' }]);
    const parts = diffWords('Größe ändern 😀', 'Größe prüfen 😀');
    assert.deepEqual(
      parts.map((p) => p.kind),
      ['same', 'removed', 'added', 'same'],
    );
  });

  it('stays bounded on a huge answer: the differing middle is marked whole', () => {
    const reference = Array.from({ length: 3000 }, (_, i) => `r${i}`).join(' ');
    const answer = Array.from({ length: 3000 }, (_, i) => `a${i}`).join(' ');
    const parts = diffWords(reference, answer);
    assert.deepEqual(
      parts.map((p) => p.kind),
      ['removed', 'added'],
    );
  });
});
