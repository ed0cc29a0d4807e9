/**
 * The domain of a strategy comparison ("prompt it, give it examples, give it documents, or fine-tune it?"): the eval
 * set's questions, the strategies of a comparison file, the answers a run produced (cached per strategy × question),
 * the per-answer scores, and the report with its recommendation. Every other file of `src/core/eval/`, the CLI's
 * `chatwright eval`, the host's eval feature and the report webview (through `src/shared/evalReportProtocol.ts`) use
 * these types; nothing here imports `vscode`.
 */
import { type FewShotExample, type GenerationStats, type Passage } from '../chat/chatTypes';
import { type ChatTurn } from '../text/chatTurn';

// ---------------------------------------------------------------------------------------------------------------------
// Eval sets

/** One question of an eval set, with its reference answer. */
export interface EvalQuestion {
  /** Stable within the file: the row's `id` when it has one (string or number, as text), else `line-<n>`. */
  id: string;
  /** 1-based line of the row in the eval file. */
  line: number;
  question: string;
  /** The reference answer (the last assistant turn of a `messages` row, or `answer`). May be empty only if reported. */
  reference: string;
  /** Earlier user/assistant turns before the question (a multi-turn `messages` row); empty for `{question, answer}`. */
  history: ChatTurn<'user' | 'assistant'>[];
  /** Workspace-relative files (or globs) the answer should be retrieved from; empty when the row names none. */
  sources: string[];
}

export interface EvalSetProblem {
  /** 1-based line; 0 for a file-level problem. */
  line: number;
  severity: 'error' | 'warning';
  message: string;
}

export interface EvalSet {
  /** Absolute path of the JSONL file. */
  file: string;
  /** Which row shape the file uses. */
  shape: 'messages' | 'question-answer';
  questions: EvalQuestion[];
  /** Rows that could not be used (and why), and file-level warnings (duplicate ids, empty references…). */
  problems: EvalSetProblem[];
  /** sha256 of the file's bytes. */
  sha256: string;
}

// ---------------------------------------------------------------------------------------------------------------------
// Comparison files (`*.compare.yaml`)

export type FewShotSelection = 'first' | 'random' | 'similar';

/** One way of answering: model (or adapter), template, few-shot, retrieval. */
export interface StrategySpec {
  /** Unique in the comparison; letters, digits, `.`, `_`, `-`; what the report and `--strategies` call it. */
  name: string;
  description?: string;
  /** `<backend>/<model>` as in the chat (`engine/Qwen/Qwen3-0.6B`, `<endpoint id>/<model>`, a served adapter). */
  model: string;
  /** Workspace-relative `.prompty`; undefined = no template. */
  template?: string;
  /** Undefined = few-shot off. `examples` undefined = the template's own examples. */
  fewShot?: { k: number; selection: FewShotSelection; examples?: string; seed: number };
  /** Undefined = retrieval off. `index` = a workspace folder's name (undefined: the first/only index). */
  retrieval?: { k: number; index?: string };
  /** A fine-tuned strategy: its training run folder (workspace-relative), read for training time and GPU hours. */
  fineTuned?: { run: string };
  temperature: number;
  maxTokens: number;
  /** Passed to the backend when set, for reproducible sampling. */
  seed?: number;
}

/** An OpenAI-compatible endpoint the comparison's strategies may name as a backend (`<id>/<model>`). */
export interface EndpointSpec {
  id: string;
  /** Base URL ending in `/v1` (as the chat's endpoints). */
  url: string;
  /** Name of the environment variable holding its API key; never the key itself. */
  apiKeyEnv?: string;
}

/** An LLM judge: any model reference, with a visible, editable rubric. */
export interface JudgeSpec {
  model: string;
  /** The rubric text the judge is given (default: `defaultJudgeRubric` in judge.ts). */
  rubric: string;
  /** Scores are integers in [1, maxScore]; an answer passes at `passScore` or more. */
  maxScore: number;
  passScore: number;
}

export type MetricId =
  | 'exact_match'
  | 'normalized_exact_match'
  | 'token_f1'
  | 'rouge_l'
  | 'embedding_similarity'
  | 'retrieval_hit'
  | 'retrieval_mrr'
  | 'faithfulness'
  | 'citation_accuracy'
  | 'judge_score'
  | 'judge_pass'
  | 'manual_score';

export const metricIds: readonly MetricId[] = [
  'exact_match',
  'normalized_exact_match',
  'token_f1',
  'rouge_l',
  'embedding_similarity',
  'retrieval_hit',
  'retrieval_mrr',
  'faithfulness',
  'citation_accuracy',
  'judge_score',
  'judge_pass',
  'manual_score',
];

/** A threshold for CI: `chatwright eval` exits 1 when `strategy`'s (default: the recommended one's) mean of `metric` is below `min`. */
export interface ThresholdSpec {
  metric: MetricId;
  min: number;
  strategy?: string;
}

export interface ComparisonSpec {
  /** Absolute path of the comparison file. */
  file: string;
  /** The workspace folder relative paths are resolved against (the comparison file's folder when outside any). */
  root: string;
  /** Default: the file name without `.compare.yaml`. */
  name: string;
  description?: string;
  /** Absolute path of the eval set (JSONL), or of a job file whose `data.eval` file is reused. */
  evalSet: string;
  strategies: StrategySpec[];
  endpoints: EndpointSpec[];
  /** Requests in flight at once per backend (default 4). */
  concurrency: number;
  /** The metric the recommendation decides on; default `judge_score` with a judge, else `embedding_similarity` with an embedding model, else `token_f1`. */
  primaryMetric: MetricId;
  /** `<backend>/<model>` of an embedding model for `embedding_similarity` (and similar few-shot); undefined = that metric is off. */
  embeddingModel?: string;
  judge?: JudgeSpec;
  threshold?: ThresholdSpec;
  /** Training data files (absolute) for the contamination check, besides the fine-tuned runs' recorded datasets. */
  trainingData: string[];
  /** Globs (workspace-relative) of the documents retrieval answers from, for the churn warning; default: what the index covers. */
  documents: string[];
  /** Where answers, grades and the report are kept (absolute; default `<root>/.chatwright/evals/<name>`). */
  outputDir: string;
  /** For bootstrap resampling and `random` few-shot. */
  seed: number;
  /** Bootstrap resamples (default 2000). */
  bootstrapSamples: number;
}

/** A problem in a comparison file, located for the editor and the CLI. */
export interface ComparisonProblem {
  /** The dotted path of the field (`strategies[1].retrieval.k`); empty for a syntax error. */
  path: string;
  /** 0-based line and UTF-16 column range, as LSP counts. */
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  severity: 'error' | 'warning';
  message: string;
}

// ---------------------------------------------------------------------------------------------------------------------
// Runs and cached answers

/**
 * One strategy's answer to one question, as cached in `<outputDir>/answers.jsonl` (one JSON line each, appended as
 * answers finish). The cache key is (`strategyKey`, `questionKey`): changing a strategy changes its key, so only that
 * strategy reruns; an answer that failed is retried on resume, a finished one never.
 */
export interface EvalAnswer {
  strategy: string;
  /** sha256 (hex, first 16) of everything that shapes the answer: model, template text, few-shot, retrieval, sampling. */
  strategyKey: string;
  questionId: string;
  /** sha256 (hex, first 16) of the question, its history and the reference. */
  questionKey: string;
  status: 'done' | 'error' | 'stopped';
  content: string;
  reasoning?: string;
  error?: { code: string; message: string };
  stats?: GenerationStats;
  /** What the model saw: the messages sent, the passages retrieved, the examples given, the notes. */
  messages: { role: string; content: string }[];
  passages: Passage[];
  examples: FewShotExample[];
  notes: string[];
  /** Unix milliseconds. */
  startedAt: number;
  finishedAt: number;
}

/** Progress of a run, reported at most a few times a second. */
export interface EvalProgress {
  total: number;
  /** Answers finished (from the cache or just now), of `total`. */
  done: number;
  /** Of `done`, those taken from the cache. */
  cached: number;
  failed: number;
  running: number;
  /** Estimated seconds to go, from the rate of the answers finished in this run; undefined until one has. */
  etaSeconds?: number;
  perStrategy: Record<string, { total: number; done: number; failed: number }>;
  /**
   * Backends found unreachable (several answers in a row failed with `backend-unavailable`): their remaining answers
   * fail at once with that error instead of each waiting on it. Absent while there are none.
   */
  unavailableBackends?: { backend: string; message: string }[];
}

// ---------------------------------------------------------------------------------------------------------------------
// Scores

/** A metric's value for one answer; undefined where the metric does not apply (no sources, no retrieval, no judge). */
export type AnswerScores = Partial<Record<MetricId, number>>;

export interface JudgeVerdict {
  /** The parsed score, or undefined when the judge's reply had none (then `error` says so). */
  score?: number;
  /** The judge's reasoning, kept apart from the score. */
  reasoning: string;
  error?: string;
  /** The judge model's `<backend>/<model>` and a hash of the rubric: a changed rubric re-judges. */
  judgeKey: string;
}

/** A grade the user gave by hand in the report, kept in `<outputDir>/grades.jsonl` (the last grade of an answer wins). */
export interface ManualGrade {
  strategy: string;
  questionId: string;
  /** 1..maxScore of the judge's scale (5 without a judge); 0 clears a grade. */
  score: number;
  note?: string;
  gradedAt: number;
  /**
   * The graded answer's `strategyKey` and `questionKey`: the grade applies only while the current answer has both
   * (an edited template or question makes a new answer, which the old grade does not describe). A grade without them
   * (written before they were kept) applies to whatever answer the strategy and question have.
   */
  strategyKey?: string;
  questionKey?: string;
}

/** A mean with its bootstrap 95% interval. */
export interface Interval {
  mean: number;
  low: number;
  high: number;
  /** How many answers it is over. */
  n: number;
}

export interface StrategyRow {
  name: string;
  model: string;
  description?: string;
  /** Human summary: "few-shot k=3 (similar), retrieval k=4, template support.prompty". */
  recipe: string;
  metrics: Partial<Record<MetricId, Interval>>;
  latency: { timeToFirstTokenMs?: Interval; totalMs?: Interval };
  tokens: { prompt: number; completion: number; promptPerAnswer: number; completionPerAnswer: number };
  /** For a fine-tuned strategy, read from its run folder. */
  training?: { run: string; seconds?: number; gpuHours?: number; gpus?: number; trainExamples?: number; status?: string };
  answered: number;
  failed: number;
}

/** Paired comparison of two strategies on the primary metric over the questions both answered. */
export interface PairwiseResult {
  a: string;
  b: string;
  metric: MetricId;
  /** Questions where a scored higher / lower / equal. */
  winsA: number;
  winsB: number;
  ties: number;
  /** winsA / (winsA + winsB); 0.5 when there are none. */
  winRateA: number;
  /** Mean of (a − b) with its paired bootstrap 95% interval. */
  difference: Interval;
  /** `tie` when the difference's interval contains 0. */
  verdict: 'a' | 'b' | 'tie';
}

export interface QuestionAnswerView {
  status: EvalAnswer['status'];
  /** The answer's cache keys, for a grade to name the very answer it grades (`ManualGrade.strategyKey`). */
  strategyKey?: string;
  questionKey?: string;
  content: string;
  reasoning?: string;
  error?: { code: string; message: string };
  scores: AnswerScores;
  judge?: JudgeVerdict;
  manual?: ManualGrade;
  passages: Passage[];
  examples: FewShotExample[];
  notes: string[];
  stats?: GenerationStats;
}

export interface QuestionRow {
  id: string;
  line: number;
  question: string;
  reference: string;
  sources: string[];
  /** By strategy name; absent when that strategy has no answer yet. */
  answers: Record<string, QuestionAnswerView>;
  /** Strategies whose answer failed (error) or scored below pass on the primary metric. */
  failures: string[];
  /** The strategies disagree: the spread of the primary metric across them is at least 0.5 of its range. */
  disagreement: boolean;
}

export type WarningCode =
  | 'small-eval-set'
  | 'small-training-set'
  | 'contamination-training'
  | 'contamination-examples'
  | 'documents-change-often'
  | 'judge-uncalibrated'
  | 'judge-disagrees'
  | 'answers-missing'
  | 'many-failures';

export interface RecommendationWarning {
  code: WarningCode;
  message: string;
}

/** What one step up the ladder (zero-shot → few-shot → retrieval → fine-tuned) gained and cost. */
export interface LadderStep {
  from: string;
  to: string;
  /** Paired difference on the primary metric (to − from). */
  gain: Interval;
  verdict: 'better' | 'worse' | 'tie';
  /** In words: "+1,240 prompt tokens per answer, +310 ms to first token", "+2.1 GPU hours of training". */
  cost: string;
}

export interface Recommendation {
  /** The strategy recommended: the cheapest whose primary score is not significantly below the best. */
  strategy?: string;
  headline: string;
  reasons: string[];
  ladder: LadderStep[];
  warnings: RecommendationWarning[];
}

/** One overlap found between the eval set and data a strategy learned from or was shown. */
export interface ContaminationFinding {
  kind: 'training' | 'examples';
  /** The eval question's id and line. */
  questionId: string;
  line: number;
  /** `file:line` of the overlapping row. */
  source: string;
  /** 1 for an exact copy (after normalization); the word 8-gram Jaccard similarity otherwise. */
  similarity: number;
}

export interface ContaminationReport {
  checkedFiles: string[];
  findings: ContaminationFinding[];
  /** Eval questions found in training data / few-shot examples (distinct ids). */
  trainingOverlap: number;
  examplesOverlap: number;
}

export interface MetricInfo {
  id: MetricId;
  label: string;
  /** What it measures and when to trust it (from docs/evaluation.md). */
  description: string;
  /** Scores range: [0, 1] for every metric except `judge_score` and `manual_score` ([1, maxScore]). */
  range: [number, number];
  higherIsBetter: true;
}

export interface EvalReport {
  version: 1;
  comparison: { file: string; name: string; description?: string };
  evalSet: { file: string; questions: number; sha256: string };
  createdAt: number;
  primaryMetric: MetricId;
  /** The metrics present in this report, in display order. */
  metrics: MetricInfo[];
  strategies: StrategyRow[];
  pairwise: PairwiseResult[];
  questions: QuestionRow[];
  recommendation: Recommendation;
  contamination: ContaminationReport;
  /** Agreement of the judge with the hand grades, when both exist for some answers. */
  judgeCalibration?: { graded: number; exactAgreement: number; withinOne: number; passAgreement: number; meanAbsoluteError: number };
  /** Documents' change rate from git history, when there is one. */
  documentChurn?: { files: number; commitsLast90Days: number; filesChangedLast90Days: number; lastChange?: number };
  /** What the evaluation could not do and left out (a metric whose model failed, a file not checked), in sentences. */
  notes?: string[];
}

/** The key of one strategy's answer to one question in score maps: `<strategy>\u0000<questionId>`. */
export function answerId(strategy: string, questionId: string): string {
  return `${strategy}\u0000${questionId}`;
}
