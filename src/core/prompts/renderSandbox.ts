import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { renderPhaseProgress, renderRequest, type RenderPhase } from '../../shared/renderProtocol';
import { registerRevivableErrors } from '../../shared/rpc/errorTransport';
import { UnsafeFileError } from '../files/boundedRead';
import { ProcessCrashedError, ProcessLauncher, ProcessStoppedError } from '../process/launcher';
import { withProgress } from '../rpc/connection';
import { ChatTemplateError } from '../templates/chatTemplate';
import { TemplateBudgetError, type TemplateBudgets } from '../templates/guardedTemplates';
import { RenderCancelledError, renderFailureOf, RenderTimeoutError } from './renderErrors';
import { type RenderedPrompt, type RenderRequest } from './renderPrompt';

export interface SandboxOptions {
  /** The worker script: dist/renderWorker.js when bundled, or src/worker/renderWorker.ts (run through tsx) under tests. */
  workerScript: string;
  execArgv?: string[];
  /** A template render that takes longer is stopped (the worker is terminated and replaced). */
  timeoutMs: number;
  /** The limit once the template is rendered and the model's tokenizer and chat template are loaded (default 30 s). */
  modelTimeoutMs?: number;
  /** Heap limit of the worker, so a template that builds a huge string fails instead of exhausting memory. */
  maxHeapMb?: number;
  /** The templates' loop, output and depth budgets inside the worker (defaults: guardedTemplates.ts); time is `timeoutMs`. */
  budgets?: Partial<Omit<TemplateBudgets, 'timeMs'>>;
}

/** The worker's own budget check gives the clear message first; terminating it is the backstop. */
const terminationGraceMs = 250;

// What a render throws in the worker reaches the sandbox as the same class, with its fields. RangeError is the
// stack overflow of a runaway recursion.
registerRevivableErrors({ TemplateBudgetError, UnsafeFileError, ChatTemplateError, RangeError });

/**
 * Renders templates in a worker thread with a time limit. One render runs at a time; a newer request for the
 * same key (the same document) supersedes a queued one, so a fast typist never builds a backlog.
 */
export class RenderSandbox {
  private readonly launcher: ProcessLauncher;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SandboxOptions) {
    this.launcher = new ProcessLauncher({
      name: 'The template renderer',
      target: {
        kind: 'worker',
        entry: options.workerScript,
        ...(options.execArgv ? { execArgv: options.execArgv } : {}),
        resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb ?? 512, stackSizeMb: 4 },
        // Templates see no environment but the variables a render request passes in.
        env: {},
        unref: true,
      },
    });
  }

  /** Whether a worker is running: it starts with the first render, and again after one was stopped. */
  get running(): boolean {
    return this.launcher.running;
  }

  /** Renders in the worker; `signal` cancels: a queued render never starts, a running one is terminated. */
  render(request: RenderRequest, signal?: AbortSignal): Promise<RenderedPrompt> {
    const run = this.chain.then(() => this.renderNow(request, signal));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async renderNow(request: RenderRequest, signal?: AbortSignal): Promise<RenderedPrompt> {
    if (signal?.aborted) throw new RenderCancelledError();
    const connection = await this.launcher.connection().catch((error: unknown) => {
      throw this.describeEnd(error);
    });
    return new Promise<RenderedPrompt>((resolve, reject) => {
      let settled = false;
      const settle = (finish: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        finish();
      };
      // A render past its limit, or cancelled, is stopped by terminating the worker; the next render starts another.
      const stopWith = (error: Error): void =>
        settle(() => {
          reject(error);
          void this.launcher.stop();
        });
      const expire = (ms: number, message: string): NodeJS.Timeout => setTimeout(() => stopWith(new RenderTimeoutError(message)), ms);
      const onAbort = (): void => stopWith(new RenderCancelledError());
      // Starting a worker (loading its code) is not the template's time: the limit starts when the worker begins.
      const modelLimit = this.options.modelTimeoutMs ?? 30_000;
      let timer = expire(modelLimit, `The render worker did not start within ${modelLimit / 1000} s.`);
      signal?.addEventListener('abort', onAbort, { once: true });
      const onPhase = (phase: RenderPhase): void => {
        if (settled) return;
        clearTimeout(timer);
        timer =
          phase === 'template'
            ? expire(this.options.timeoutMs + terminationGraceMs, `Rendering stopped after ${this.options.timeoutMs} ms: the template runs too long (a huge loop or runaway recursion?).`)
            : expire(modelLimit, `Loading the model's tokenizer and chat template took over ${modelLimit / 1000} s; stopped.`);
      };
      const budgets = { ...this.options.budgets, timeMs: this.options.timeoutMs };
      withProgress(connection, renderPhaseProgress, onPhase, (phaseToken) => this.launcher.request(renderRequest, { request, budgets, phaseToken })).then(
        (rendered) => settle(() => resolve(rendered)),
        (error: unknown) => settle(() => reject(this.describeEnd(error))),
      );
    });
  }

  /** The error a render fails with: the worker's end in words, or what the render threw as a RenderFailure. */
  private describeEnd(error: unknown): Error {
    if (error instanceof ProcessStoppedError) return new Error('The renderer was closed.');
    if (error instanceof ProcessCrashedError) {
      return error.crash.exit.kind === 'outOfMemory' ? new Error('The template used too much memory while rendering (a huge loop?).') : new Error(`The renderer stopped: ${error.crash.reason}`);
    }
    return renderFailureOf(error);
  }

  async dispose(): Promise<void> {
    await this.launcher.dispose();
  }
}

/** The worker's entry beside this bundle (dist/renderWorker.js), or its TypeScript source under tsx. */
export function defaultRenderWorkerScript(): string {
  const bundled = join(__dirname, 'renderWorker.js');
  return existsSync(bundled) ? bundled : join(__dirname, '..', '..', 'worker', 'renderWorker.ts');
}
