import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildEvalReport } from '../../../src/core/eval/evalReport';
import { answerId, type EvalReport } from '../../../src/core/eval/evalTypes';
import { csvCell, inline, reportCsv, reportJson, reportMarkdown } from '../../../src/core/eval/reportExport';
import { inputFor, strategy } from './evalFixtures';

const zero = strategy('zero');
const rag = strategy('rag', { retrieval: { k: 4 } });

function sampleReport(): EvalReport {
  const input = inputFor([zero, rag], 40, (s, index) => (s === 'rag' ? 0.8 : index % 3 === 0 ? 0.1 : 0.6));
  const set = input.evalSet;
  set.questions[0] = { ...set.questions[0]!, question: 'Pipe | and <script>alert(1)</script>\nsecond line', reference: '=HYPERLINK("http://evil")' };
  const answers = input.answers.map((answer) =>
    answer.strategy === 'zero' && answer.questionId === 'q1' ? { ...answer, content: 'He said "yes", then\nleft', stats: { ...answer.stats!, promptTokens: 7 } } : answer,
  );
  return buildEvalReport({ ...input, evalSet: set, answers, grades: [{ strategy: 'rag', questionId: 'q1', score: 4, note: '@mention, fine', gradedAt: 1 }] });
}

describe('reportMarkdown', () => {
  it('has the header, the recommendation with reasons, the strategy table with intervals, the ladder, the pairs and the worst questions', () => {
    const markdown = reportMarkdown(sampleReport());
    assert.match(markdown, /^# Comparison: support\n/);
    assert.match(markdown, /## Recommendation\n\n\*\*Use rag \(retrieval\)/);
    assert.match(markdown, /\n- rag scores 0\.80 \[0\.80, 0\.80\] token F1 over 40 questions/);
    assert.match(markdown, /\| Strategy \| Recipe \| Token F1 \| Manual grade \|/);
    assert.match(markdown, /\| zero \| local\/zero; zero-shot \| 0\.\d\d \[0\.\d\d, 0\.\d\d\] \|/);
    assert.match(
      markdown,
      /## What each step up gained and cost\n\n\| Step \| Gain \(Token F1\) \| Verdict \| Cost \|\n\| --- \| --- \| --- \| --- \|\n\| zero → rag \| \+0\.\d\d \[\+0\.\d\d, \+0\.\d\d\] \| better \|/,
    );
    assert.match(markdown, /## Pairwise \(Token F1, paired by question\)/);
    assert.match(markdown, /\| zero \| rag \| −0\.\d\d \[−0\.\d\d, −0\.\d\d\] \| 0 \/ 40 \/ 0 \| 0% \| rag better \|/);
    assert.match(markdown, /## Worst questions\n\n\| Question \| Reference \| zero \| rag \|/);
  });

  it('keeps outside text inert: no HTML, no extra table cells, no line breaks inside a row', () => {
    const markdown = reportMarkdown(sampleReport());
    const row = markdown.split('\n').find((line) => line.startsWith('| q1 (line 1)'));
    assert.ok(row, markdown);
    assert.ok(!markdown.includes('<script>'));
    assert.match(row, /Pipe \\\| and &lt;script&gt;alert\(1\)&lt;\/script&gt; second line/);
    // Unescaped pipes are the row's cell boundaries only: question, reference, two strategies.
    assert.equal(row.split(/(?<!\\)\|/).length - 2, 4);
  });

  it('escapes what would become a link, an image, emphasis or code, and leaves brackets and words alone', () => {
    assert.equal(inline('see [here](javascript:alert(1)) and ![x][y]'), 'see [here\\](javascript:alert(1)) and \\![x\\][y]');
    assert.equal(inline('*bold* `code` ~~gone~~ _em_ snake_case'), '\\*bold\\* \\`code\\` \\~\\~gone\\~\\~ \\_em\\_ snake_case');
    assert.equal(inline('0.71 [0.64, 0.78]'), '0.71 [0.64, 0.78]');
    assert.equal(inline('# not a heading\r\nA & B'), '\\# not a heading A &amp; B');
  });
});

describe('reportCsv', () => {
  it('writes one row per question and strategy with every score, quoted by RFC 4180', () => {
    const csv = reportCsv(sampleReport());
    const lines = csv.split('\r\n');
    assert.equal(lines[0], 'question_id,line,question,reference,strategy,status,answer,error,token_f1,manual_score,manual_note,prompt_tokens,completion_tokens,time_to_first_token_ms,total_ms');
    assert.equal(csv.endsWith('\r\n'), true);
    // Records end with CRLF; line breaks inside quoted fields stay LF. 40 questions × 2 strategies, the header, and the empty string after the last CRLF.
    assert.equal(lines.length, 1 + 80 + 1);
    assert.ok(csv.includes('"He said ""yes"", then\nleft"'));
    assert.ok(csv.includes(`q1,1,"Pipe | and <script>alert(1)</script>\nsecond line","'=HYPERLINK(""http://evil"")",rag,done,rag answers q1,,0.8,4,"'@mention, fine",100,20,50,500`));
    assert.ok(csv.includes('q2,2,Question 2?,Answer 2.,zero,done,zero answers q2,,0.6,,,100,20,50,500'));
  });

  it('guards every formula start and quotes only what needs it', () => {
    assert.equal(csvCell('=1+1'), "'=1+1");
    assert.equal(csvCell('+1'), "'+1");
    assert.equal(csvCell('-1'), "'-1");
    assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
    assert.equal(csvCell('\tx'), "'\tx");
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('plain'), 'plain');
    assert.equal(csvCell(-0.5), '-0.5', 'numbers are numbers');
    assert.equal(csvCell(undefined), '');
    assert.equal(csvCell(NaN), '');
  });
});

describe('reportJson', () => {
  it('is the report itself, parseable', () => {
    const report = sampleReport();
    assert.deepEqual(JSON.parse(reportJson(report)), report);
    assert.ok(report.questions[0]!.answers.rag!.manual !== undefined);
    assert.equal(answerId('a', 'b'), 'a\u0000b');
  });
});
