import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { type TemplateBudgets } from '../templates/guardedTemplates';
import { type RenderedPrompt, type RenderRequest } from './renderPrompt';

export interface SandboxOptions {
  /** The worker script: dist/renderWorker.js when bundled, or renderWorker.ts (run through tsx) under tests. */
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

export class RenderTimeoutError extends Error {}

/** A render that failed; `origin` says whether the prompt template or the model's chat template is at fault. */
export class RenderFailure extends Error {
  constructor(
    message: string,
    readonly origin: 'template' | 'model',
  ) {
    super(message);
    this.name = 'RenderFailure';
  }
}

export class RenderCancelledError extends Error {
  constructor() {
    super('The render was cancelled.');
    this.name = 'RenderCancelledError';
  }
}

/** The worker's own budget check gives the clear message first; terminating it is the backstop. */
const terminationGraceMs = 250;

/**
 * Renders templates in a worker thread with a time limit. One render runs at a time; a newer request for the
 * same key (the same document) supersedes a queued one, so a fast typist never builds a backlog.
 */
export class RenderSandbox {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: RenderedPrompt) => void; reject: (error: Error) => void; timer: NodeJS.Timeout; expire: (ms: number, message: string) => NodeJS.Timeout }>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SandboxOptions) {}

  /** Renders in the worker; `signal` cancels: a queued render never starts, a running one is terminated. */
  render(request: RenderRequest, signal?: AbortSignal): Promise<RenderedPrompt> {
    const run = this.chain.then(() => this.renderNow(request, signal));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private renderNow(request: RenderRequest, signal?: AbortSignal): Promise<RenderedPrompt> {
    if (signal?.aborted) return Promise.reject(new RenderCancelledError());
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<RenderedPrompt>((resolve, reject) => {
      const expire = (ms: number, message: string): NodeJS.Timeout =>
        setTimeout(() => {
          this.pending.delete(id);
          reject(new RenderTimeoutError(message));
          this.restart();
        }, ms);
      // Starting a worker (loading its code) is not the template's time: the limit starts when the worker begins.
      const startLimit = this.options.modelTimeoutMs ?? 30_000;
      const timer = expire(startLimit, `The render worker did not start within ${startLimit / 1000} s.`);
      const onAbort = (): void => {
        const entry = this.pending.get(id);
        if (!entry) return;
        this.pending.delete(id);
        clearTimeout(entry.timer);
        reject(new RenderCancelledError());
        this.restart();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = <T>(finish: (value: T) => void) => (value: T): void => {
        signal?.removeEventListener('abort', onAbort);
        finish(value);
      };
      this.pending.set(id, { resolve: settle(resolve), reject: settle(reject), timer, expire });
      worker.postMessage({ id, request, budgets: { ...this.options.budgets, timeMs: this.options.timeoutMs } });
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    // A TypeScript worker (tests, under tsx) is started through tsx's CommonJS hook; the bundle runs directly.
    const typescript = this.options.workerScript.endsWith('.ts');
    const script = typescript ? `require('tsx/cjs/api').register(); require(${JSON.stringify(this.options.workerScript)});` : this.options.workerScript;
    const worker = new Worker(script, {
      eval: typescript,
      execArgv: this.options.execArgv,
      resourceLimits: { maxOldGenerationSizeMb: this.options.maxHeapMb ?? 512, stackSizeMb: 4 },
      env: {},
    });
    worker.unref();
    worker.on('message', (message: { id: number; result?: RenderedPrompt; error?: string; origin?: 'template' | 'model'; phase?: 'template' | 'model' }) => {
      const entry = this.pending.get(message.id);
      if (!entry) return;
      if (message.phase === 'template') {
        clearTimeout(entry.timer);
        entry.timer = entry.expire(this.options.timeoutMs + terminationGraceMs, `Rendering stopped after ${this.options.timeoutMs} ms: the template runs too long (a huge loop or runaway recursion?).`);
        return;
      }
      if (message.phase === 'model') {
        clearTimeout(entry.timer);
        const limit = this.options.modelTimeoutMs ?? 30_000;
        entry.timer = entry.expire(limit, `Loading the model's tokenizer and chat template took over ${limit / 1000} s; stopped.`);
        return;
      }
      this.pending.delete(message.id);
      clearTimeout(entry.timer);
      if (message.error !== undefined) entry.reject(new RenderFailure(message.error, message.origin ?? 'template'));
      else entry.resolve(message.result!);
    });
    const fail = (error: Error): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const reason = /heap|memory/i.test(error.message) ? 'The template used too much memory while rendering (a huge loop?).' : `The renderer stopped: ${error.message}`;
      for (const [id, entry] of this.pending) {
        clearTimeout(entry.timer);
        entry.reject(new Error(reason));
        this.pending.delete(id);
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private restart(): void {
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
  }

  async dispose(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    for (const entry of this.pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(new Error('The renderer was closed.'));
    }
    this.pending.clear();
    await worker?.terminate();
  }
}

/** The worker script beside this module: dist/renderWorker.js in the bundles, renderWorker.ts under tsx. */
export function defaultRenderWorkerScript(): string {
  const bundled = join(__dirname, 'renderWorker.js');
  return existsSync(bundled) ? bundled : join(__dirname, 'renderWorker.ts');
}
