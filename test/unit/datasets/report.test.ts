import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildDatasetReport, reportOccurrencesPerCheck, reportToMarkdown } from '../../../src/core/datasets/report';
import { validateDataset } from '../../../src/core/datasets/validateDataset';
import { uniformTurnCount, validOccurrencePosition } from '../../../src/shared/datasetReportProtocol';
import { countOf, formatByteSize } from '../../../src/shared/humanText';

function chatRow(question: string, turns = 2): string {
  const messages = [
    { role: 'user', content: question },
    { role: 'assistant', content: `Answer to ${question}` },
  ];
  while (messages.length < turns) messages.push({ role: 'user', content: `More about ${question}` }, { role: 'assistant', content: 'More.' });
  return JSON.stringify({ messages });
}

function reportOf(text: string) {
  const { findings, stats } = validateDataset(text, { minRows: 0 });
  stats.bytes = Buffer.byteLength(text);
  return buildDatasetReport('train.jsonl', stats, findings);
}

describe('human wording: counts and sizes', () => {
  it('uses the singular for one and the plural otherwise, with thousands separators', () => {
    assert.equal(countOf(1, 'error'), '1 error');
    assert.equal(countOf(0, 'error'), '0 errors');
    assert.equal(countOf(2, 'warning'), '2 warnings');
    assert.equal(countOf(1204, 'row'), '1,204 rows');
    assert.equal(countOf(3, 'entry', 'entries'), '3 entries');
  });

  it('writes sizes in the unit that fits, never 0.00 MB', () => {
    assert.equal(formatByteSize(0), '0 bytes');
    assert.equal(formatByteSize(1), '1 byte');
    assert.equal(formatByteSize(812), '812 bytes');
    assert.equal(formatByteSize(3000), '3 KB');
    assert.equal(formatByteSize(3400), '3.4 KB');
    assert.equal(formatByteSize(45_600), '46 KB');
    assert.equal(formatByteSize(999_999), '1 MB');
    assert.equal(formatByteSize(4_500_000), '4.5 MB');
    assert.equal(formatByteSize(12_300_000_000), '12 GB');
    assert.equal(formatByteSize(Number.NaN), '0 bytes');
  });
});

describe('dataset report: occurrences of each check', () => {
  it('lists where each check occurs, by line, with the count of all of them', () => {
    const rows = [chatRow('a'), chatRow('b'), chatRow('a'), chatRow('c'), chatRow('a'), chatRow('b')];
    const report = reportOf(`${rows.join('\n')}\n`);
    const duplicates = report.findings.find((f) => f.code === 'duplicate-row');
    assert.ok(duplicates, 'duplicate rows are reported');
    assert.equal(duplicates.count, 3);
    assert.deepEqual(
      duplicates.occurrences.map((o) => o.line),
      [2, 4, 5],
    );
    assert.match(duplicates.occurrences[0]!.message, /line 1/);
  });

  it('keeps the first occurrences by line, however the findings arrived, up to the cap', () => {
    const { stats } = validateDataset(`${chatRow('x')}\n`, { minRows: 0 });
    const total = reportOccurrencesPerCheck + 50;
    stats.findings = { 'blank-line': total };
    const located = Array.from({ length: total }, (_, i) => ({
      code: 'blank-line' as const,
      severity: 'warning' as const,
      message: `blank ${total - i}`,
      range: { start: { line: total - i, character: 0 }, end: { line: total - i, character: 0 } },
    }));
    const report = buildDatasetReport('big.jsonl', stats, located);
    const blank = report.findings[0]!;
    assert.equal(blank.count, total);
    assert.equal(blank.occurrences.length, reportOccurrencesPerCheck);
    assert.deepEqual(
      blank.occurrences.slice(0, 3).map((o) => o.line),
      [1, 2, 3],
    );
  });

  it('has no occurrences for a check the scan counted but did not locate', () => {
    const { stats } = validateDataset(`${chatRow('x')}\n`, { minRows: 0 });
    stats.findings = { 'duplicate-row': 4 };
    assert.deepEqual(buildDatasetReport('f.jsonl', stats).findings[0]!.occurrences, []);
  });
});

describe('dataset report: the turns chart only when it tells something', () => {
  it('does not chart turns when every row has the same number', () => {
    const report = reportOf(`${[chatRow('a'), chatRow('b'), chatRow('c')].join('\n')}\n`);
    assert.equal(report.turnsVary, false);
    assert.equal(uniformTurnCount(report), 2);
  });

  it('charts turns when rows differ in their number of turns', () => {
    const report = reportOf(`${[chatRow('a'), chatRow('b', 4), chatRow('c', 6)].join('\n')}\n`);
    assert.equal(report.turnsVary, true);
    assert.deepEqual(report.turns, [
      { turns: 2, rows: 1 },
      { turns: 4, rows: 1 },
      { turns: 6, rows: 1 },
    ]);
    assert.equal(uniformTurnCount(report), undefined);
  });

  it('leaves rows without turns (invalid lines) out of the turn counts', () => {
    const report = reportOf(`${[chatRow('a'), '{not json', chatRow('b')].join('\n')}\n`);
    assert.deepEqual(report.turns, [{ turns: 2, rows: 2 }]);
    assert.equal(report.turnsVary, false);
  });

  it('has no turns at all for a file that is not training data', () => {
    const report = reportOf('{"level":"info","msg":"started"}\n{"level":"warn","msg":"slow"}\n');
    assert.deepEqual(report.turns, []);
    assert.equal(uniformTurnCount(report), undefined);
  });
});

describe('dataset report as Markdown', () => {
  it('writes plural forms and human sizes, and the first lines of each check', () => {
    const rows = [chatRow('a'), chatRow('a'), '{broken'];
    const markdown = reportToMarkdown(reportOf(`${rows.join('\n')}\n`));
    assert.doesNotMatch(markdown, /\(s\)/);
    assert.match(markdown, /- Size: 188 bytes, 3 lines, 2 rows\n/);
    assert.match(markdown, /1 error, 1 warning, 0 notes/);
    assert.match(markdown, /\| Duplicate row \| `duplicate-row` \| warning \| 1 \| 2 \|/);
  });

  it('says how many turns every row has instead of a one-bar table', () => {
    const markdown = reportToMarkdown(reportOf(`${[chatRow('a'), chatRow('b')].join('\n')}\n`));
    assert.match(markdown, /Every row has 2 turns\./);
    assert.doesNotMatch(markdown, /\| Turns \| Rows \|/);
  });
});

describe('dataset report messages from the webview', () => {
  it('accepts opening an occurrence at a line and character', () => {
    assert.deepEqual(validOccurrencePosition({ line: 4, character: 0 }), { line: 4, character: 0 });
  });

  it('refuses an occurrence with a negative, fractional or non-numeric position', () => {
    for (const bad of [{ line: -1, character: 0 }, { line: 1.5, character: 0 }, { line: '3', character: 0 }, { line: 3 }, { line: 2 ** 60, character: 0 }]) {
      assert.equal(validOccurrencePosition(bad), undefined, JSON.stringify(bad));
    }
  });
});
