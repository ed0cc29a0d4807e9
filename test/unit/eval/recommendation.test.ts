import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildEvalReport } from '../../../src/core/eval/evalReport';
import { type Interval, type PairwiseResult, type StrategyRow, type WarningCode } from '../../../src/core/eval/evalTypes';
import { recommend, strategyTier, type RecommendationInput } from '../../../src/core/eval/recommendation';
import { inputFor, noContamination, noisy, strategy } from './evalFixtures';

const zero = strategy('zero');
const few = strategy('few', { fewShot: { k: 3, selection: 'similar', seed: 1 } });
const rag = strategy('rag', { retrieval: { k: 4 } });
const tuned = strategy('tuned', { fineTuned: { run: 'runs/lora' } });
const trained = { tuned: { run: 'runs/lora', status: 'done', seconds: 3780, gpus: 2, gpuHours: 2.1, trainExamples: 800 } };

function interval(mean: number, halfWidth = 0.05, n = 100): Interval {
  return { mean, low: mean - halfWidth, high: mean + halfWidth, n };
}

function row(name: string, extra: Partial<StrategyRow> = {}): StrategyRow {
  return {
    name,
    model: 'local/model',
    recipe: '',
    metrics: { token_f1: interval(0.6) },
    latency: {},
    tokens: { prompt: 0, completion: 0, promptPerAnswer: 100, completionPerAnswer: 20 },
    answered: 100,
    failed: 0,
    ...extra,
  };
}

function pair(a: string, b: string, mean: number, verdict: PairwiseResult['verdict'], halfWidth = 0.05): PairwiseResult {
  return { a, b, metric: 'token_f1', winsA: 40, winsB: 30, ties: 30, winRateA: 40 / 70, difference: interval(mean, halfWidth), verdict };
}

/** A comparison of zero-shot and a fine-tune that are tied, with nothing to warn about; each test changes one thing. */
function quiet(extra: Partial<RecommendationInput> = {}): RecommendationInput {
  return {
    primaryMetric: 'token_f1',
    metricLabel: 'token F1',
    strategies: [
      { row: row('zero'), spec: zero },
      { row: row('tuned', { training: trained.tuned }), spec: tuned },
    ],
    pairwise: [pair('zero', 'tuned', 0, 'tie')],
    evalQuestions: 100,
    contamination: noContamination,
    ...extra,
  };
}

function codes(input: RecommendationInput): WarningCode[] {
  return recommend(input).warnings.map((warning) => warning.code);
}

function messageOf(input: RecommendationInput, code: WarningCode): string {
  const warning = recommend(input).warnings.find((entry) => entry.code === code);
  assert.ok(warning, `expected a ${code} warning`);
  return warning.message;
}

describe('strategyTier', () => {
  it('orders by what a strategy needs: fine-tuned over retrieval over few-shot over the prompt alone', () => {
    assert.equal(strategyTier(zero), 'zero-shot');
    assert.equal(strategyTier(few), 'few-shot');
    assert.equal(strategyTier({ ...few, retrieval: { k: 2 } }), 'retrieval');
    assert.equal(strategyTier({ ...rag, fineTuned: { run: 'r' } }), 'fine-tuned');
  });
});

describe('recommend', () => {
  it('recommends the cheaper strategy when the costlier one is not significantly better, and says what the costlier one costs', () => {
    const strategies = [rag, tuned];
    const report = buildEvalReport(
      inputFor(strategies, 100, (s, index) => noisy(s === 'rag' ? 0.7 : 0.72, 0.25, s === 'rag' ? 3 : 4)(index), {
        training: trained,
        cost: { rag: { promptTokens: 1400 }, tuned: { promptTokens: 120 } },
      }),
    );
    const recommendation = report.recommendation;
    assert.equal(recommendation.strategy, 'rag');
    assert.match(recommendation.headline, /^Use rag \(retrieval\)/);
    assert.match(recommendation.reasons[0]!, /^rag scores \d\.\d\d \[\d\.\d\d, \d\.\d\d\] token F1 over 100 questions/);
    const about = recommendation.reasons.find((reason) => reason.startsWith('tuned'));
    assert.match(about!, /is not significantly better \(difference [+−]\d\.\d+ \[−\d\.\d+, \+\d\.\d+\], wins \d+ \/ losses \d+ \/ ties \d+\) and costs .*2\.1 GPU hours of training/);
  });

  it('recommends a costlier strategy that is significantly better than every cheaper one', () => {
    const report = buildEvalReport(inputFor([zero, few, rag], 100, (s, index) => noisy(s === 'rag' ? 0.8 : s === 'few' ? 0.55 : 0.5, 0.1, s.length)(index)));
    const recommendation = report.recommendation;
    assert.equal(recommendation.strategy, 'rag');
    assert.ok(recommendation.reasons.some((reason) => reason.startsWith('zero') && reason.includes('significantly below rag')));
    assert.deepEqual(
      recommendation.ladder.map((step) => [step.from, step.to, step.verdict]),
      [
        ['zero', 'few', 'better'],
        ['few', 'rag', 'better'],
      ],
    );
    assert.ok(recommendation.ladder[1]!.gain.mean > 0.2 && recommendation.ladder[1]!.gain.low > 0);
  });

  it('breaks a tie of tiers by prompt tokens per answer, then by time to first token', () => {
    const input = quiet({
      strategies: [
        { row: row('long', { tokens: { prompt: 0, completion: 0, promptPerAnswer: 900, completionPerAnswer: 20 } }), spec: few },
        { row: row('short', { tokens: { prompt: 0, completion: 0, promptPerAnswer: 300, completionPerAnswer: 20 } }), spec: few },
      ],
      pairwise: [pair('long', 'short', 0.01, 'tie')],
    });
    assert.equal(recommend(input).strategy, 'short');
    const slow = quiet({
      strategies: [
        { row: row('slow', { latency: { timeToFirstTokenMs: interval(900) } }), spec: few },
        { row: row('fast', { latency: { timeToFirstTokenMs: interval(300) } }), spec: few },
      ],
      pairwise: [pair('slow', 'fast', 0, 'tie')],
    });
    assert.equal(recommend(slow).strategy, 'fast');
  });

  it('gives the ladder step its cost in words', () => {
    const input = quiet({
      strategies: [
        { row: row('zero', { latency: { timeToFirstTokenMs: interval(100) } }), spec: zero },
        { row: row('rag', { tokens: { prompt: 0, completion: 0, promptPerAnswer: 1340, completionPerAnswer: 20 }, latency: { timeToFirstTokenMs: interval(410) } }), spec: rag },
        { row: row('tuned', { training: trained.tuned, latency: { timeToFirstTokenMs: interval(100) } }), spec: tuned },
      ],
      pairwise: [pair('zero', 'rag', -0.1, 'b'), pair('zero', 'tuned', 0, 'tie'), pair('rag', 'tuned', 0.1, 'a')],
    });
    const ladder = recommend(input).ladder;
    assert.equal(ladder[0]!.cost, '+1,240 prompt tokens per answer, +310 ms to first token');
    assert.equal(ladder[0]!.verdict, 'better');
    assert.equal(ladder[1]!.cost, '−1,240 prompt tokens per answer, −310 ms to first token, 2.1 GPU hours of training');
    assert.equal(ladder[1]!.verdict, 'worse');
    assert.ok(Math.abs(ladder[1]!.gain.mean + 0.1) < 1e-12, 'the gain is seen from the step up');
  });

  it('has no recommendation, and says why, when nothing is scored yet', () => {
    const input = quiet({ strategies: [{ row: row('zero', { metrics: {} }), spec: zero }], pairwise: [] });
    const recommendation = recommend(input);
    assert.equal(recommendation.strategy, undefined);
    assert.match(recommendation.headline, /No strategy has a token F1 score yet/);
  });

  it('says when the recommended strategy is the only one scored', () => {
    const recommendation = recommend(quiet({ strategies: [{ row: row('zero'), spec: zero }], pairwise: [] }));
    assert.equal(recommendation.strategy, 'zero');
    assert.match(recommendation.headline, /only strategy with scores/);
  });

  it('warns of nothing on a large, clean, finished comparison', () => {
    assert.deepEqual(codes(quiet()), []);
  });

  it('warns of a small eval set with the difference it cannot tell from noise', () => {
    const input = quiet({ evalQuestions: 20, pairwise: [pair('zero', 'tuned', 0.02, 'tie', 0.18)] });
    assert.match(messageOf(input, 'small-eval-set'), /Only 20 eval questions: intervals are wide; a difference of 0\.18 token F1 cannot be told from noise/);
    assert.ok(!codes(quiet({ evalQuestions: 30 })).includes('small-eval-set'));
    assert.match(recommend(input).headline, /Read the warnings before deciding/);
  });

  it('warns of a fine-tune trained on fewer than 100 examples, with the number', () => {
    const input = quiet({ strategies: [{ row: row('tuned', { training: { ...trained.tuned, trainExamples: 40 } }), spec: tuned }] });
    assert.match(messageOf(input, 'small-training-set'), /tuned was trained on only 40 examples/);
    assert.ok(!codes(quiet()).includes('small-training-set'));
  });

  it('warns when eval questions appear in the training data or among the few-shot examples', () => {
    const input = quiet({ contamination: { checkedFiles: ['train.jsonl'], findings: [], trainingOverlap: 7, examplesOverlap: 1 } });
    assert.match(messageOf(input, 'contamination-training'), /^7 eval questions appear in the training data: the score of tuned is inflated on them/);
    assert.match(messageOf(input, 'contamination-examples'), /^1 eval question appears among the few-shot examples/);
  });

  it('ties contamination to the strategies it inflates: training data to fine-tuned ones, an examples file to the strategies shown it', () => {
    const finding = (kind: 'training' | 'examples', questionId: string, source: string) => ({ kind, questionId, line: 1, source, similarity: 1 });
    const fewFile = strategy('few-file', { fewShot: { k: 2, selection: 'first', examples: './data/../data/examples.jsonl', seed: 1 } });
    const fewOther = strategy('few-other', { fewShot: { k: 2, selection: 'first', examples: 'data/other.jsonl', seed: 1 } });
    const fewTemplate = strategy('few-template', { template: 'support.prompty', fewShot: { k: 2, selection: 'first', seed: 1 } });
    const contamination = {
      checkedFiles: ['data/train.jsonl', 'data/examples.jsonl', 'prompts/examples.jsonl'],
      findings: [
        finding('training', 'q1', 'data/train.jsonl:4'),
        finding('examples', 'q1', 'data/examples.jsonl:2'),
        finding('examples', 'q2', 'data/examples.jsonl:9'),
        finding('examples', 'q3', 'prompts/examples.jsonl:1'),
      ],
      trainingOverlap: 1,
      examplesOverlap: 3,
    };
    const untuned = quiet({
      strategies: [zero, fewFile, fewOther, fewTemplate].map((spec) => ({ row: row(spec.name), spec })),
      pairwise: [],
      contamination,
    });
    const training = messageOf(untuned, 'contamination-training');
    assert.match(training, /^1 eval question appears in the training data \(data\/train\.jsonl\)\. No strategy here is fine-tuned, so no score here is inflated by it/);
    assert.doesNotMatch(training, /fine-tuned score is inflated/);
    const examples = messageOf(untuned, 'contamination-examples');
    assert.match(examples, /few-file 2 \(data\/examples\.jsonl\); few-template 1 \(prompts\/examples\.jsonl\)\. Take them out/);
    assert.doesNotMatch(examples, /few-other|zero/);
    const withTuned = quiet({ contamination: { ...contamination, examplesOverlap: 0 } });
    assert.match(messageOf(withTuned, 'contamination-training'), /the score of tuned is inflated on them/);
  });

  it('with different models, orders by measured time per answer between models and by tier within one, and says so', () => {
    const timed = (name: string, model: string, ms: number, extra: Partial<StrategyRow> = {}) => row(name, { model, latency: { totalMs: interval(ms, 10) }, ...extra });
    // Zero-shot on a slow 70B endpoint against few-shot on a fast small model: tied scores.
    const input = quiet({
      strategies: [
        { row: timed('big-zero', 'cloud/llama-70b', 2400, { metrics: { token_f1: interval(0.71) } }), spec: strategy('big-zero') },
        { row: timed('small-few', 'engine/qwen-0.6b', 300, { metrics: { token_f1: interval(0.7) }, tokens: { prompt: 0, completion: 0, promptPerAnswer: 900, completionPerAnswer: 20 } }), spec: few },
        { row: timed('small-zero', 'engine/qwen-0.6b', 280, { metrics: { token_f1: interval(0.5) } }), spec: zero },
      ],
      pairwise: [pair('big-zero', 'small-few', 0.01, 'tie'), pair('big-zero', 'small-zero', 0.21, 'a'), pair('small-few', 'small-zero', 0.2, 'a')],
    });
    const recommendation = recommend(input);
    assert.equal(recommendation.strategy, 'small-few', 'not the zero-shot on the costlier model');
    const models = recommendation.reasons.find((reason) => reason.includes('different models'));
    assert.match(models!, /2 different models: cloud\/llama-70b \(big-zero: 2,400 ms per answer\); engine\/qwen-0\.6b \(small-few, small-zero: 290 ms per answer\)/);
    const about = recommendation.reasons.find((reason) => reason.startsWith('big-zero'));
    assert.match(about!, /costs cloud\/llama-70b instead of engine\/qwen-0\.6b \(\+2,100 ms per answer\)/);
    // On one model nothing changes: the tier decides, and no models reason is given.
    const oneModel = recommend(quiet());
    assert.equal(oneModel.strategy, 'zero');
    assert.ok(!oneModel.reasons.some((reason) => reason.includes('different models')));
  });

  it('keeps a fine-tuned strategy costliest even on a faster model', () => {
    const input = quiet({
      strategies: [
        { row: row('zero', { model: 'cloud/big', latency: { totalMs: interval(3000, 10) } }), spec: zero },
        { row: row('tuned', { model: 'engine/lora', training: trained.tuned, latency: { totalMs: interval(200, 10) } }), spec: tuned },
      ],
    });
    assert.equal(recommend(input).strategy, 'zero');
  });

  it('warns when the documents change often, by share of files or by commits, and not when they are stable', () => {
    const often = quiet({ documentChurn: { files: 50, commitsLast90Days: 3, filesChangedLast90Days: 10 } });
    assert.match(messageOf(often, 'documents-change-often'), /10 files of 50 changed in the last 90 days.*Retrieval reads the documents as they are; a fine-tune learns them as they were/);
    assert.ok(codes(quiet({ documentChurn: { files: 500, commitsLast90Days: 10, filesChangedLast90Days: 12 } })).includes('documents-change-often'));
    assert.ok(!codes(quiet({ documentChurn: { files: 50, commitsLast90Days: 9, filesChangedLast90Days: 9 } })).includes('documents-change-often'));
  });

  it('warns of a judge checked against fewer than 10 hand grades, and of one that disagrees with them', () => {
    const judge = { passScore: 4, maxScore: 5 };
    assert.match(messageOf(quiet({ judge }), 'judge-uncalibrated'), /checked against 0 hand grades/);
    const agreeing = { graded: 12, exactAgreement: 0.75, withinOne: 1, passAgreement: 0.9, meanAbsoluteError: 0.3 };
    assert.deepEqual(codes(quiet({ judge, judgeCalibration: agreeing })), []);
    assert.match(messageOf(quiet({ judge, judgeCalibration: { ...agreeing, exactAgreement: 0.5 } }), 'judge-disagrees'), /exactly on 50% and on pass or fail on 90% of 12 graded answers/);
    assert.ok(codes(quiet({ judge, judgeCalibration: { ...agreeing, passAgreement: 0.7 } })).includes('judge-disagrees'));
    assert.deepEqual(codes(quiet({ judgeCalibration: { ...agreeing, exactAgreement: 0 } })), [], 'no judge, no judge warnings');
  });

  it('warns of unanswered questions and of many failed answers', () => {
    const input = quiet({ strategies: [{ row: row('zero', { answered: 80, failed: 12 }), spec: zero }] });
    assert.match(messageOf(input, 'answers-missing'), /zero is missing 8 of 100/);
    assert.match(messageOf(input, 'many-failures'), /zero 12 of 100 \(12%\)/);
    assert.ok(!codes(quiet({ strategies: [{ row: row('zero', { answered: 90, failed: 10 }), spec: zero }] })).includes('many-failures'));
  });
});
