import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildEvalReport } from '../../../src/core/eval/evalReport';
import { answerId, type AnswerScores, type EvalAnswer, type JudgeVerdict } from '../../../src/core/eval/evalTypes';
import { answer, comparison, evalSet, inputFor, noContamination, noisy, strategy } from './evalFixtures';

const zero = strategy('zero');
const rag = strategy('rag', { retrieval: { k: 4 }, template: 'support.prompty' });
const tuned = strategy('tuned', { fineTuned: { run: 'runs/lora' } });

describe('buildEvalReport', () => {
  it('gives every strategy an interval on every metric present, latency, tokens per answer and its training cost', () => {
    const spec = comparison([zero, rag, tuned]);
    const set = evalSet(40);
    const answers = [];
    const scores = new Map<string, AnswerScores>();
    for (const s of spec.strategies) {
      for (const [index, question] of set.questions.entries()) {
        answers.push(
          answer(s.name, question.id, {
            stats: { promptTokens: s === rag ? 1300 : 100, completionTokens: 30, timeToFirstTokenMs: s === rag ? 400 : 100, tokensPerSecond: 50, totalMs: 900, finishReason: 'stop' },
          }),
        );
        scores.set(answerId(s.name, question.id), { token_f1: index % 2, rouge_l: 0.5, ...(s === rag ? { retrieval_hit: 1 } : {}) });
      }
    }
    const training = { tuned: { run: 'runs/lora', status: 'done', seconds: 3600, gpus: 2, gpuHours: 2, trainExamples: 800 } };
    const report = buildEvalReport({ spec, evalSet: set, answers, scores, grades: [], contamination: noContamination, training, now: 42 });
    assert.deepEqual(
      report.metrics.map((metric) => metric.id),
      ['token_f1', 'rouge_l', 'retrieval_hit'],
    );
    assert.equal(report.createdAt, 42);
    const [zeroRow, ragRow, tunedRow] = report.strategies;
    assert.equal(zeroRow!.metrics.token_f1!.mean, 0.5);
    assert.equal(zeroRow!.metrics.token_f1!.n, 40);
    assert.ok(zeroRow!.metrics.token_f1!.low < 0.5 && zeroRow!.metrics.token_f1!.high > 0.5);
    assert.equal(zeroRow!.metrics.retrieval_hit?.n, 0, 'a metric the strategy has no values on is an empty interval');
    assert.equal(ragRow!.metrics.retrieval_hit!.mean, 1);
    assert.equal(ragRow!.tokens.promptPerAnswer, 1300);
    assert.equal(ragRow!.tokens.prompt, 1300 * 40);
    assert.equal(ragRow!.latency.timeToFirstTokenMs!.mean, 400);
    assert.equal(ragRow!.latency.totalMs!.mean, 900);
    assert.equal(ragRow!.recipe, 'template support.prompty, retrieval k=4');
    assert.equal(zeroRow!.recipe, 'zero-shot');
    assert.deepEqual(tunedRow!.training, training.tuned);
    assert.equal(zeroRow!.training, undefined);
    assert.equal(zeroRow!.answered, 40);
    assert.deepEqual(
      report.pairwise.map((pair) => [pair.a, pair.b, pair.metric]),
      [
        ['zero', 'rag', 'token_f1'],
        ['zero', 'tuned', 'token_f1'],
        ['rag', 'tuned', 'token_f1'],
      ],
    );
    assert.equal(report.pairwise[0]!.ties, 40);
    assert.equal(report.pairwise[0]!.verdict, 'tie');
    assert.equal(report.questions.length, 40);
  });

  it('scores a failed answer lowest on the answer metrics its strategy is scored on, counts a stopped one as missing, and never fills retrieval metrics', () => {
    const spec = comparison([rag]);
    const set = evalSet(3);
    const answers = [
      answer('rag', 'q1'),
      answer('rag', 'q2', { status: 'error', content: '', error: { code: 'TIMEOUT', message: 'no reply' } }),
      answer('rag', 'q3', { status: 'stopped', content: '' }),
    ];
    const scores = new Map<string, AnswerScores>([
      [answerId('rag', 'q1'), { token_f1: 0.9, faithfulness: 0.8, retrieval_hit: 1 }],
      [answerId('rag', 'q3'), { token_f1: 0.7 }],
    ]);
    const report = buildEvalReport({ spec, evalSet: set, answers, scores, grades: [], contamination: noContamination, training: {} });
    const row = report.strategies[0]!;
    assert.equal(row.answered, 1);
    assert.equal(row.failed, 1);
    assert.equal(row.metrics.token_f1!.n, 2);
    assert.equal(row.metrics.token_f1!.mean, 0.45);
    assert.equal(row.metrics.faithfulness!.mean, 0.4);
    assert.equal(row.metrics.retrieval_hit!.n, 1);
    assert.deepEqual(report.questions[1]!.answers.rag!.scores, { token_f1: 0, faithfulness: 0 });
    assert.deepEqual(report.questions[2]!.answers.rag!.scores, {}, 'a stopped answer has no scores');
    assert.deepEqual(report.questions[1]!.failures, ['rag']);
    assert.equal(row.tokens.promptPerAnswer, 100, 'tokens are counted over finished answers');
  });

  it('marks failures below the pass score and disagreements of half the range or more', () => {
    const input = inputFor(
      [zero, rag],
      3,
      (s, index) =>
        [
          [0.1, 0.9],
          [0.45, 0.55],
          [0.8, 0.9],
        ][index]![s === 'zero' ? 0 : 1],
    );
    const report = buildEvalReport(input);
    assert.deepEqual(
      report.questions.map((row) => [row.failures, row.disagreement]),
      [
        [['zero'], true],
        [['zero'], false],
        [[], false],
      ],
    );
  });

  it('uses the latest answer of a pair and ignores answers of strategies or questions not in the comparison', () => {
    const spec = comparison([zero]);
    const set = evalSet(1);
    const answers = [answer('zero', 'q1', { content: 'new', finishedAt: 5 }), answer('zero', 'q1', { content: 'old', finishedAt: 2 }), answer('gone', 'q1'), answer('zero', 'q99')];
    const report = buildEvalReport({ spec, evalSet: set, answers, scores: new Map(), grades: [], contamination: noContamination, training: {} });
    assert.equal(report.questions[0]!.answers.zero!.content, 'new');
    assert.deepEqual(Object.keys(report.questions[0]!.answers), ['zero']);
    assert.equal(report.strategies[0]!.answered, 1);
  });

  it('takes judge scores from the verdicts and hand grades as manual scores, and measures their agreement', () => {
    const judge = { model: 'local/judge', rubric: 'Grade it.', maxScore: 5, passScore: 4 };
    const spec = comparison([zero], { primaryMetric: 'judge_score', judge });
    const set = evalSet(4);
    const answers = set.questions.map((question) => answer('zero', question.id));
    const judged = [5, 4, 2, 3];
    const judgements = new Map<string, JudgeVerdict>(judged.map((score, index) => [answerId('zero', `q${index + 1}`), { score, reasoning: 'because', judgeKey: 'k' }]));
    const grades = [
      { strategy: 'zero', questionId: 'q1', score: 5, gradedAt: 1 },
      { strategy: 'zero', questionId: 'q2', score: 2, gradedAt: 1 },
      { strategy: 'zero', questionId: 'q3', score: 3, gradedAt: 1 },
      { strategy: 'zero', questionId: 'q4', score: 4, gradedAt: 1 },
      { strategy: 'zero', questionId: 'q4', score: 0, gradedAt: 2 },
    ];
    const report = buildEvalReport({ spec, evalSet: set, answers, scores: new Map(), judgements, grades, contamination: noContamination, training: {} });
    assert.deepEqual(
      report.metrics.map((metric) => [metric.id, metric.range]),
      [
        ['judge_score', [1, 5]],
        ['judge_pass', [0, 1]],
        ['manual_score', [1, 5]],
      ],
    );
    assert.equal(report.strategies[0]!.metrics.judge_score!.mean, 3.5);
    assert.equal(report.strategies[0]!.metrics.judge_pass!.mean, 0.5);
    assert.equal(report.strategies[0]!.metrics.manual_score!.n, 3);
    assert.deepEqual(report.judgeCalibration, { graded: 3, exactAgreement: 1 / 3, withinOne: 2 / 3, passAgreement: 2 / 3, meanAbsoluteError: 1 });
    assert.equal(report.questions[0]!.answers.zero!.judge?.reasoning, 'because');
    assert.equal(report.questions[0]!.answers.zero!.manual?.score, 5);
    assert.deepEqual(report.questions[2]!.failures, ['zero'], 'a judge score below the pass score is a failure');
    assert.ok(report.recommendation.warnings.some((warning) => warning.code === 'judge-disagrees'));
  });

  it("applies a hand grade only to the answer it was given to: a changed strategy's new answer is ungraded; a grade without keys still applies", () => {
    const spec = comparison([zero, rag]);
    const set = evalSet(2);
    // zero's answers are those graded; rag was rerun after an edit of its template (a new strategy key).
    const answers = [answer('zero', 'q1'), answer('zero', 'q2'), answer('rag', 'q1', { strategyKey: 'key-rag-v2' }), answer('rag', 'q2', { strategyKey: 'key-rag-v2' })];
    const grades = [
      { strategy: 'zero', questionId: 'q1', score: 4, gradedAt: 1, strategyKey: 'key-zero', questionKey: 'key-q1' },
      { strategy: 'zero', questionId: 'q2', score: 2, gradedAt: 1, strategyKey: 'key-zero', questionKey: 'key-q2-edited' },
      { strategy: 'rag', questionId: 'q1', score: 5, gradedAt: 1, strategyKey: 'key-rag', questionKey: 'key-q1' },
      { strategy: 'rag', questionId: 'q2', score: 3, gradedAt: 1 },
    ];
    const report = buildEvalReport({ spec, evalSet: set, answers, scores: new Map(), grades, contamination: noContamination, training: {} });
    const view = (strategyName: string, index: number) => report.questions[index]!.answers[strategyName]!;
    assert.equal(view('zero', 0).manual?.score, 4, 'the keys match');
    assert.equal(view('zero', 1).manual, undefined, 'the question changed since');
    assert.equal(view('rag', 0).manual, undefined, 'the strategy changed since');
    assert.equal(view('rag', 1).manual?.score, 3, 'a grade without keys applies by strategy and question');
    assert.equal(view('rag', 1).scores.manual_score, 3);
    assert.equal(report.strategies[1]!.metrics.manual_score!.n, 1);
    assert.deepEqual([view('rag', 0).strategyKey, view('rag', 0).questionKey], ['key-rag-v2', 'key-q1'], 'the view names its answer for the next grade');
  });

  it('recommends the cheaper strategy when the costlier one is within the noise', () => {
    const report = buildEvalReport(inputFor([zero, tuned], 200, (s, index) => noisy(0.6, 0.3, s === 'zero' ? 1 : 2)(index)));
    assert.equal(report.pairwise[0]!.verdict, 'tie');
    assert.equal(report.recommendation.strategy, 'zero');
  });

  it('from answers to recommendation: mixed models, missing and failed answers', () => {
    const bigZero = strategy('big-zero', { model: 'cloud/llama-70b' });
    const smallFew = strategy('small-few', { model: 'engine/qwen-0.6b', fewShot: { k: 3, selection: 'first', seed: 1 } });
    const smallZero = strategy('small-zero', { model: 'engine/qwen-0.6b' });
    const spec = comparison([bigZero, smallFew, smallZero]);
    const set = evalSet(60);
    const stats = (totalMs: number, promptTokens: number) => ({ promptTokens, completionTokens: 30, timeToFirstTokenMs: totalMs / 5, tokensPerSecond: 40, totalMs, finishReason: 'stop' as const });
    const answers: EvalAnswer[] = [];
    const scores = new Map<string, AnswerScores>();
    const good = noisy(0.75, 0.1, 11);
    const weak = noisy(0.45, 0.1, 12);
    for (const [index, question] of set.questions.entries()) {
      // The 70B endpoint: slow; 10 questions never answered (the run was stopped), all others good.
      if (index < 50) {
        answers.push(answer('big-zero', question.id, { stats: stats(2400, 120) }));
        scores.set(answerId('big-zero', question.id), { token_f1: good(index) });
      }
      // Few-shot on the small model: as good, but 8 answers failed (scored lowest, 0).
      if (index % 7 === 3 && index < 56) answers.push(answer('small-few', question.id, { status: 'error', content: '', error: { code: 'timeout', message: 'timed out' } }));
      else {
        answers.push(answer('small-few', question.id, { stats: stats(300, 900) }));
        scores.set(answerId('small-few', question.id), { token_f1: Math.min(1, good(index) + 0.02) });
      }
      answers.push(answer('small-zero', question.id, { stats: stats(280, 120) }));
      scores.set(answerId('small-zero', question.id), { token_f1: weak(index) });
    }
    const report = buildEvalReport({ spec, evalSet: set, answers, scores, grades: [], contamination: noContamination, training: {}, now: 1 });
    const [big, few, small] = report.strategies;
    assert.deepEqual([big!.answered, big!.failed, few!.answered, few!.failed, small!.answered], [50, 0, 52, 8, 60]);
    assert.equal(big!.metrics.token_f1!.n, 50, 'unanswered questions are left out');
    assert.equal(few!.metrics.token_f1!.n, 60, 'failed answers count, at the lowest score');
    assert.equal(report.questions[3]!.answers['small-few']!.scores.token_f1, 0);
    assert.equal(report.pairwise.find((pair) => pair.a === 'big-zero' && pair.b === 'small-few')!.difference.n, 50, 'pairs only questions both answered');
    const recommendation = report.recommendation;
    const codes = recommendation.warnings.map((warning) => warning.code);
    assert.ok(codes.includes('answers-missing') && codes.includes('many-failures'), codes.join());
    assert.match(recommendation.warnings.find((warning) => warning.code === 'answers-missing')!.message, /big-zero is missing 10 of 60/);
    assert.match(recommendation.warnings.find((warning) => warning.code === 'many-failures')!.message, /small-few 8 of 60/);
    assert.ok(
      recommendation.reasons.some((reason) => /different models: cloud\/llama-70b \(big-zero: 2,400 ms per answer\); engine\/qwen-0\.6b \(small-few, small-zero: 289 ms per answer\)/.test(reason)),
      recommendation.reasons.join('\n'),
    );
    // The small model's strategies cost less, but small-zero is worse and small-few's failures (scored 0) put it
    // significantly below big-zero: the slow model is recommended, and the reasons say why the cheaper ones were not.
    const verdict = (a: string, b: string) => report.pairwise.find((pair) => pair.a === a && pair.b === b)!.verdict;
    assert.deepEqual([verdict('big-zero', 'small-zero'), verdict('big-zero', 'small-few')], ['a', 'a']);
    assert.equal(recommendation.strategy, 'big-zero');
    assert.match(recommendation.headline, /^Use big-zero \(zero-shot\)/);
    assert.ok(recommendation.reasons.some((reason) => reason.startsWith('small-few') && reason.includes('costs less but is significantly below big-zero')));
  });

  it('is the same report for the same input and seed', () => {
    const input = inputFor([zero, rag], 50, (s, index) => noisy(0.5, 0.4, s.length)(index));
    assert.deepEqual(buildEvalReport(input), buildEvalReport(input));
  });
});
