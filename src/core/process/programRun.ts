/**
 * Runs a program to completion and hands back what it printed: the short-lived helper processes (the Python
 * environment probe, `python -m venv`, `pip install`). `ProcessLauncher` is for long-lived processes that speak
 * JSON-RPC and `processGroup.ts` for trainers that outlive their starter; these speak plain text and end by
 * themselves, so they need only this (started, like every program, by the launcher's `spawnProcess`): its own
 * process group (so that cancelling `pip` also ends the build backends it started), stdout kept up to a limit, the
 * tail of stderr for error messages, lines offered as they come (progress), a timeout and an `AbortSignal`.
 */
import { spawnProcess } from './launcher';
import { signalProcessGroup } from './processGroup';

export interface ProgramRunOptions {
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  signal?: AbortSignal;
  /** Ends the program (and its group) after this long; no limit without it. */
  timeoutMs?: number;
  /** stdout beyond this is an error: a program that prints without end is not answering (default 4 MiB). */
  maxStdoutBytes?: number;
  /** How much of stderr is kept (default 4000 characters). */
  stderrTailChars?: number;
  /** Each complete line of stdout or stderr as it arrives (carriage returns end a line too). */
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
}

export interface ProgramResult {
  /** The exit code; null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderrTail: string;
}

export type ProgramFailure = 'not-found' | 'failed-to-start' | 'timeout' | 'cancelled' | 'output-too-large';

/** The program could not run to its end: it was not found, could not start, ran too long, was cancelled or flooded stdout. */
export class ProgramRunError extends Error {
  constructor(
    readonly failure: ProgramFailure,
    message: string,
    readonly stderrTail = '',
  ) {
    super(message);
    this.name = 'ProgramRunError';
  }
}

/** How long a program asked to end (SIGTERM) may take before it is killed. */
const killGraceMs = 2000;

/** Runs `command args` and resolves with its exit status and output; rejects only when it could not run to its end. */
export function runProgram(options: ProgramRunOptions): Promise<ProgramResult> {
  const maxStdout = options.maxStdoutBytes ?? 4 * 2 ** 20;
  const tailChars = options.stderrTailChars ?? 4000;
  return new Promise<ProgramResult>((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new ProgramRunError('cancelled', `${options.command} was cancelled before it started`));
      return;
    }
    // A group of its own, so that ending it ends its children too (on Windows, taskkill /T ends the tree).
    const child = spawnProcess(options.command, options.args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      processGroup: true,
      ...(options.env ? { env: options.env } : {}),
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    });
    const stdoutChunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stderrTail = '';
    let failure: ProgramRunError | undefined;
    let settled = false;
    const partial = { stdout: '', stderr: '' };

    const emitLines = (stream: 'stdout' | 'stderr', text: string, flush: boolean): void => {
      if (!options.onLine) return;
      const pieces = (partial[stream] + text).split(/\r\n|\n|\r/);
      partial[stream] = flush ? '' : (pieces.pop() ?? '');
      for (const line of pieces) if (line.length > 0) options.onLine(stream, line);
    };

    let killTimer: NodeJS.Timeout | undefined;
    const endGroup = (why: ProgramRunError): void => {
      failure ??= why;
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      const pid = child.pid;
      signalProcessGroup(pid, 'SIGTERM');
      killTimer = setTimeout(() => signalProcessGroup(pid, 'SIGKILL'), killGraceMs);
    };

    const timeout =
      options.timeoutMs !== undefined
        ? setTimeout(() => endGroup(new ProgramRunError('timeout', `${options.command} did not finish within ${Math.round(options.timeoutMs! / 1000)} s`)), options.timeoutMs)
        : undefined;
    const onAbort = (): void => endGroup(new ProgramRunError('cancelled', `${options.command} was cancelled`));
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      outcome();
    };

    child.stdout!.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > maxStdout) {
        endGroup(new ProgramRunError('output-too-large', `${options.command} printed more than ${maxStdout} bytes`));
        return;
      }
      stdoutChunks.push(chunk);
      emitLines('stdout', chunk.toString(), false);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stderrTail = (stderrTail + text).slice(-tailChars);
      emitLines('stderr', text, false);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      const notFound = error.code === 'ENOENT';
      finish(() =>
        reject(new ProgramRunError(notFound ? 'not-found' : 'failed-to-start', notFound ? `${options.command} was not found` : `${options.command} could not be started: ${error.message}`)),
      );
    });
    child.on('close', (code, signal) => {
      emitLines('stdout', '', true);
      emitLines('stderr', '', true);
      // Whatever is left of the group goes with it: a grandchild must not outlive a finished run.
      if (process.platform !== 'win32' && child.pid !== undefined) signalProcessGroup(child.pid, 'SIGKILL');
      finish(() => {
        if (failure) reject(new ProgramRunError(failure.failure, failure.message, stderrTail.trim()));
        else resolve({ code, signal, stdout: Buffer.concat(stdoutChunks).toString(), stderrTail: stderrTail.trim() });
      });
    });
  });
}
