import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReportLookup, summarizeReport } from '../../../src/core/eval/reportSummary';
import { questionPreviewLength } from '../../../src/shared/evalReportProtocol';
import { generateEvalReport } from '../../support/evalReportFixture';

describe('The report summary the report page draws first', () => {
  it('keeps every question’s id, line, failures, disagreement and each answer’s status and primary score, and nothing of the detail', () => {
    const report = generateEvalReport({ questions: 60, strategies: 4, seed: 12 });
    const summary = summarizeReport(report);
    assert.deepEqual(summary.strategies, report.strategies);
    assert.deepEqual(summary.recommendation, report.recommendation);
    assert.equal(summary.questions.length, 60);
    report.questions.forEach((row, index) => {
      const brief = summary.questions[index]!;
      assert.deepEqual([brief.id, brief.line, brief.question, brief.failures, brief.disagreement], [row.id, row.line, row.question, row.failures, row.disagreement]);
      assert.equal(brief.cut, undefined);
      assert.deepEqual(Object.keys(brief.answers), Object.keys(row.answers));
      for (const [name, answer] of Object.entries(row.answers)) {
        const expected = answer.scores[report.primaryMetric];
        assert.deepEqual(brief.answers[name], {
          status: answer.status,
          ...(expected !== undefined ? { primary: expected } : {}),
          ...(answer.error ? { error: answer.error } : {}),
        });
      }
    });
    const text = JSON.stringify(summary);
    for (const absent of ['"reference"', '"passages"', '"examples"', '"content"', '"reasoning"', '"judge"', '"manual"', '"stats"', '"notes"'])
      assert.ok(!text.includes(absent), `${absent} is left out`);
    assert.ok(
      report.questions.some((row) => Object.values(row.answers).some((answer) => answer.status === 'error')),
      'the fixture has failed answers',
    );
  });

  it('cuts a long question (never through a surrogate pair) and a long error message, and says so', () => {
    const report = generateEvalReport({ questions: 3, strategies: 2, seed: 1 });
    report.questions[0]!.question = `${'a'.repeat(questionPreviewLength - 1)}😀 and more`;
    report.questions[1]!.question = 'b'.repeat(questionPreviewLength);
    report.questions[2]!.answers['zero-shot'] = { status: 'error', content: '', error: { code: 'timeout', message: 'm'.repeat(5000) }, scores: {}, passages: [], examples: [], notes: [] };
    const summary = summarizeReport(report);
    assert.equal(summary.questions[0]!.question, `${'a'.repeat(questionPreviewLength - 1)}…`);
    assert.equal(summary.questions[0]!.cut, true);
    assert.equal(summary.questions[1]!.question, 'b'.repeat(questionPreviewLength), 'exactly the length: whole');
    assert.equal(summary.questions[1]!.cut, undefined);
    assert.ok(summary.questions[2]!.answers['zero-shot']!.error!.message.length <= 201);
    assert.equal(summary.questions[2]!.answers['zero-shot']!.primary, undefined);
  });

  it('finds a question by id and searches ids, questions, references and answers case-insensitively, in eval-set order', () => {
    const report = generateEvalReport({ questions: 30, strategies: 4, seed: 3 });
    report.questions[4]!.reference = 'Ask the Zebra desk.';
    report.questions[17]!.answers['rag']!.content = 'The ZEBRA desk knows.';
    report.questions[9]!.question = 'Where is the zebra?';
    const lookup = new ReportLookup(report);
    assert.equal(lookup.question('q18'), report.questions[17]);
    assert.equal(lookup.question('nope'), undefined);
    assert.deepEqual(lookup.search('  zeBRA '), ['q5', 'q10', 'q18']);
    assert.deepEqual(
      lookup.search('q2'),
      ['q2', ...Array.from({ length: 10 }, (_, i) => `q${20 + i}`)].filter((id) => report.questions.some((row) => row.id === id)),
    );
    assert.deepEqual(
      lookup.search(''),
      report.questions.map((row) => row.id),
    );
    assert.deepEqual(lookup.search('no question says this'), []);
    assert.equal(lookup.summary(), lookup.summary(), 'made once');
  });
});
