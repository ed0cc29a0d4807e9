/**
 * Runs a comparison: every selected strategy answers every question through the chat pipeline (`runExchange`, the
 * same code the chat view runs, so "what the model saw" means the same thing in both), and each answer is appended to
 * the answer cache as it settles.
 *
 * Scheduling: one queue per backend (the `<backend>` of `<backend>/<model>`), each with `spec.concurrency` slots of
 * its own, so a slow endpoint never holds up the engine or another endpoint. Within a queue, answers go question by
 * question, every strategy of a question before the next question: a run stopped half-way has covered all strategies
 * on the same questions, which is what a comparison needs.
 *
 * Resume: an answer whose (strategy key, question key) is in the cache as `done` is reused, never asked again; a
 * failed or stopped one is asked again. A backend that is unreachable for several answers in a row fails its
 * remaining answers at once with the same error rather than waiting on each, and says so in the progress.
 */
import { setMaxListeners } from 'node:events';
import { type ChatSources, runExchange } from '../chat/chatRunner';
import { parseModelRef } from '../chat/backend';
import { type AssistantMessage, type ChatSettings } from '../chat/chatTypes';
import { newConversation, startExchange } from '../chat/conversation';
import { withLinkedSignal } from '../inference/abort';
import { type AnswerCache } from './answerCache';
import { type ComparisonSpec, type EvalAnswer, type EvalProgress, type EvalQuestion, type StrategySpec } from './evalTypes';
import { ingredientError, ingredientMissingCode, missingIngredient, watchedSources } from './ingredients';
import { questionKey, strategyKey } from './strategyKey';

export interface RunComparisonInput {
  spec: ComparisonSpec;
  questions: readonly EvalQuestion[];
  /** The chat pipeline's sources: the same backends, templates, examples and retrieval as the chat view. */
  sources: ChatSources;
  cache: AnswerCache;
  /** Run only these strategies (by name; names not in the comparison are ignored, the caller checks them); default all. */
  strategies?: readonly string[];
  /** Reads a workspace-relative file's text (templates, examples files), for the strategies' cache keys. */
  readText: (relativePath: string) => Promise<string | undefined>;
  /** Called at most every 100 ms, and once at the end. */
  onProgress?: (progress: EvalProgress) => void;
  /** Called with each answer this run produced (not with the cached ones), once it is in the cache. */
  onAnswer?: (answer: EvalAnswer) => void;
  signal: AbortSignal;
  /** The clock of progress (its throttling and ETA), in milliseconds; default `Date.now`. */
  now?: () => number;
}

export interface RunComparisonResult {
  /** The latest answer of every strategy × question of this run (cached or new). */
  answers: EvalAnswer[];
  progress: EvalProgress;
  cancelled: boolean;
}

/** Answers in a row that fail with `backend-unavailable` before a backend's remaining answers fail without being sent. */
export const unreachableAfterFailures = 3;
const progressIntervalMs = 100;
/** The ETA is the rate of the last this-many answers: recent enough to follow a backend slowing down, long enough to smooth bursts. */
const etaWindow = 64;

/** One strategy's answer to one question, still to be produced. */
interface AnswerTask {
  strategy: StrategySpec;
  strategyKey: string;
  question: EvalQuestion;
  questionKey: string;
  /** Where its answer goes in the result. */
  slot: number;
}

/** A backend's queue and what the run has learned of the backend. */
interface BackendQueue {
  backend: string;
  tasks: AnswerTask[];
  next: number;
  consecutiveUnavailable: number;
  /** Set once the backend is deemed unreachable: the error its remaining answers fail with. */
  down?: { code: string; message: string };
}

/**
 * Answers every question with every strategy through the chat pipeline (`runExchange`), at most
 * `spec.concurrency` requests in flight per backend, reusing cached answers whose keys match. Never throws for a
 * failed answer (it is recorded with its error); rejects only when the cache cannot be written.
 */
export async function runComparison(input: RunComparisonInput): Promise<RunComparisonResult> {
  const now = input.now ?? Date.now;
  const wanted = input.strategies ? new Set(input.strategies) : undefined;
  const strategies = input.spec.strategies.filter((strategy) => !wanted || wanted.has(strategy.name));
  const strategyKeys = await Promise.all(strategies.map(async (strategy) => strategyKey(strategy, await strategyTexts(strategy, input.readText))));
  const questionKeys = input.questions.map(questionKey);
  const progress = new ProgressTracker(strategies, input.questions.length, now, input.onProgress);

  // Question by question, every strategy of a question before the next: a partial run covers all strategies evenly.
  const results: (EvalAnswer | undefined)[] = [];
  const queues = new Map<string, BackendQueue>();
  input.questions.forEach((question, q) => {
    strategies.forEach((strategy, s) => {
      const slot = results.length;
      const cached = input.cache.get(strategyKeys[s]!, questionKeys[q]!);
      if (cached) {
        results.push(relabelled(cached, strategy.name, question.id));
        progress.reused(strategy.name);
        return;
      }
      // An earlier failed or stopped answer stands in the result until this run replaces it.
      const earlier = input.cache.latest(strategyKeys[s]!, questionKeys[q]!);
      results.push(earlier ? relabelled(earlier, strategy.name, question.id) : undefined);
      const backend = parseModelRef(strategy.model)?.backend ?? strategy.model;
      let queue = queues.get(backend);
      if (!queue) queues.set(backend, (queue = { backend, tasks: [], next: 0, consecutiveUnavailable: 0 }));
      queue.tasks.push({ strategy, strategyKey: strategyKeys[s]!, question, questionKey: questionKeys[q]!, slot });
    });
  });

  // Stops launching and aborts what is in flight: on the caller's cancel, or when the cache cannot be written.
  const stop = new AbortController();
  const stopOnCancel = () => stop.abort();
  input.signal.addEventListener('abort', stopOnCancel, { once: true });
  if (input.signal.aborted) stop.abort();
  let writeFailure: Error | undefined;

  const record = (slot: number, answer: EvalAnswer) => {
    results[slot] = answer;
    try {
      input.cache.append(answer);
      input.onAnswer?.(answer);
    } catch (error) {
      writeFailure ??= error instanceof Error ? error : new Error(`The answer cache ${input.cache.file} cannot be written.`, { cause: error });
      stop.abort();
    }
  };

  const answerOne = async (queue: BackendQueue, task: AnswerTask) => {
    const startedAt = Date.now();
    progress.launched();
    const { conversation, answer } = conversationFor(task.strategy, task.question);
    // Its own signal, tied to the run's: whatever a backend leaves listening on it goes with the answer.
    const watched = watchedSources(input.sources);
    await withLinkedSignal(stop.signal, (signal) => runExchange(conversation, answer, watched.sources, { onToken: () => undefined }, signal));
    let answered = answerRecord(task, answer, startedAt, Date.now());
    const failedIngredient = watched.failure();
    if (answered.status === 'error' && failedIngredient) answered = { ...answered, error: ingredientError(failedIngredient.ingredient, failedIngredient.message) };
    if (answered.status === 'error' && answered.error?.code === 'backend-unavailable') {
      queue.consecutiveUnavailable += 1;
      if (queue.consecutiveUnavailable >= unreachableAfterFailures && !queue.down) {
        queue.down = answered.error;
        progress.backendDown(queue.backend, answered.error.message);
      }
    } else if (answered.status !== 'stopped') {
      queue.consecutiveUnavailable = 0;
    }
    record(task.slot, answered);
    progress.settled(task.strategy.name, answered.status, { measured: true });
  };

  const failFast = (queue: BackendQueue, task: AnswerTask, error: { code: string; message: string }) => {
    const at = Date.now();
    const failed: EvalAnswer = {
      ...identity(task),
      status: 'error',
      content: '',
      error: { ...error },
      messages: [],
      passages: [],
      examples: [],
      notes: [`Not sent: ${queue.backend} failed ${unreachableAfterFailures} answers in a row as unreachable, so its remaining answers fail at once. The next run asks again.`],
      startedAt: at,
      finishedAt: at,
    };
    record(task.slot, failed);
    progress.settled(task.strategy.name, 'error', { measured: false });
  };

  // A strategy whose ingredient these sources cannot give fails without being sent (and is asked again next run).
  const lacking = (task: AnswerTask) => {
    const message = missingIngredient(task.strategy, input.sources);
    if (message === undefined) return false;
    const at = Date.now();
    record(task.slot, {
      ...identity(task),
      status: 'error',
      content: '',
      error: { code: ingredientMissingCode, message },
      messages: [],
      passages: [],
      examples: [],
      notes: [],
      startedAt: at,
      finishedAt: at,
    });
    progress.settled(task.strategy.name, 'error', { measured: false });
    return true;
  };

  const slot = async (queue: BackendQueue) => {
    while (!stop.signal.aborted) {
      const task = queue.tasks[queue.next++];
      if (!task) return;
      if (lacking(task)) continue;
      if (queue.down) failFast(queue, task, queue.down);
      else await answerOne(queue, task);
    }
  };

  const limit = Math.max(1, Math.floor(input.spec.concurrency) || 1);
  // One listener per answer in flight, on every backend at once: more than Node's default warning threshold of 10.
  setMaxListeners(limit * queues.size + 10, stop.signal);
  try {
    progress.start();
    await Promise.all([...queues.values()].flatMap((queue) => Array.from({ length: Math.min(limit, queue.tasks.length) }, () => slot(queue))));
  } finally {
    input.signal.removeEventListener('abort', stopOnCancel);
  }
  if (writeFailure !== undefined) {
    progress.dispose();
    throw writeFailure;
  }
  const finalProgress = progress.finish();
  // A cancel that came after the last answer settled cancelled nothing.
  const cancelled = input.signal.aborted && finalProgress.done < finalProgress.total;
  return { answers: results.filter((answer): answer is EvalAnswer => answer !== undefined), progress: finalProgress, cancelled };
}

/** The texts that are part of a strategy's key; a file that cannot be read keys as missing. */
async function strategyTexts(strategy: StrategySpec, readText: (relativePath: string) => Promise<string | undefined>): Promise<{ template?: string; examples?: string }> {
  const read = (path: string | undefined) => (path === undefined ? Promise.resolve(undefined) : readText(path).catch(() => undefined));
  const [template, examples] = await Promise.all([read(strategy.template), read(strategy.fewShot?.examples)]);
  return { ...(template !== undefined ? { template } : {}), ...(examples !== undefined ? { examples } : {}) };
}

/** A cached answer under the names of this run: a renamed strategy or a re-numbered question keeps its answers. */
function relabelled(answer: EvalAnswer, strategy: string, questionId: string): EvalAnswer {
  return answer.strategy === strategy && answer.questionId === questionId ? answer : { ...answer, strategy, questionId };
}

function identity(task: AnswerTask): Pick<EvalAnswer, 'strategy' | 'strategyKey' | 'questionId' | 'questionKey'> {
  return { strategy: task.strategy.name, strategyKey: task.strategyKey, questionId: task.question.id, questionKey: task.questionKey };
}

/** The chat settings a strategy stands for. */
export function chatSettingsOf(strategy: StrategySpec): ChatSettings {
  const { fewShot, retrieval } = strategy;
  return {
    model: strategy.model,
    ...(strategy.template !== undefined ? { template: strategy.template } : {}),
    fewShot: fewShot
      ? { enabled: true, k: fewShot.k, selection: fewShot.selection, seed: fewShot.seed, ...(fewShot.examples !== undefined ? { examplesFile: fewShot.examples } : {}) }
      : { enabled: false, k: 0 },
    rag: retrieval ? { enabled: true, k: retrieval.k, ...(retrieval.index !== undefined ? { index: retrieval.index } : {}) } : { enabled: false, k: 0 },
    temperature: strategy.temperature,
    maxTokens: strategy.maxTokens,
    ...(strategy.seed !== undefined ? { seed: strategy.seed } : {}),
  };
}

/** A conversation holding the question's earlier turns and the question, with the answer to stream into. */
function conversationFor(strategy: StrategySpec, question: EvalQuestion): { conversation: ReturnType<typeof newConversation>; answer: AssistantMessage } {
  const conversation = newConversation(chatSettingsOf(strategy));
  const at = Date.now();
  question.history.forEach((turn, i) => {
    const id = `history-${i}`;
    conversation.messages.push(turn.role === 'user' ? { id, role: 'user', content: turn.content, createdAt: at } : { id, role: 'assistant', content: turn.content, createdAt: at, status: 'done' });
  });
  const answer = startExchange(conversation, question.question, strategy.model);
  return { conversation, answer };
}

/** What the cache keeps of a settled answer: its text or error, its stats, and everything the model was given. */
function answerRecord(task: AnswerTask, answer: AssistantMessage, startedAt: number, finishedAt: number): EvalAnswer {
  const input = answer.input;
  const status: EvalAnswer['status'] = answer.status === 'done' ? 'done' : answer.status === 'error' ? 'error' : 'stopped';
  return {
    ...identity(task),
    status,
    content: answer.content,
    ...(answer.reasoning !== undefined ? { reasoning: answer.reasoning } : {}),
    ...(status === 'error' ? { error: answer.error ? { code: answer.error.code, message: answer.error.message } : { code: 'engine-failure', message: 'The answer failed without a message.' } } : {}),
    ...(answer.stats ? { stats: { ...answer.stats } } : {}),
    messages: input ? input.messages.map((m) => ({ role: m.role, content: m.content })) : [],
    passages: input ? input.passages : [],
    examples: input ? input.examples : [],
    notes: input ? [...input.notes] : [],
    startedAt,
    finishedAt,
  };
}

/**
 * Counts, throttled reports and the ETA. `done` counts finished answers (done or failed; a stopped one is not
 * finished); the ETA is the remaining answers over the rate of the last answers this run produced, so cached answers
 * do not make it look fast and answers failed without being sent do not either.
 */
class ProgressTracker {
  private readonly state: EvalProgress;
  /** The run's start, then the finishing time of each measured answer, the last `etaWindow + 1` kept. */
  private readonly finishTimes: number[] = [];
  private lastEmit = -Infinity;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    strategies: readonly StrategySpec[],
    questions: number,
    private readonly now: () => number,
    private readonly onProgress: ((progress: EvalProgress) => void) | undefined,
  ) {
    this.state = {
      total: strategies.length * questions,
      done: 0,
      cached: 0,
      failed: 0,
      running: 0,
      perStrategy: Object.fromEntries(strategies.map((strategy) => [strategy.name, { total: questions, done: 0, failed: 0 }])),
    };
  }

  reused(strategy: string): void {
    this.state.done += 1;
    this.state.cached += 1;
    this.state.perStrategy[strategy]!.done += 1;
  }

  start(): void {
    this.finishTimes.push(this.now());
    this.changed();
  }

  launched(): void {
    this.state.running += 1;
    this.changed();
  }

  settled(strategy: string, status: EvalAnswer['status'], how: { measured: boolean }): void {
    if (how.measured) this.state.running -= 1;
    if (status !== 'stopped') {
      this.state.done += 1;
      this.state.perStrategy[strategy]!.done += 1;
      if (status === 'error') {
        this.state.failed += 1;
        this.state.perStrategy[strategy]!.failed += 1;
      }
    }
    if (how.measured && status !== 'stopped') {
      this.finishTimes.push(this.now());
      if (this.finishTimes.length > etaWindow + 1) this.finishTimes.shift();
    }
    if (this.finishTimes.length > 1) {
      const perAnswerMs = Math.max(1, this.finishTimes.at(-1)! - this.finishTimes[0]!) / (this.finishTimes.length - 1);
      this.state.etaSeconds = ((this.state.total - this.state.done) * perAnswerMs) / 1000;
    }
    this.changed();
  }

  backendDown(backend: string, message: string): void {
    (this.state.unavailableBackends ??= []).push({ backend, message });
    this.changed();
  }

  /** The last report: always sent, whatever the throttle. */
  finish(): EvalProgress {
    this.dispose();
    if (this.state.done === this.state.total) this.state.etaSeconds = 0;
    const snapshot = this.snapshot();
    this.onProgress?.(snapshot);
    return snapshot;
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Reports now when the last report is 100 ms old, else once it will be (one timer at a time). */
  private changed(): void {
    if (!this.onProgress) return;
    const wait = this.lastEmit + progressIntervalMs - this.now();
    if (wait <= 0) this.emit();
    else this.timer ??= setTimeout(() => this.emit(), Math.min(wait, progressIntervalMs));
  }

  private emit(): void {
    this.dispose();
    this.lastEmit = this.now();
    this.onProgress?.(this.snapshot());
  }

  private snapshot(): EvalProgress {
    const { etaSeconds, unavailableBackends, perStrategy, ...counts } = this.state;
    return {
      ...counts,
      ...(etaSeconds !== undefined ? { etaSeconds } : {}),
      perStrategy: Object.fromEntries(Object.entries(perStrategy).map(([name, row]) => [name, { ...row }])),
      ...(unavailableBackends ? { unavailableBackends: unavailableBackends.map((entry) => ({ ...entry })) } : {}),
    };
  }
}
