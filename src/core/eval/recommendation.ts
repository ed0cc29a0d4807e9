/**
 * The recommendation of a comparison, made from its measurements and the known order of things to try: prompt it
 * first, give it examples next, give it documents when knowledge is missing, and fine-tune when behaviour or format
 * must change and there is enough good data. The strategy recommended is the cheapest whose primary score is not
 * significantly below the best one's (by the paired comparison); the reasons say so with the numbers, the ladder says
 * what each step up gained and cost, and the warnings say when the numbers cannot be trusted to decide.
 *
 * "Cheapest" (`costOrder`): on one model, by tier (zero-shot, few-shot, retrieval, fine-tuned), then by measured tokens
 * and time per answer. When the strategies use different models the tier alone says little (zero-shot on a 70B
 * endpoint is not cheaper than few-shot on a local 0.6B model), so models are ordered by their measured time per answer
 * first, and the tiers within a model; a fine-tuned strategy stays the costliest (it needed training). The reasons say
 * that the models differ and what each measured.
 */
import { posix } from 'node:path';
import {
  type ContaminationFinding,
  type ContaminationReport,
  type EvalReport,
  type Interval,
  type LadderStep,
  type MetricId,
  type PairwiseResult,
  type Recommendation,
  type RecommendationWarning,
  type StrategyRow,
  type StrategySpec,
} from './evalTypes';
import { formatCount, formatHours, formatInterval, formatPercent, formatScore, formatSignedCount, plural } from './reportNumbers';
import { halfWidth } from './statistics';

/** Cost tiers, cheapest first: what a strategy needs beyond a prompt. */
export type StrategyTier = 'zero-shot' | 'few-shot' | 'retrieval' | 'fine-tuned';
export const strategyTiers: readonly StrategyTier[] = ['zero-shot', 'few-shot', 'retrieval', 'fine-tuned'];

/** A fine-tuned model is the costliest (training), then retrieval (an index, long prompts), then examples in the prompt. */
export function strategyTier(spec: Pick<StrategySpec, 'fewShot' | 'retrieval' | 'fineTuned'>): StrategyTier {
  if (spec.fineTuned !== undefined) return 'fine-tuned';
  if (spec.retrieval !== undefined) return 'retrieval';
  if (spec.fewShot !== undefined) return 'few-shot';
  return 'zero-shot';
}

/** Thresholds of the warnings (docs/evaluation.md, "Uncertainty, the recommendation and its warnings"). */
export const warningThresholds = {
  /** Fewer eval questions than this: intervals too wide to decide most differences. */
  minEvalQuestions: 30,
  /** Fewer training examples than this: a fine-tune learns little behaviour reliably. */
  minTrainExamples: 100,
  /** This share of the documents changed in the window, or this many commits touched them, counts as "often". */
  churnFilesShare: 0.2,
  churnCommits: 10,
  /** Hand grades needed before the judge counts as calibrated. */
  minJudgeGrades: 10,
  /** Below either agreement the judge disagrees with the user. */
  minJudgeExactAgreement: 0.6,
  minJudgePassAgreement: 0.8,
  /** More failed answers than this share of the questions. */
  maxFailureShare: 0.1,
} as const;

export interface RecommendationInput {
  primaryMetric: MetricId;
  /** How the primary metric is called in sentences ("token F1"). */
  metricLabel: string;
  /** Every strategy's row with what it uses (for its tier, and the examples it is shown), in the comparison's order. */
  strategies: readonly { row: StrategyRow; spec: Pick<StrategySpec, 'fewShot' | 'retrieval' | 'fineTuned' | 'template'> }[];
  /** Paired comparisons on the primary metric (either orientation of each pair). */
  pairwise: readonly PairwiseResult[];
  /** Questions in the eval set. */
  evalQuestions: number;
  contamination: ContaminationReport;
  documentChurn?: EvalReport['documentChurn'];
  /** Present when the comparison has an LLM judge. */
  judge?: { passScore: number; maxScore: number };
  judgeCalibration?: EvalReport['judgeCalibration'];
}

interface Candidate {
  row: StrategyRow;
  tier: StrategyTier;
  score: Interval;
}

/** The pair seen from `x`: its wins over `y`, the difference x − y, and whether x is significantly higher, lower or tied. */
interface OrientedPair {
  wins: number;
  losses: number;
  ties: number;
  difference: Interval;
  verdict: 'higher' | 'lower' | 'tie';
}

export function recommend(input: RecommendationInput): Recommendation {
  const warnings = collectWarnings(input);
  const scored: Candidate[] = [];
  const unscored: string[] = [];
  for (const { row, spec } of input.strategies) {
    const score = row.metrics[input.primaryMetric];
    if (score === undefined || score.n === 0) unscored.push(row.name);
    else scored.push({ row, tier: strategyTier(spec), score });
  }
  if (scored.length === 0) {
    return {
      headline: `No strategy has a ${input.metricLabel} score yet: run the comparison to get a recommendation.`,
      reasons: unscored.length > 0 ? [`${unscored.join(', ')} ${unscored.length === 1 ? 'has' : 'have'} no ${input.metricLabel} scores.`] : [],
      ladder: [],
      warnings,
    };
  }
  const pairs = pairLookup(input.pairwise);
  const compareCost = costOrder(scored);
  const byCost = [...scored].sort(compareCost);
  // The best score; among equal means, the cheapest.
  const best = byCost.reduce((top, candidate) => (candidate.score.mean > top.score.mean ? candidate : top));
  const recommended = byCost.find((candidate) => candidate === best || pairs(best.row.name, candidate.row.name)?.verdict !== 'higher') ?? best;
  const reasons = explain(input, recommended, best, byCost, pairs);
  const models = modelsReason(scored);
  if (models !== undefined) reasons.push(models);
  for (const name of unscored) reasons.push(`${name} has no ${input.metricLabel} scores, so it was not considered.`);
  return {
    strategy: recommended.row.name,
    headline: headline(recommended, best, byCost, warnings),
    reasons,
    ladder: ladder(scored, pairs, compareCost),
    warnings,
  };
}

type CostComparator = (a: Candidate, b: Candidate) => number;

/**
 * Cheaper first. Fine-tuned strategies last (they needed training); then, when the strategies use more than one
 * model, the model with the shorter measured time per answer (`modelTimes`; a model never measured last); then tier;
 * then prompt + completion tokens per answer, total time per answer, time to first token; then name.
 */
function costOrder(candidates: readonly Candidate[]): CostComparator {
  const times = modelTimes(candidates);
  const modelTime = (candidate: Candidate): number => (times.size > 1 ? (times.get(candidate.row.model) ?? Infinity) : 0);
  return (a, b) =>
    Number(a.tier === 'fine-tuned') - Number(b.tier === 'fine-tuned') ||
    difference(modelTime(a), modelTime(b)) ||
    strategyTiers.indexOf(a.tier) - strategyTiers.indexOf(b.tier) ||
    difference(tokensPerAnswer(a.row), tokensPerAnswer(b.row)) ||
    difference(a.row.latency.totalMs?.mean ?? Infinity, b.row.latency.totalMs?.mean ?? Infinity) ||
    difference(a.row.latency.timeToFirstTokenMs?.mean ?? Infinity, b.row.latency.timeToFirstTokenMs?.mean ?? Infinity) ||
    (a.row.name < b.row.name ? -1 : a.row.name > b.row.name ? 1 : 0);
}

/** a − b, with two infinities equal (a − b would be NaN). */
function difference(a: number, b: number): number {
  return a === b ? 0 : a - b;
}

function tokensPerAnswer(row: StrategyRow): number {
  return row.tokens.promptPerAnswer + row.tokens.completionPerAnswer;
}

/** Each model's mean total time per answer over the answers its strategies measured (fine-tuned ones included). */
function modelTimes(candidates: readonly Pick<Candidate, 'row'>[]): Map<string, number> {
  const sums = new Map<string, { total: number; n: number }>();
  for (const { row } of candidates) {
    const sum = sums.get(row.model) ?? { total: 0, n: 0 };
    sums.set(row.model, sum);
    const time = row.latency.totalMs;
    if (time !== undefined && time.n > 0 && Number.isFinite(time.mean)) {
      sum.total += time.mean * time.n;
      sum.n += time.n;
    }
  }
  const times = new Map<string, number>();
  for (const [model, sum] of sums) times.set(model, sum.n > 0 ? sum.total / sum.n : Infinity);
  return times;
}

/** When the strategies use different models: which, and how cost was compared between them. */
function modelsReason(candidates: readonly Candidate[]): string | undefined {
  const times = modelTimes(candidates);
  if (times.size < 2) return undefined;
  const described = [...times].map(([model, ms]) => {
    const names = candidates.filter((candidate) => candidate.row.model === model).map((candidate) => candidate.row.name);
    return `${model} (${names.join(', ')}${Number.isFinite(ms) ? `: ${formatCount(ms)} ms per answer` : ': time not measured'})`;
  });
  return (
    `The strategies use ${formatCount(times.size)} different models: ${described.join('; ')}. Between models, cost is compared by measured time per answer, ` +
    `then by tier and tokens within a model (a fine-tuned one counts as costliest); that leaves out what each model costs to host or to call, so weigh it yourself.`
  );
}

function pairLookup(pairwise: readonly PairwiseResult[]): (x: string, y: string) => OrientedPair | undefined {
  const byKey = new Map<string, PairwiseResult>();
  for (const pair of pairwise) byKey.set(`${pair.a}\u0000${pair.b}`, pair);
  return (x, y) => {
    const forward = byKey.get(`${x}\u0000${y}`);
    if (forward !== undefined) {
      return {
        wins: forward.winsA,
        losses: forward.winsB,
        ties: forward.ties,
        difference: forward.difference,
        verdict: forward.verdict === 'a' ? 'higher' : forward.verdict === 'b' ? 'lower' : 'tie',
      };
    }
    const backward = byKey.get(`${y}\u0000${x}`);
    if (backward === undefined) return undefined;
    const d = backward.difference;
    return {
      wins: backward.winsB,
      losses: backward.winsA,
      ties: backward.ties,
      difference: { mean: -d.mean, low: -d.high, high: -d.low, n: d.n },
      verdict: backward.verdict === 'b' ? 'higher' : backward.verdict === 'a' ? 'lower' : 'tie',
    };
  };
}

function describePair(pair: OrientedPair): string {
  return `difference ${formatInterval(pair.difference, true)}, wins ${pair.wins} / losses ${pair.losses} / ties ${pair.ties}`;
}

function explain(input: RecommendationInput, recommended: Candidate, best: Candidate, byCost: readonly Candidate[], pairs: ReturnType<typeof pairLookup>): string[] {
  const label = input.metricLabel;
  const reasons = [
    `${recommended.row.name} scores ${formatInterval(recommended.score)} ${label} over ${plural(recommended.score.n, 'question')}${recommended === best ? ', the best score of the comparison' : ''}.`,
  ];
  const recommendedIndex = byCost.indexOf(recommended);
  for (const [index, other] of byCost.entries()) {
    if (other === recommended) continue;
    const scoreText = `${other.row.name} ${formatInterval(other.score)}`;
    if (index < recommendedIndex) {
      // Cheaper, so it was passed over: it is significantly below the best.
      const versusBest = pairs(other.row.name, best.row.name);
      reasons.push(`${scoreText} costs less but is significantly below ${best.row.name}${versusBest !== undefined ? ` (${describePair(versusBest)})` : ''}.`);
      continue;
    }
    const versus = pairs(other.row.name, recommended.row.name);
    const cost = costWords(other.row, recommended.row);
    const costText = cost === '' ? 'costs no more by what was measured' : `costs ${cost}`;
    const detail = versus !== undefined ? ` (${describePair(versus)})` : '';
    if (versus?.verdict === 'higher') {
      reasons.push(
        `${scoreText} is significantly better than ${recommended.row.name}${detail} but ${costText}; ${recommended.row.name} is not significantly below the best, ${best.row.name}, so the cheaper one is recommended.`,
      );
    } else if (versus?.verdict === 'lower') {
      reasons.push(`${scoreText} is significantly worse${detail} and ${costText}.`);
    } else {
      reasons.push(`${scoreText} is not significantly ${other.score.mean >= recommended.score.mean ? 'better' : 'different'}${detail} and ${costText}.`);
    }
  }
  return reasons;
}

const tierAdvice: Record<StrategyTier, string> = {
  'zero-shot': 'the prompt alone does as well as anything costlier here; add examples or documents only when a measurement shows a gain.',
  'few-shot': 'examples in the prompt are enough here; retrieval pays when knowledge is missing, and fine-tuning when behaviour or format must change.',
  retrieval: 'retrieval supplies the knowledge the model lacks, and keeps up as the documents change.',
  'fine-tuned': 'fine-tuning scores significantly higher than every cheaper strategy; it pays off when behaviour or format must change and there is enough good training data.',
};

function headline(recommended: Candidate, best: Candidate, byCost: readonly Candidate[], warnings: readonly RecommendationWarning[]): string {
  const costlier = byCost.slice(byCost.indexOf(recommended) + 1);
  const costlierTiers = strategyTiers.filter((tier) => tier !== recommended.tier && costlier.some((candidate) => candidate.tier === tier));
  if (byCost.length === 1) {
    return `Use ${recommended.row.name} (${recommended.tier}): it is the only strategy with scores; add cheaper or costlier strategies to the comparison to see whether they do better.`;
  }
  let text = `Use ${recommended.row.name} (${recommended.tier}): ${tierAdvice[recommended.tier]}`;
  if (recommended !== best) text += ` ${best.row.name} scores higher, but not significantly.`;
  else if (costlierTiers.length > 0) text += ` Nothing costlier (${costlierTiers.join(', ')}) scored higher.`;
  const decisive = warnings.filter((warning) => warning.code === 'small-eval-set' || warning.code.startsWith('contamination') || warning.code === 'small-training-set');
  if (decisive.length > 0) text += ' Read the warnings before deciding.';
  return text;
}

/** Zero-shot → few-shot → retrieval → fine-tuned, between the best strategy of each tier present. */
function ladder(scored: readonly Candidate[], pairs: ReturnType<typeof pairLookup>, compareCost: CostComparator): LadderStep[] {
  const bestOfTier = strategyTiers
    .map((tier) => scored.filter((candidate) => candidate.tier === tier).sort((a, b) => b.score.mean - a.score.mean || compareCost(a, b))[0])
    .filter((candidate): candidate is Candidate => candidate !== undefined);
  const steps: LadderStep[] = [];
  for (let i = 1; i < bestOfTier.length; i++) {
    const from = bestOfTier[i - 1]!;
    const to = bestOfTier[i]!;
    const pair = pairs(to.row.name, from.row.name);
    steps.push({
      from: from.row.name,
      to: to.row.name,
      // Without paired questions there is no interval: the plain difference of the means, over none (n = 0).
      gain: pair?.difference ?? { mean: to.score.mean - from.score.mean, low: to.score.mean - from.score.mean, high: to.score.mean - from.score.mean, n: 0 },
      verdict: pair?.verdict === 'higher' ? 'better' : pair?.verdict === 'lower' ? 'worse' : 'tie',
      cost: costWords(to.row, from.row) || 'no extra cost measured',
    });
  }
  return steps;
}

/** What `to` costs beyond `from`, in words: "+1,240 prompt tokens per answer, +310 ms to first token, 2.1 GPU hours of training". */
export function costWords(to: StrategyRow, from: StrategyRow): string {
  const parts: string[] = [];
  if (to.model !== from.model) {
    const toTotal = to.latency.totalMs;
    const fromTotal = from.latency.totalMs;
    const ms = toTotal !== undefined && fromTotal !== undefined && toTotal.n > 0 && fromTotal.n > 0 ? toTotal.mean - fromTotal.mean : undefined;
    parts.push(`${to.model} instead of ${from.model}${ms !== undefined && Math.abs(ms) >= 1 ? ` (${formatSignedCount(ms)} ms per answer)` : ''}`);
  }
  const tokens = to.tokens.promptPerAnswer - from.tokens.promptPerAnswer;
  if (Math.abs(tokens) >= 1) parts.push(`${formatSignedCount(tokens)} prompt tokens per answer`);
  const toFirst = to.latency.timeToFirstTokenMs;
  const fromFirst = from.latency.timeToFirstTokenMs;
  if (toFirst !== undefined && fromFirst !== undefined && toFirst.n > 0 && fromFirst.n > 0) {
    const ms = toFirst.mean - fromFirst.mean;
    if (Math.abs(ms) >= 1) parts.push(`${formatSignedCount(ms)} ms to first token`);
  }
  const training = trainingWords(to);
  if (training !== undefined && from.training === undefined) parts.push(training);
  return parts.join(', ');
}

function trainingWords(row: StrategyRow): string | undefined {
  const training = row.training;
  if (training === undefined) return undefined;
  if (training.status === 'missing') return `a training run (${training.run}) that was not found`;
  if (training.gpuHours !== undefined && training.gpuHours > 0) return `${formatHours(training.gpuHours)} GPU hours of training`;
  if (training.seconds !== undefined) return `${formatHours(training.seconds / 3600)} hours of training`;
  return 'a training run';
}

function collectWarnings(input: RecommendationInput): RecommendationWarning[] {
  const warnings: RecommendationWarning[] = [];
  const t = warningThresholds;
  const label = input.metricLabel;
  if (input.evalQuestions < t.minEvalQuestions) {
    const detectable = minimumDetectableDifference(input);
    warnings.push({
      code: 'small-eval-set',
      message:
        `Only ${plural(input.evalQuestions, 'eval question')}: intervals are wide` +
        (detectable !== undefined ? `; a difference of ${formatScore(detectable)} ${label} cannot be told from noise` : '') +
        `. Add questions (at least ${t.minEvalQuestions}) before deciding.`,
    });
  }
  for (const { row } of input.strategies) {
    const examples = row.training?.trainExamples;
    if (examples !== undefined && examples < t.minTrainExamples) {
      warnings.push({
        code: 'small-training-set',
        message: `${row.name} was trained on only ${plural(examples, 'example')}: too few to change behaviour reliably (aim for ${t.minTrainExamples} or more good examples).`,
      });
    }
  }
  for (const warning of contaminationWarnings(input)) warnings.push(warning);
  const churn = input.documentChurn;
  if (churn !== undefined && ((churn.files > 0 && churn.filesChangedLast90Days / churn.files >= t.churnFilesShare) || churn.commitsLast90Days >= t.churnCommits)) {
    warnings.push({
      code: 'documents-change-often',
      message: `The documents change often: ${plural(churn.filesChangedLast90Days, 'file')} of ${formatCount(churn.files)} changed in the last 90 days, in ${plural(churn.commitsLast90Days, 'commit')}. Retrieval reads the documents as they are; a fine-tune learns them as they were, and needs training again to keep up.`,
    });
  }
  if (input.judge !== undefined) {
    const graded = input.judgeCalibration?.graded ?? 0;
    if (graded < t.minJudgeGrades) {
      warnings.push({
        code: 'judge-uncalibrated',
        message: `The judge is checked against ${plural(graded, 'hand grade')}: grade at least ${t.minJudgeGrades} answers in the report to see whether it agrees with you.`,
      });
    }
    const calibration = input.judgeCalibration;
    if (calibration !== undefined && calibration.graded > 0 && (calibration.exactAgreement < t.minJudgeExactAgreement || calibration.passAgreement < t.minJudgePassAgreement)) {
      warnings.push({
        code: 'judge-disagrees',
        message: `The judge agrees with your grades exactly on ${formatPercent(calibration.exactAgreement)} and on pass or fail on ${formatPercent(calibration.passAgreement)} of ${plural(calibration.graded, 'graded answer')} (mean error ${formatScore(calibration.meanAbsoluteError)} points): edit its rubric, or decide on another metric.`,
      });
    }
  }
  const missing = input.strategies.map(({ row }) => ({ name: row.name, missing: input.evalQuestions - row.answered - row.failed })).filter((entry) => entry.missing > 0);
  if (missing.length > 0) {
    warnings.push({
      code: 'answers-missing',
      message: `Not every question has an answer: ${missing.map((entry) => `${entry.name} is missing ${formatCount(entry.missing)} of ${formatCount(input.evalQuestions)}`).join(', ')}. Run the comparison again to finish (finished answers are kept).`,
    });
  }
  const failing = input.strategies.filter(({ row }) => input.evalQuestions > 0 && row.failed / input.evalQuestions > t.maxFailureShare);
  if (failing.length > 0) {
    warnings.push({
      code: 'many-failures',
      message: `Many answers failed: ${failing.map(({ row }) => `${row.name} ${formatCount(row.failed)} of ${formatCount(input.evalQuestions)} (${formatPercent(row.failed / input.evalQuestions)})`).join(', ')}. Failed answers score lowest; see their errors in the report.`,
    });
  }
  return warnings;
}

/**
 * Overlaps of the eval set with what a strategy learned from or was shown, tied to the strategies they inflate: the
 * training data to the fine-tuned strategies (with none, nothing here is inflated, but a fine-tune on that data would
 * be); an examples file to the strategies given it (`fewShot.examples`), and a file no strategy names to those that
 * show their template's own examples.
 */
function contaminationWarnings(input: RecommendationInput): RecommendationWarning[] {
  const warnings: RecommendationWarning[] = [];
  const contamination = input.contamination;
  const distinct = (findings: readonly ContaminationFinding[]): number => new Set(findings.map((finding) => finding.questionId)).size;
  const filesOf = (findings: readonly ContaminationFinding[]): string => [...new Set(findings.map((finding) => findingFile(finding.source)))].join(', ');
  const appear = (count: number): string => `${plural(count, 'eval question')} ${count === 1 ? 'appears' : 'appear'}`;
  if (contamination.trainingOverlap > 0) {
    const findings = contamination.findings.filter((finding) => finding.kind === 'training');
    const where = findings.length > 0 ? ` (${filesOf(findings)})` : '';
    const tuned = input.strategies.filter(({ spec }) => spec.fineTuned !== undefined).map(({ row }) => row.name);
    warnings.push({
      code: 'contamination-training',
      message:
        tuned.length > 0
          ? `${appear(contamination.trainingOverlap)} in the training data${where}: the score of ${tuned.join(', ')} is inflated on them. Take them out of the training data (or the eval set) and train again.`
          : `${appear(contamination.trainingOverlap)} in the training data${where}. No strategy here is fine-tuned, so no score here is inflated by it, but a model fine-tuned on that data would be tested on questions it learned: take them out before training.`,
    });
  }
  if (contamination.examplesOverlap > 0) {
    const findings = contamination.findings.filter((finding) => finding.kind === 'examples');
    const named = new Map<string, string[]>();
    for (const { row, spec } of input.strategies) {
      if (spec.fewShot?.examples === undefined) continue;
      const file = comparablePath(spec.fewShot.examples);
      named.set(file, [...(named.get(file) ?? []), row.name]);
    }
    const templateExamples = input.strategies.filter(({ spec }) => spec.fewShot?.examples === undefined && (spec.fewShot !== undefined || spec.template !== undefined)).map(({ row }) => row.name);
    const byStrategy = new Map<string, ContaminationFinding[]>();
    for (const finding of findings) {
      for (const name of named.get(comparablePath(findingFile(finding.source))) ?? templateExamples) byStrategy.set(name, [...(byStrategy.get(name) ?? []), finding]);
    }
    const parts = [...byStrategy].map(([name, found]) => `${name} ${formatCount(distinct(found))} (${filesOf(found)})`);
    warnings.push({
      code: 'contamination-examples',
      message:
        `${appear(contamination.examplesOverlap)} among the few-shot examples` +
        (parts.length > 0 ? `, inflating the score of the strategies shown them: ${parts.join('; ')}` : '') +
        '. Take them out of the examples file.',
    });
  }
  return warnings;
}

/** The file of a finding's `file:line` source. */
function findingFile(source: string): string {
  const colon = source.lastIndexOf(':');
  return colon > 0 && /^\d+$/.test(source.slice(colon + 1)) ? source.slice(0, colon) : source;
}

/** A workspace-relative path as findings label it, normalized (forward slashes, no `./` or `a/..`). */
function comparablePath(path: string): string {
  return posix.normalize(path.replace(/\\/g, '/'));
}

/**
 * The smallest difference the comparison could tell from noise: half the width of the widest paired-difference
 * interval on the primary metric (a true difference smaller than that leaves the interval around 0). Without pairs,
 * a single strategy's half-width times √2 (two independent means).
 */
function minimumDetectableDifference(input: RecommendationInput): number | undefined {
  const widths = input.pairwise.filter((pair) => pair.metric === input.primaryMetric && pair.difference.n > 1).map((pair) => halfWidth(pair.difference));
  if (widths.length > 0) return widths.reduce((widest, width) => Math.max(widest, width));
  const single = input.strategies.map(({ row }) => row.metrics[input.primaryMetric]).filter((interval): interval is Interval => interval !== undefined && interval.n > 1);
  if (single.length === 0) return undefined;
  return single.reduce((widest, interval) => Math.max(widest, halfWidth(interval) * Math.SQRT2), 0);
}
