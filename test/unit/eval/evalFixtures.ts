/** Builders for the report's tests: a comparison, an eval set, answers and scores, with only what a test varies spelled out. */
import { seededRandom } from '../../../src/core/text/seededRandom';
import { type BuildReportInput } from '../../../src/core/eval/evalReport';
import { answerId, type AnswerScores, type ComparisonSpec, type EvalAnswer, type EvalQuestion, type EvalSet, type StrategySpec } from '../../../src/core/eval/evalTypes';

export function strategy(name: string, extra: Partial<StrategySpec> = {}): StrategySpec {
  return { name, model: `local/${name}`, temperature: 0, maxTokens: 256, ...extra };
}

export function comparison(strategies: StrategySpec[], extra: Partial<ComparisonSpec> = {}): ComparisonSpec {
  return {
    file: '/ws/support.compare.yaml',
    root: '/ws',
    name: 'support',
    evalSet: '/ws/support.eval.jsonl',
    strategies,
    endpoints: [],
    concurrency: 4,
    primaryMetric: 'token_f1',
    trainingData: [],
    documents: [],
    outputDir: '/ws/.chatwright/evals/support',
    seed: 1,
    bootstrapSamples: 1000,
    ...extra,
  };
}

export function evalSet(count: number): EvalSet {
  const questions: EvalQuestion[] = Array.from({ length: count }, (_, index) => ({
    id: `q${index + 1}`,
    line: index + 1,
    question: `Question ${index + 1}?`,
    reference: `Answer ${index + 1}.`,
    history: [],
    sources: [],
  }));
  return { file: '/ws/support.eval.jsonl', shape: 'question-answer', questions, problems: [], sha256: 'abc' };
}

export function answer(strategyName: string, questionId: string, extra: Partial<EvalAnswer> = {}): EvalAnswer {
  return {
    strategy: strategyName,
    strategyKey: `key-${strategyName}`,
    questionId,
    questionKey: `key-${questionId}`,
    status: 'done',
    content: `${strategyName} answers ${questionId}`,
    stats: { promptTokens: 100, completionTokens: 20, timeToFirstTokenMs: 50, tokensPerSecond: 40, totalMs: 500, finishReason: 'stop' },
    messages: [],
    passages: [],
    examples: [],
    notes: [],
    startedAt: 0,
    finishedAt: 1,
    ...extra,
  };
}

export const noContamination = { checkedFiles: [], findings: [], trainingOverlap: 0, examplesOverlap: 0 };

/**
 * A report input where each strategy's primary score on each question comes from `score(strategy, index)`, every
 * answer done, with per-strategy prompt tokens and latency from `cost`.
 */
export function inputFor(
  strategies: StrategySpec[],
  questions: number,
  score: (strategy: string, index: number) => number | undefined,
  extra: Partial<BuildReportInput> & { cost?: Record<string, { promptTokens?: number; timeToFirstTokenMs?: number }> } = {},
): BuildReportInput {
  const spec = extra.spec ?? comparison(strategies);
  const set = evalSet(questions);
  const answers: EvalAnswer[] = [];
  const scores = new Map<string, AnswerScores>();
  for (const s of strategies) {
    const cost = extra.cost?.[s.name];
    for (const [index, question] of set.questions.entries()) {
      const value = score(s.name, index);
      answers.push(
        answer(s.name, question.id, {
          stats: { promptTokens: cost?.promptTokens ?? 100, completionTokens: 20, timeToFirstTokenMs: cost?.timeToFirstTokenMs ?? 50, tokensPerSecond: 40, totalMs: 500, finishReason: 'stop' },
        }),
      );
      if (value !== undefined) scores.set(answerId(s.name, question.id), { [spec.primaryMetric]: value });
    }
  }
  const { cost: _cost, ...rest } = extra;
  void _cost;
  return { spec, evalSet: set, answers, scores, grades: [], contamination: noContamination, training: {}, now: 1000, ...rest };
}

/** Scores around `mean` with uniform noise of ±`spread`, seeded, clamped to [0, 1]. */
export function noisy(mean: number, spread: number, seed: number): (index: number) => number {
  const values: number[] = [];
  const random = seededRandom(seed);
  return (index) => {
    while (values.length <= index) values.push(Math.min(1, Math.max(0, mean + (random() * 2 - 1) * spread)));
    return values[index]!;
  };
}
