import { ChatTemplateError } from '../templates/chatTemplate';

/** A render that ran past its time limit; the worker that ran it was terminated. */
export class RenderTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RenderTimeoutError';
  }
}

/**
 * A render that failed; `origin` says whether the prompt template or the model's chat template is at fault. `cause`
 * is the error the render threw, of its own class with its fields (a TemplateBudgetError names its budget, an
 * UnsafeFileError its file), also when it was thrown in the render worker.
 */
export class RenderFailure extends Error {
  constructor(
    message: string,
    readonly origin: 'template' | 'model',
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'RenderFailure';
  }
}

export class RenderCancelledError extends Error {
  constructor() {
    super('The render was cancelled.');
    this.name = 'RenderCancelledError';
  }
}

/** Any error of a render as the RenderFailure the user reads: what went wrong, and whose template is at fault. */
export function renderFailureOf(error: unknown): RenderFailure {
  const origin = error instanceof ChatTemplateError ? 'model' : 'template';
  const cause = { cause: error };
  if (error instanceof RangeError && /call stack/i.test(error.message)) return new RenderFailure('The template recursed too deeply (a macro that calls itself without end?).', origin, cause);
  return new RenderFailure(error instanceof Error ? error.message : String(error), origin, cause);
}
