/**
 * The report of a comparison, built from what a run left: the latest answer of each strategy × question, their
 * scores, the judge's verdicts and the hand grades. Per strategy, a bootstrap interval on every metric present and on
 * latency, token counts and training cost; every pair of strategies compared question by question on the primary
 * metric; one row per question with every strategy's answer; the judge's agreement with the hand grades; and the
 * recommendation. Pure and synchronous: the host runs it off the extension host's thread.
 *
 * How answers count:
 * - an answer that `stopped` (cancelled) counts as no answer;
 * - an answer that failed (`error`) scores the lowest value of each answer-quality metric its strategy is scored on
 *   (and of the primary metric), unless the scores say otherwise: a strategy that fails often must not look better
 *   for it. Retrieval metrics and hand grades are never filled in;
 * - a hand grade is the answer's `manual_score` when it was given to this very answer (`gradesOfAnswers`); a judge's parsed score is its `judge_score`, and `judge_pass` is 1 at
 *   the rubric's pass score or above, where the scores from `scoreAnswers` do not already hold them.
 */
import {
  answerId,
  metricIds,
  type AnswerScores,
  type ComparisonSpec,
  type ContaminationReport,
  type EvalAnswer,
  type EvalReport,
  type EvalSet,
  type JudgeVerdict,
  type ManualGrade,
  type MetricId,
  type MetricInfo,
  type PairwiseResult,
  type QuestionAnswerView,
  type QuestionRow,
  type StrategyRow,
  type StrategySpec,
} from './evalTypes';
import { gradeAppliesTo, gradesInForce } from './gradesFile';
import { metricInfo } from './metricInfo';
import { recommend } from './recommendation';
import { bootstrapMean, pairedComparison } from './statistics';

export interface BuildReportInput {
  spec: ComparisonSpec;
  evalSet: EvalSet;
  /** The latest answer of each strategy × question (from the cache). */
  answers: readonly EvalAnswer[];
  /** From `scoreAnswers`, keyed by `answerId`. */
  scores: ReadonlyMap<string, AnswerScores>;
  judgements?: ReadonlyMap<string, JudgeVerdict>;
  grades: readonly ManualGrade[];
  contamination: ContaminationReport;
  /** Per fine-tuned strategy name, from its run folder (`trainingCost`). */
  training: Readonly<Record<string, NonNullable<StrategyRow['training']>>>;
  documentChurn?: EvalReport['documentChurn'];
  now?: number;
}

/** The hand-grading scale without a judge (with one, the judge's). */
const defaultManualScale = { maxScore: 5, passScore: 4 };
/** A score in [0, 1] passes at this or above. */
const unitPassScore = 0.5;
/** The strategies disagree on a question when the primary metric's spread is at least this share of its range. */
const disagreementShare = 0.5;
/** Metrics a failed answer is never given a score on: they measure retrieval or the user's own judgement. */
const neverFilled: ReadonlySet<MetricId> = new Set<MetricId>(['retrieval_hit', 'retrieval_mrr', 'manual_score']);

/** Aggregates scores into the report: intervals, pairwise win rates, per-question rows, the recommendation. Pure and synchronous. */
export function buildEvalReport(input: BuildReportInput): EvalReport {
  const { spec, evalSet } = input;
  const questions = evalSet.questions;
  const questionIndex = new Map(questions.map((question, index) => [question.id, index]));
  const strategyNames = new Set(spec.strategies.map((strategy) => strategy.name));
  const manualScale = spec.judge ?? defaultManualScale;
  const bootstrap = { samples: spec.bootstrapSamples, seed: spec.seed };

  const answers = latestAnswers(input.answers, strategyNames, questionIndex);
  const grades = gradesOfAnswers(input.grades, answers);

  // Every answer's scores as the report counts them (see the file's comment).
  const merged = new Map<string, AnswerScores>();
  for (const [id, answer] of answers) merged.set(id, mergedScores(input, spec, id, grades.get(id), answer));
  const present = presentMetrics(merged.values(), spec.primaryMetric);
  const info = metricInfoTable(present, spec, manualScale);
  for (const strategy of spec.strategies) fillFailedAnswers(strategy.name, questions, answers, merged, present, spec.primaryMetric, info);

  // Per strategy × metric, one score per question (NaN where there is none), for the intervals and the pairs.
  const columns = new Map<string, Map<MetricId, Float64Array>>();
  for (const strategy of spec.strategies) {
    const byMetric = new Map<MetricId, Float64Array>(present.map((metric) => [metric, new Float64Array(questions.length).fill(NaN)]));
    for (const [index, question] of questions.entries()) {
      const scores = merged.get(answerId(strategy.name, question.id));
      if (scores === undefined) continue;
      for (const metric of present) {
        const value = scores[metric];
        if (value !== undefined && Number.isFinite(value)) byMetric.get(metric)![index] = value;
      }
    }
    columns.set(strategy.name, byMetric);
  }

  const rows = spec.strategies.map((strategy) =>
    strategyRow(
      strategy,
      questions.map((question) => answers.get(answerId(strategy.name, question.id))),
      columns.get(strategy.name)!,
      input.training,
      bootstrap,
    ),
  );

  const pairwise: PairwiseResult[] = [];
  for (let i = 0; i < spec.strategies.length; i++) {
    for (let j = i + 1; j < spec.strategies.length; j++) {
      const a = spec.strategies[i]!.name;
      const b = spec.strategies[j]!.name;
      const comparison = pairedComparison(columns.get(a)!.get(spec.primaryMetric)!, columns.get(b)!.get(spec.primaryMetric)!, bootstrap);
      pairwise.push({ a, b, metric: spec.primaryMetric, ...comparison });
    }
  }

  const primaryInfo = info.find((entry) => entry.id === spec.primaryMetric)!;
  const passOf = (metric: MetricId): number => (metric === 'judge_score' || metric === 'manual_score' ? manualScale.passScore : unitPassScore);
  const questionRows = questions.map((question) => questionRow(question, spec, answers, merged, input.judgements, grades, primaryInfo, passOf(spec.primaryMetric)));

  const judgeCalibration = spec.judge !== undefined ? calibration(merged, grades, spec.judge.passScore) : undefined;
  const report: EvalReport = {
    version: 1,
    comparison: { file: spec.file, name: spec.name, ...(spec.description !== undefined ? { description: spec.description } : {}) },
    evalSet: { file: evalSet.file, questions: questions.length, sha256: evalSet.sha256 },
    createdAt: input.now ?? Date.now(),
    primaryMetric: spec.primaryMetric,
    metrics: info,
    strategies: rows,
    pairwise,
    questions: questionRows,
    recommendation: recommend({
      primaryMetric: spec.primaryMetric,
      metricLabel: labelInSentence(primaryInfo.label),
      strategies: spec.strategies.map((strategy, index) => ({ row: rows[index]!, spec: strategy })),
      pairwise,
      evalQuestions: questions.length,
      contamination: input.contamination,
      ...(input.documentChurn !== undefined ? { documentChurn: input.documentChurn } : {}),
      ...(spec.judge !== undefined ? { judge: { passScore: spec.judge.passScore, maxScore: spec.judge.maxScore } } : {}),
      ...(judgeCalibration !== undefined ? { judgeCalibration } : {}),
    }),
    contamination: input.contamination,
  };
  if (judgeCalibration !== undefined) report.judgeCalibration = judgeCalibration;
  if (input.documentChurn !== undefined) report.documentChurn = input.documentChurn;
  return report;
}

/**
 * The grade in force of each answer, by `answerId`: the last of the grades in force (`gradesInForce`) that applies to
 * it, one given to that very answer (its keys match) or one without keys. A grade given to an earlier answer of the
 * pair (the strategy or the question has changed since) does not apply.
 */
function gradesOfAnswers(all: readonly ManualGrade[], answers: ReadonlyMap<string, EvalAnswer>): Map<string, ManualGrade> {
  const grades = new Map<string, ManualGrade>();
  for (const grade of gradesInForce(all)) {
    const id = answerId(grade.strategy, grade.questionId);
    const answer = answers.get(id);
    if (answer !== undefined && gradeAppliesTo(grade, answer)) grades.set(id, grade);
  }
  return grades;
}

/** The latest answer (by finish time) of each strategy × question of this comparison and eval set. */
function latestAnswers(all: readonly EvalAnswer[], strategies: ReadonlySet<string>, questions: ReadonlyMap<string, number>): Map<string, EvalAnswer> {
  const latest = new Map<string, EvalAnswer>();
  for (const answer of all) {
    if (!strategies.has(answer.strategy) || !questions.has(answer.questionId)) continue;
    const id = answerId(answer.strategy, answer.questionId);
    const previous = latest.get(id);
    if (previous === undefined || answer.finishedAt >= previous.finishedAt) latest.set(id, answer);
  }
  return latest;
}

function mergedScores(input: BuildReportInput, spec: ComparisonSpec, id: string, grade: ManualGrade | undefined, answer: EvalAnswer): AnswerScores {
  const scores: AnswerScores = answer.status === 'stopped' ? {} : { ...input.scores.get(id) };
  const verdict = input.judgements?.get(id);
  if (spec.judge !== undefined && verdict?.score !== undefined && Number.isFinite(verdict.score)) {
    scores.judge_score ??= verdict.score;
    scores.judge_pass ??= verdict.score >= spec.judge.passScore ? 1 : 0;
  }
  if (grade !== undefined) scores.manual_score = grade.score;
  return scores;
}

/** The metrics some answer has a value on, the primary one first and always, then in the display order of `metricIds`. */
function presentMetrics(all: Iterable<AnswerScores>, primary: MetricId): MetricId[] {
  const seen = new Set<MetricId>([primary]);
  for (const scores of all) for (const metric of Object.keys(scores) as MetricId[]) if (Number.isFinite(scores[metric])) seen.add(metric);
  return [primary, ...metricIds.filter((metric) => metric !== primary && seen.has(metric))];
}

function fillFailedAnswers(
  strategy: string,
  questions: EvalSet['questions'],
  answers: ReadonlyMap<string, EvalAnswer>,
  merged: Map<string, AnswerScores>,
  present: readonly MetricId[],
  primary: MetricId,
  info: readonly MetricInfo[],
): void {
  const scoredOn = new Set<MetricId>([primary]);
  for (const question of questions) {
    const id = answerId(strategy, question.id);
    if (answers.get(id)?.status !== 'done') continue;
    const scores = merged.get(id)!;
    for (const metric of present) if (scores[metric] !== undefined) scoredOn.add(metric);
  }
  for (const question of questions) {
    const id = answerId(strategy, question.id);
    if (answers.get(id)?.status !== 'error') continue;
    const scores = merged.get(id)!;
    for (const metric of scoredOn) {
      if (neverFilled.has(metric) || scores[metric] !== undefined) continue;
      scores[metric] = info.find((entry) => entry.id === metric)!.range[0];
    }
  }
}

function strategyRow(
  strategy: StrategySpec,
  answers: readonly (EvalAnswer | undefined)[],
  columns: ReadonlyMap<MetricId, Float64Array>,
  training: BuildReportInput['training'],
  bootstrap: { samples: number; seed: number },
): StrategyRow {
  const metrics: StrategyRow['metrics'] = {};
  for (const [metric, column] of columns) metrics[metric] = bootstrapMean(column, bootstrap);
  const firstToken: number[] = [];
  const total: number[] = [];
  let prompt = 0;
  let completion = 0;
  let measured = 0;
  let answered = 0;
  let failed = 0;
  for (const answer of answers) {
    if (answer === undefined) continue;
    if (answer.status === 'done') answered++;
    else if (answer.status === 'error') failed++;
    const stats = answer.stats;
    if (answer.status !== 'done' || stats === undefined) continue;
    if (Number.isFinite(stats.timeToFirstTokenMs) && stats.timeToFirstTokenMs >= 0) firstToken.push(stats.timeToFirstTokenMs);
    if (Number.isFinite(stats.totalMs) && stats.totalMs >= 0) total.push(stats.totalMs);
    prompt += countOf(stats.promptTokens);
    completion += countOf(stats.completionTokens);
    measured++;
  }
  const latency: StrategyRow['latency'] = {};
  if (firstToken.length > 0) latency.timeToFirstTokenMs = bootstrapMean(firstToken, bootstrap);
  if (total.length > 0) latency.totalMs = bootstrapMean(total, bootstrap);
  const row: StrategyRow = {
    name: strategy.name,
    model: strategy.model,
    recipe: recipeOf(strategy),
    metrics,
    latency,
    tokens: { prompt, completion, promptPerAnswer: measured > 0 ? prompt / measured : 0, completionPerAnswer: measured > 0 ? completion / measured : 0 },
    answered,
    failed,
  };
  if (strategy.description !== undefined) row.description = strategy.description;
  const cost = training[strategy.name];
  if (cost !== undefined) row.training = cost;
  else if (strategy.fineTuned !== undefined) row.training = { run: strategy.fineTuned.run };
  return row;
}

function countOf(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}

/** "template support.prompty, few-shot k=3 (similar), retrieval k=4, fine-tuned (runs/…)"; "zero-shot" for none of them. */
export function recipeOf(strategy: Pick<StrategySpec, 'template' | 'fewShot' | 'retrieval' | 'fineTuned'>): string {
  const parts: string[] = [];
  if (strategy.fineTuned !== undefined) parts.push(`fine-tuned (${strategy.fineTuned.run})`);
  if (strategy.template !== undefined) parts.push(`template ${strategy.template}`);
  if (strategy.fewShot !== undefined)
    parts.push(`few-shot k=${strategy.fewShot.k} (${strategy.fewShot.selection}${strategy.fewShot.examples !== undefined ? ` from ${strategy.fewShot.examples}` : ''})`);
  if (strategy.retrieval !== undefined) parts.push(`retrieval k=${strategy.retrieval.k}${strategy.retrieval.index !== undefined ? ` (index ${strategy.retrieval.index})` : ''}`);
  if (strategy.fewShot === undefined && strategy.retrieval === undefined && strategy.fineTuned === undefined) parts.unshift('zero-shot');
  return parts.join(', ');
}

function questionRow(
  question: EvalSet['questions'][number],
  spec: ComparisonSpec,
  answers: ReadonlyMap<string, EvalAnswer>,
  merged: ReadonlyMap<string, AnswerScores>,
  judgements: ReadonlyMap<string, JudgeVerdict> | undefined,
  grades: ReadonlyMap<string, ManualGrade>,
  primary: MetricInfo,
  passScore: number,
): QuestionRow {
  const views: Record<string, QuestionAnswerView> = {};
  const failures: string[] = [];
  const primaryValues: number[] = [];
  for (const strategy of spec.strategies) {
    const id = answerId(strategy.name, question.id);
    const answer = answers.get(id);
    if (answer === undefined) continue;
    const scores = merged.get(id)!;
    const view: QuestionAnswerView = {
      status: answer.status,
      strategyKey: answer.strategyKey,
      questionKey: answer.questionKey,
      content: answer.content,
      scores,
      passages: answer.passages,
      examples: answer.examples,
      notes: answer.notes,
    };
    if (answer.reasoning !== undefined) view.reasoning = answer.reasoning;
    if (answer.error !== undefined) view.error = answer.error;
    if (answer.stats !== undefined) view.stats = answer.stats;
    const verdict = judgements?.get(id);
    if (verdict !== undefined) view.judge = verdict;
    const grade = grades.get(id);
    if (grade !== undefined) view.manual = grade;
    views[strategy.name] = view;
    const value = scores[primary.id];
    if (answer.status === 'error' || (value !== undefined && value < passScore)) failures.push(strategy.name);
    if (value !== undefined && Number.isFinite(value)) primaryValues.push(value);
  }
  let highest = -Infinity;
  let lowest = Infinity;
  for (const value of primaryValues) {
    highest = Math.max(highest, value);
    lowest = Math.min(lowest, value);
  }
  const spread = primaryValues.length >= 2 ? highest - lowest : 0;
  return {
    id: question.id,
    line: question.line,
    question: question.question,
    reference: question.reference,
    sources: question.sources,
    answers: views,
    failures,
    disagreement: spread > 0 && spread >= disagreementShare * (primary.range[1] - primary.range[0]),
  };
}

/** The judge against the hand grades, over the answers that have both. */
function calibration(merged: ReadonlyMap<string, AnswerScores>, grades: ReadonlyMap<string, ManualGrade>, passScore: number): EvalReport['judgeCalibration'] {
  let graded = 0;
  let exact = 0;
  let withinOne = 0;
  let passAgree = 0;
  let absoluteError = 0;
  for (const [id, grade] of grades) {
    const judged = merged.get(id)?.judge_score;
    if (judged === undefined || !Number.isFinite(judged)) continue;
    graded++;
    const difference = Math.abs(judged - grade.score);
    if (difference < 1e-9) exact++;
    if (difference <= 1 + 1e-9) withinOne++;
    if (judged >= passScore === grade.score >= passScore) passAgree++;
    absoluteError += difference;
  }
  if (graded === 0) return undefined;
  return { graded, exactAgreement: exact / graded, withinOne: withinOne / graded, passAgreement: passAgree / graded, meanAbsoluteError: absoluteError / graded };
}

/** "token F1", "ROUGE-L": the label's first letter in lower case unless it starts an acronym. */
function labelInSentence(label: string): string {
  return /^[A-Z][a-z]/.test(label) ? label[0]!.toLowerCase() + label.slice(1) : label;
}

function metricInfoTable(present: readonly MetricId[], spec: ComparisonSpec, manualScale: { maxScore: number }): MetricInfo[] {
  return present.map((id) => {
    const entry = metricInfo[id];
    if (id === 'judge_score' && spec.judge !== undefined) return { ...entry, range: [1, spec.judge.maxScore] };
    if (id === 'manual_score') return { ...entry, range: [1, manualScale.maxScore] };
    return entry;
  });
}
