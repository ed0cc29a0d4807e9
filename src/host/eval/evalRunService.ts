import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as vscode from 'vscode';
import { type ChatSources } from '../../core/chat/chatRunner';
import { evaluateComparison } from '../../core/eval/evaluateComparison';
import { type ComparisonSpec, type EvalProgress, type EvalReport } from '../../core/eval/evalTypes';
import { comparisonEmbedder, comparisonSources, type EngineEmbedder } from './comparisonSources';
import { WorkerEvalComputation } from './evalWorkerComputation';

import { type EvalStage } from './evalProgressText';

export type { EvalStage };

export interface EvalRunRequest {
  spec: ComparisonSpec;
  strategies?: readonly string[];
  mode: 'run' | 'report';
  resume: boolean;
  fresh?: boolean;
}

export interface EvalRunResult {
  report: EvalReport;
  cancelled: boolean;
  /** The last progress of the answering stage (undefined for `report` mode, or a run that answered nothing). */
  progress?: EvalProgress;
}

export interface EvalRunServiceOptions {
  log: vscode.LogOutputChannel;
  /** The chat's sources: the same backends, templates, examples and index as the chat view. */
  chatSources: ChatSources;
  engine?: EngineEmbedder;
  /** The evaluation worker's script (dist/evalWorker.js). */
  workerScript: () => string;
  env?: NodeJS.ProcessEnv;
}

/** The report file of a comparison: `<outputDir>/report.json`. */
export function reportFileOf(spec: Pick<ComparisonSpec, 'outputDir'>): string {
  return join(spec.outputDir, 'report.json');
}

/** Eval set and examples paths are workspace-relative in the spec; the editor's unsaved text is not read here. */
function textReader(root: string): (relativePath: string) => Promise<string | undefined> {
  return async (relativePath) => {
    try {
      return await readFile(resolve(root, relativePath), 'utf8');
    } catch {
      return undefined;
    }
  };
}

/**
 * Runs comparisons in this window (`evaluateComparison`, the pipeline the CLI runs too): one run per comparison file
 * at a time, each stoppable; answers come from the chat's backends plus the file's endpoints, scoring and the report
 * are computed in a worker thread. Progress goes to `onProgress` listeners (the report panel's banner, the
 * notification); `onDidChange` fires when a run starts or ends (the CodeLens, the `chatwright.evalRunning` key).
 */
export class EvalRunService implements vscode.Disposable {
  private readonly runs = new Map<string, AbortController>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly options: EvalRunServiceOptions) {}

  isRunning(comparisonFile: string): boolean {
    return this.runs.has(resolve(comparisonFile));
  }

  get anyRunning(): boolean {
    return this.runs.size > 0;
  }

  /** Stops a comparison's run: the answers finished so far stay cached, and the next run continues from them. */
  stop(comparisonFile: string): boolean {
    const controller = this.runs.get(resolve(comparisonFile));
    controller?.abort();
    return controller !== undefined;
  }

  /** Stops every run of this window; false when none was running. */
  stopAll(): boolean {
    for (const controller of this.runs.values()) controller.abort();
    return this.runs.size > 0;
  }

  /**
   * Runs (or, in `report` mode, only rebuilds the report of) one comparison. Throws when the file already has a run
   * going, or when `signal` is already aborted (nothing is started then). `signal` stops it like `stop` does. A rebuild
   * (`report` mode) asks nothing of any model and starts no process: it runs wholly in the evaluation worker, and is
   * not a run (`isRunning` stays false, `stop` does not reach it).
   */
  async run(request: EvalRunRequest, onProgress: (stage: EvalStage, progress: EvalProgress) => void, signal?: AbortSignal): Promise<EvalRunResult> {
    signal?.throwIfAborted();
    if (request.mode === 'report') return this.rebuild(request);
    const file = resolve(request.spec.file);
    if (this.runs.has(file)) throw new Error(`${request.spec.name} is already running: stop it first, or wait for it to finish.`);
    const controller = new AbortController();
    const forward = () => controller.abort();
    signal?.addEventListener('abort', forward);
    this.runs.set(file, controller);
    this.changed.fire();
    const env = this.options.env ?? process.env;
    const computation = new WorkerEvalComputation(this.options.workerScript());
    let answering: EvalProgress | undefined;
    try {
      const sources = comparisonSources(this.options.chatSources, request.spec, env, request.strategies);
      const embed = comparisonEmbedder(request.spec, this.options.engine, env);
      const result = await evaluateComparison({
        spec: request.spec,
        sources,
        mode: 'run',
        resume: request.resume,
        ...(request.fresh ? { fresh: true } : {}),
        ...(request.strategies ? { strategies: request.strategies } : {}),
        readText: textReader(request.spec.root),
        ...(embed ? { embed } : {}),
        computation,
        onProgress: (stage, progress) => {
          if (stage === 'answering') answering = progress;
          onProgress(stage, progress);
        },
        signal: controller.signal,
      });
      this.logOutcome(request, result, answering);
      return { ...result, ...(answering ? { progress: answering } : {}) };
    } finally {
      signal?.removeEventListener('abort', forward);
      this.runs.delete(file);
      this.changed.fire();
      await computation.dispose();
    }
  }

  /** The report rebuilt from the cache in a worker of its own (the host's thread parses and scores nothing). */
  private async rebuild(request: EvalRunRequest): Promise<EvalRunResult> {
    const computation = new WorkerEvalComputation(this.options.workerScript());
    try {
      const report = await computation.rebuildReport(request.spec, request.strategies);
      const result = { report, cancelled: false };
      this.logOutcome(request, result, undefined);
      return result;
    } finally {
      await computation.dispose();
    }
  }

  private logOutcome(request: EvalRunRequest, result: { report: EvalReport; cancelled: boolean }, progress: EvalProgress | undefined): void {
    const where = reportFileOf(request.spec);
    if (request.mode === 'report') {
      this.options.log.info(`Comparison ${request.spec.name}: report rebuilt from the cached answers and grades: ${where}`);
      return;
    }
    const counts = progress
      ? `${progress.done}/${progress.total} answers (cached ${progress.cached}, new ${progress.done - progress.cached}, failed ${progress.failed})`
      : `${result.report.questions.length} questions`;
    this.options.log.info(`Comparison ${request.spec.name} ${result.cancelled ? 'stopped' : 'finished'}: ${counts}; report: ${where}`);
  }

  dispose(): void {
    for (const controller of this.runs.values()) controller.abort();
    this.changed.dispose();
  }
}
