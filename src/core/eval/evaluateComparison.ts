/**
 * The whole evaluation of a comparison, as the CLI's `chatwright eval` and the editor both run it: the eval set →
 * every strategy's answers (cached, resumable, through the chat pipeline) → embeddings → per-answer scores → the LLM
 * judge → hand grades → contamination, training cost and document churn → the report, written atomically to
 * `<outputDir>/report.json`. The run's state is kept in `<outputDir>/run.json` (evalRunState.ts) so that a run that
 * stopped part-way is continued or discarded on purpose, never mixed in by accident. Rebuilding only the report
 * (`rebuildReport`: grading, `--report-only`) contacts nothing and starts no process: it reuses the embedding scores a
 * run kept (embeddingScoresFile.ts), the judge's cached verdicts and the last report's document churn.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseModelRef } from '../chat/backend';
import { type ChatSources } from '../chat/chatRunner';
import { readBoundedText } from '../files/boundedRead';
import { defaultDocumentGlobs } from '../rag/sources';
import { AnswerCache, answersFileName } from './answerCache';
import { scoreAnswers, textsToEmbed, type ScoreAnswersInput } from './answerScoring';
import { checkContamination } from './contamination';
import { contaminationSources } from './contaminationSources';
import { documentChurn, type DocumentChurn } from './docChurn';
import { applyKeptEmbeddingScores, embeddingScoresFileName, keepEmbeddingScores } from './embeddingScoresFile';
import { buildEvalReport, type BuildReportInput } from './evalReport';
import { runComparison } from './evalRunner';
import { InterruptedRunError, previousRun, RunInProgressError, runningState, writeRunState, type EvalRunState } from './evalRunState';
import { readEvalSet } from './evalSet';
import { maxReportBytes } from './reportFileReader';
import {
  answerId,
  type AnswerScores,
  type ComparisonSpec,
  type ContaminationReport,
  type EvalAnswer,
  type EvalProgress,
  type EvalQuestion,
  type EvalReport,
  type EvalSet,
  type JudgeSpec,
  type JudgeVerdict,
  type StrategySpec,
} from './evalTypes';
import { readGrades } from './gradesFile';
import { judgeAnswers, judgeKeyOf, judgeScores, readJudgements, type JudgeItem } from './judge';
import { questionKey, strategyKey } from './strategyKey';
import { trainingCost, type TrainingCost } from './trainingCost';

/** What the contamination check is given: the comparison (with the strategies reported) and the eval set's questions. */
export interface ContaminationInput {
  spec: ComparisonSpec;
  questions: readonly EvalQuestion[];
}

/** What the report step is given: the report's input, and the notes the pipeline adds to it. */
export type ReportStepInput = BuildReportInput & { notes: readonly string[] };

/**
 * Where the CPU-heavy steps run: in this thread by default; the editor passes a worker thread's. `contamination`
 * reads the training and examples files and shingles them; `report` builds the report, adds the notes, writes it to
 * `<spec.outputDir>/report.json` (whole, see `writeReport`) and returns it.
 */
export interface EvalComputation {
  score(input: ScoreAnswersInput): Promise<Map<string, AnswerScores>>;
  contamination(input: ContaminationInput): Promise<{ contamination: ContaminationReport; notes: string[] }>;
  report(input: ReportStepInput): Promise<EvalReport>;
}

export interface EvaluateOptions {
  spec: ComparisonSpec;
  sources: ChatSources;
  strategies?: readonly string[];
  /**
   * `run` answers what is missing, then reports; `report` only rebuilds the report from what is kept (answers,
   * judgements, embedding scores, grades, the last report's document churn): it contacts no backend, embeds nothing and
   * starts no process (`rebuildReport`). Default `run`.
   */
  mode?: 'run' | 'report';
  /** Continue a run that stopped before it finished (see docs/evaluation.md "Runs, cache and resume"). */
  resume: boolean;
  /** Forget every cached answer and judgement first. */
  fresh?: boolean;
  readText: (relativePath: string) => Promise<string | undefined>;
  /**
   * Embeds texts with `spec.embeddingModel` (undefined: the embedding metrics are left out). Only a run embeds: `report`
   * mode takes the embedding scores the last run kept (embeddingScoresFile.ts) and ignores this.
   */
  embed?: (texts: readonly string[], signal: AbortSignal) => Promise<Float32Array[]>;
  computation?: EvalComputation;
  onProgress?: (stage: 'answering' | 'judging' | 'scoring', progress: EvalProgress) => void;
  signal: AbortSignal;
}

/** The judge's cache, which `fresh` empties with the answers'. Never `grades.jsonl`: hand grades are the user's work. */
export const judgementsFileName = 'judgements.jsonl';
export const reportFileName = 'report.json';

/** Texts embedded per call: small enough to cancel between batches, large enough to keep a model busy. */
const embeddingBatchSize = 64;
/** How often run.json records the progress, so an interrupted run can say how far it got. */
const progressRecordIntervalMs = 1000;
/** Eval-set problems listed in the error before "and N more". */
const listedProblems = 5;

/** The scoring, the contamination check and the report in this thread; template and examples texts come from `readText`. */
export function inProcessComputation(readText: EvaluateOptions['readText']): EvalComputation {
  return {
    score: (input) => Promise.resolve(scoreAnswers(input)),
    contamination: async ({ spec, questions }) => {
      const notes: string[] = [];
      const sources = await contaminationSources(spec, spec.strategies, readText, notes);
      return { contamination: checkContamination(questions, sources), notes };
    },
    report: (input) => {
      const { notes, ...buildInput } = input;
      const report = buildEvalReport(buildInput);
      const withNotes: EvalReport = notes.length > 0 ? { ...report, notes: [...(report.notes ?? []), ...notes] } : report;
      writeReport(input.spec.outputDir, withNotes);
      return Promise.resolve(withNotes);
    },
  };
}

/** A reader of workspace files by workspace-relative path (bounded; undefined for a file that cannot be read). */
export function workspaceFileReader(root: string): EvaluateOptions['readText'] {
  return async (relativePath) => {
    try {
      return await readBoundedText(resolve(root, relativePath), { kind: 'document' });
    } catch {
      return undefined;
    }
  };
}

/** The eval set, or an error listing its first problems at their lines (an eval set with errors is not run). */
export function readEvalSetOrThrow(file: string): EvalSet {
  const evalSet = readEvalSet(file);
  const errors = evalSet.problems.filter((problem) => problem.severity === 'error');
  if (errors.length === 0 && evalSet.questions.length > 0) return evalSet;
  if (errors.length === 0) throw new Error(`${file}: the eval set has no questions.`);
  const listed = errors.slice(0, listedProblems).map((problem) => `${file}:${problem.line}: ${problem.message}`);
  const more = errors.length > listedProblems ? `\n… and ${errors.length - listedProblems} more` : '';
  throw new Error(`the eval set has ${errors.length} error(s):\n${listed.join('\n')}${more}`);
}

/** The strategies asked for, in the comparison's order; a name the comparison lacks is an error that lists the names. */
export function selectStrategies(spec: ComparisonSpec, names: readonly string[] | undefined): StrategySpec[] {
  if (names === undefined || names.length === 0) return spec.strategies;
  const unknown = names.filter((name) => !spec.strategies.some((strategy) => strategy.name === name));
  if (unknown.length > 0) throw new Error(`no strategy named ${unknown.map((name) => `'${name}'`).join(', ')} in ${spec.file}; its strategies are ${spec.strategies.map((s) => s.name).join(', ')}`);
  return spec.strategies.filter((strategy) => names.includes(strategy.name));
}

/**
 * The answers the cache holds for the strategies as they are now (keyed by their current settings and texts, as
 * `runComparison` keys them), under this run's strategy names and question ids; failed and stopped ones too.
 */
async function cachedAnswers(strategies: readonly StrategySpec[], questions: readonly EvalQuestion[], cache: AnswerCache, readText: EvaluateOptions['readText']): Promise<EvalAnswer[]> {
  const read = (path: string | undefined): Promise<string | undefined> => (path === undefined ? Promise.resolve(undefined) : readText(path).catch(() => undefined));
  const keys = await Promise.all(
    strategies.map(async (strategy) => {
      const [template, examples] = await Promise.all([read(strategy.template), read(strategy.fewShot?.examples)]);
      return strategyKey(strategy, { ...(template !== undefined ? { template } : {}), ...(examples !== undefined ? { examples } : {}) });
    }),
  );
  const questionKeys = questions.map((question) => questionKey(question));
  const answers: EvalAnswer[] = [];
  questions.forEach((question, q) => {
    strategies.forEach((strategy, s) => {
      const answer = cache.latest(keys[s]!, questionKeys[q]!);
      if (answer) answers.push(answer.strategy === strategy.name && answer.questionId === question.id ? answer : { ...answer, strategy: strategy.name, questionId: question.id });
    });
  });
  return answers;
}

/** Vectors of every text, embedded in batches; cancellable between batches. */
async function embedAll(texts: readonly string[], embed: NonNullable<EvaluateOptions['embed']>, signal: AbortSignal): Promise<Map<string, Float32Array>> {
  const vectors = new Map<string, Float32Array>();
  for (let at = 0; at < texts.length; at += embeddingBatchSize) {
    signal.throwIfAborted();
    const batch = texts.slice(at, at + embeddingBatchSize);
    const embedded = await embed(batch, signal);
    if (embedded.length !== batch.length) throw new Error(`the embedding model returned ${embedded.length} vectors for ${batch.length} texts`);
    batch.forEach((text, index) => vectors.set(text, embedded[index]!));
  }
  return vectors;
}

function progressOf(total: number, done: number): EvalProgress {
  return { total, done, cached: 0, failed: 0, running: total - done, perStrategy: {} };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What the judge is given of each finished answer (a failed or stopped one has nothing to judge). */
function judgeItems(answers: readonly EvalAnswer[], questions: ReadonlyMap<string, EvalQuestion>): JudgeItem[] {
  const items: JudgeItem[] = [];
  for (const answer of answers) {
    const question = questions.get(answer.questionId);
    if (!question || answer.status !== 'done') continue;
    items.push({
      id: answerId(answer.strategy, answer.questionId),
      question: question.question,
      reference: question.reference,
      answer: answer.content,
      passages: answer.passages,
      strategyKey: answer.strategyKey,
      questionKey: answer.questionKey,
    });
  }
  return items;
}

/** The verdicts judgements.jsonl holds for these answers by this judge and rubric: `report` mode asks no model. */
async function cachedVerdicts(spec: ComparisonSpec, judgeSpec: JudgeSpec, items: readonly JudgeItem[]): Promise<Map<string, JudgeVerdict>> {
  const judgeKey = judgeKeyOf(judgeSpec);
  const cached = await readJudgements(join(spec.outputDir, judgementsFileName), judgeSpec.maxScore);
  const byAnswer = new Map<string, JudgeVerdict>();
  for (const judgement of cached.values()) {
    if (judgement.judgeKey !== judgeKey) continue;
    byAnswer.set(`${judgement.strategyKey}\u0000${judgement.questionKey}`, { score: judgement.score, reasoning: judgement.reasoning, judgeKey });
  }
  const verdicts = new Map<string, JudgeVerdict>();
  for (const item of items) {
    const verdict = byAnswer.get(`${item.strategyKey}\u0000${item.questionKey}`);
    if (verdict) verdicts.set(item.id, verdict);
  }
  return verdicts;
}

/** The judge's verdicts, fresh or cached (`rebuildReport` takes only cached ones: `cachedVerdicts`). */
async function judge(
  spec: ComparisonSpec,
  judgeSpec: JudgeSpec,
  answers: readonly EvalAnswer[],
  questions: ReadonlyMap<string, EvalQuestion>,
  options: EvaluateOptions,
  notes: string[],
): Promise<Map<string, JudgeVerdict> | undefined> {
  const items = judgeItems(answers, questions);
  const ref = parseModelRef(judgeSpec.model);
  const backend = ref ? options.sources.backend(ref.backend) : undefined;
  if (!ref || !backend) {
    notes.push(`The judge ${judgeSpec.model} is not available here${ref ? ` (no backend "${ref.backend}")` : ''}; answers were not judged.`);
    return undefined;
  }
  return judgeAnswers({
    spec: judgeSpec,
    backend,
    model: ref.model,
    items,
    outputDir: spec.outputDir,
    concurrency: spec.concurrency,
    signal: options.signal,
    onProgress: (done, total) => options.onProgress?.('judging', progressOf(total, done)),
  });
}

/** Writes the report as a whole file (a temporary file renamed over the old one): a reader never sees half a report. */
export function writeReport(outputDir: string, report: EvalReport): void {
  mkdirSync(outputDir, { recursive: true });
  const file = join(outputDir, reportFileName);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(report)}\n`);
  renameSync(temporary, file);
}

/** The document churn the last report measured (report mode runs no git), or undefined when there is none to read. */
async function previousChurn(outputDir: string): Promise<DocumentChurn | undefined> {
  try {
    const report = JSON.parse(await readBoundedText(join(outputDir, reportFileName), { kind: 'document', maxBytes: maxReportBytes })) as { documentChurn?: unknown };
    const churn = report.documentChurn;
    if (typeof churn !== 'object' || churn === null) return undefined;
    const { files, commitsLast90Days, filesChangedLast90Days, lastChange } = churn as Record<string, unknown>;
    const count = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value >= 0;
    if (!count(files) || !count(commitsLast90Days) || !count(filesChangedLast90Days)) return undefined;
    return { files, commitsLast90Days, filesChangedLast90Days, ...(count(lastChange) ? { lastChange } : {}) };
  } catch {
    return undefined;
  }
}

/** The documents whose churn argues for or against a fine-tune: the comparison's globs, else what the indexer reads. */
function documentGlobs(spec: ComparisonSpec): string[] {
  return spec.documents.length > 0 ? spec.documents : defaultDocumentGlobs;
}

/** What rebuilding only the report needs: no chat sources, no embedder (nothing is asked of any model). */
export interface RebuildOptions {
  spec: ComparisonSpec;
  strategies?: readonly string[];
  readText: EvaluateOptions['readText'];
  computation?: EvalComputation;
}

/** What every mode has gathered when the report is made. */
interface ReportMaterial {
  spec: ComparisonSpec;
  evalSet: EvalSet;
  answers: EvalAnswer[];
  scores: Map<string, AnswerScores>;
  judgements: Map<string, JudgeVerdict> | undefined;
  documentChurn: DocumentChurn | undefined;
  notes: string[];
  computation: EvalComputation;
  now: number;
}

/** Grades, contamination and training cost added to what was gathered; the report built and written. */
async function makeReport(material: ReportMaterial): Promise<EvalReport> {
  const { spec, evalSet, computation } = material;
  const questionIds = new Set(evalSet.questions.map((question) => question.id));
  // The report applies each grade only to the answer it was given to (its keys), legacy grades by name and id.
  const grades = readGrades(spec.outputDir).filter((grade) => spec.strategies.some((strategy) => strategy.name === grade.strategy) && questionIds.has(grade.questionId));
  const { contamination, notes: contaminationNotes } = await computation.contamination({ spec, questions: evalSet.questions });
  const training: Record<string, TrainingCost> = {};
  for (const strategy of spec.strategies) {
    if (strategy.fineTuned) training[strategy.name] = trainingCost(resolve(spec.root, strategy.fineTuned.run), { run: strategy.fineTuned.run });
  }
  return computation.report({
    spec,
    evalSet,
    answers: material.answers,
    scores: material.scores,
    ...(material.judgements ? { judgements: material.judgements } : {}),
    grades,
    contamination,
    training,
    ...(material.documentChurn ? { documentChurn: material.documentChurn } : {}),
    now: material.now,
    notes: [...material.notes, ...contaminationNotes],
  });
}

function usesDocuments(strategies: readonly StrategySpec[]): boolean {
  return strategies.some((strategy) => strategy.retrieval || strategy.fineTuned);
}

/**
 * Rebuilds the report from what is kept, asking nothing of any model and starting no process: the cached answers of
 * the strategies as they are now, scores recomputed from their texts with the embedding scores the last run kept, the
 * judge's cached verdicts, the grades, and the last report's document churn. Safe in an untrusted workspace (it reads
 * files of the workspace and writes report.json). Run state is neither read nor written.
 */
export async function rebuildReport(options: RebuildOptions): Promise<EvalReport> {
  const computation = options.computation ?? inProcessComputation(options.readText);
  const strategies = selectStrategies(options.spec, options.strategies);
  const spec: ComparisonSpec = { ...options.spec, strategies };
  const evalSet = readEvalSetOrThrow(spec.evalSet);
  const questions = evalSet.questions;
  const notes: string[] = [];
  mkdirSync(spec.outputDir, { recursive: true });

  const answers = await cachedAnswers(strategies, questions, AnswerCache.open(spec.outputDir), options.readText);
  const scores = await computation.score({ questions, answers, strategies });
  if (spec.embeddingModel !== undefined) {
    const missing = applyKeptEmbeddingScores(spec.outputDir, spec.embeddingModel, questions, answers, scores);
    if (missing > 0) notes.push(`Embedding scores of ${missing} answer(s) are left out: they are scored with the embedding model ${spec.embeddingModel} when the comparison runs.`);
  }
  const judgements = spec.judge ? await cachedVerdicts(spec, spec.judge, judgeItems(answers, new Map(questions.map((question) => [question.id, question])))) : undefined;
  if (judgements && spec.judge) {
    for (const [id, verdict] of judgements) scores.set(id, { ...scores.get(id), ...judgeScores(verdict, spec.judge) });
  }
  const churn = usesDocuments(strategies) ? await previousChurn(spec.outputDir) : undefined;
  return makeReport({ spec, evalSet, answers, scores, judgements, documentChurn: churn, notes, computation, now: Date.now() });
}

/**
 * The whole evaluation: eval set → answers (cached, resumable) → scores → judge → report, written to
 * `<outputDir>/report.json`. The CLI and the editor both call this. In `report` mode it is `rebuildReport`.
 */
export async function evaluateComparison(options: EvaluateOptions): Promise<{ report: EvalReport; cancelled: boolean }> {
  if (options.mode === 'report') {
    const report = await rebuildReport({
      spec: options.spec,
      readText: options.readText,
      ...(options.strategies ? { strategies: options.strategies } : {}),
      ...(options.computation ? { computation: options.computation } : {}),
    });
    return { report, cancelled: false };
  }
  const computation = options.computation ?? inProcessComputation(options.readText);
  const strategies = selectStrategies(options.spec, options.strategies);
  // The report covers the strategies asked for; everything else reads the comparison as written.
  const spec: ComparisonSpec = { ...options.spec, strategies };
  const evalSet = readEvalSetOrThrow(spec.evalSet);
  const questions = evalSet.questions;
  const notes: string[] = [];
  mkdirSync(spec.outputDir, { recursive: true });

  const previous = previousRun(spec.outputDir);
  if (previous.kind === 'running') throw new RunInProgressError(previous.state);
  if (options.fresh) {
    for (const file of [answersFileName, judgementsFileName, embeddingScoresFileName]) rmSync(join(spec.outputDir, file), { force: true });
  } else if (previous.kind === 'interrupted' && !options.resume) {
    throw new InterruptedRunError(previous.state);
  }
  let runState: EvalRunState = runningState(
    strategies.map((strategy) => strategy.name),
    strategies.length * questions.length,
  );
  writeRunState(spec.outputDir, runState);

  const finish = (state: EvalRunState['state'], error?: string): void => {
    runState = { ...runState, state, endedAt: Date.now(), ...(error !== undefined ? { error } : {}) };
    writeRunState(spec.outputDir, runState);
  };

  try {
    const cache = AnswerCache.open(spec.outputDir);
    let recordedAt = 0;
    const result = await runComparison({
      spec,
      questions,
      sources: options.sources,
      cache,
      strategies: strategies.map((strategy) => strategy.name),
      readText: options.readText,
      onProgress: (progress) => {
        options.onProgress?.('answering', progress);
        const now = Date.now();
        if (now - recordedAt >= progressRecordIntervalMs || progress.done === progress.total) {
          recordedAt = now;
          runState = { ...runState, done: progress.done, total: progress.total };
          writeRunState(spec.outputDir, runState);
        }
      },
      signal: options.signal,
    });
    const answers = result.answers;
    let cancelled = result.cancelled || options.signal.aborted;
    runState = { ...runState, done: result.progress.done, total: result.progress.total };

    const questionsById = new Map(questions.map((question) => [question.id, question]));
    let embeddings: Map<string, Float32Array> | undefined;
    if (options.embed && spec.embeddingModel !== undefined && !cancelled) {
      try {
        embeddings = await embedAll(textsToEmbed(questions, answers), options.embed, options.signal);
      } catch (error) {
        if (options.signal.aborted) cancelled = true;
        else notes.push(`Embedding similarity is left out: the embedding model ${spec.embeddingModel} failed (${errorMessage(error)}).`);
      }
    } else if (spec.embeddingModel !== undefined && !options.embed && !cancelled) {
      notes.push(`Embedding similarity is left out: the embedding model ${spec.embeddingModel} is not available here.`);
    }

    options.onProgress?.('scoring', progressOf(answers.length, 0));
    const scores = await computation.score({ questions, answers, strategies: spec.strategies, ...(embeddings ? { embeddings } : {}) });
    // Kept for rebuilding the report without the embedding model (report mode embeds nothing).
    if (embeddings && spec.embeddingModel !== undefined) keepEmbeddingScores(spec.outputDir, spec.embeddingModel, questions, answers, scores);

    let judgements: Map<string, JudgeVerdict> | undefined;
    if (spec.judge && !cancelled) {
      try {
        judgements = await judge(spec, spec.judge, answers, questionsById, options, notes);
      } catch (error) {
        if (options.signal.aborted) cancelled = true;
        else notes.push(`The judge failed: ${errorMessage(error)}; answers were not judged.`);
      }
      if (judgements && spec.judge) {
        for (const [id, verdict] of judgements) scores.set(id, { ...scores.get(id), ...judgeScores(verdict, spec.judge) });
      }
    }

    const now = Date.now();
    const churn = usesDocuments(strategies) ? await documentChurn(spec.root, documentGlobs(spec), now, options.signal) : undefined;
    const report = await makeReport({ spec, evalSet, answers, scores, judgements, documentChurn: churn, notes, computation, now });
    finish(cancelled ? 'cancelled' : 'finished');
    return { report, cancelled };
  } catch (error) {
    finish(options.signal.aborted ? 'cancelled' : 'failed', errorMessage(error));
    throw error;
  }
}
