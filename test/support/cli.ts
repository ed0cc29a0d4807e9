import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/run';

export interface CapturedCliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the `chatwright` CLI in process, as a shell would, and captures what it prints. */
export async function runCliCaptured(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<CapturedCliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const stdin = new PassThrough();
  stdin.end(options.stdin ?? '');
  const code = await runCli(args, { stdout, stderr, stdin, cwd: options.cwd ?? process.cwd(), env: options.env ?? {} });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

/** A `chatwright` CLI started as a child process (for what only a real process shows: signals, exit codes). */
export interface CliChild {
  child: ChildProcessWithoutNullStreams;
  /** What it printed so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves once it printed a stdout line that matches. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Its exit code (or the signal's name) once it ends. */
  exited: Promise<number | NodeJS.Signals>;
}

const cliEntry = join(__dirname, '..', '..', 'src', 'cli', 'main.ts');
// By URL: the child runs in the test's scratch folder, where the bare name `tsx` resolves to nothing.
const tsxLoader = pathToFileURL(require.resolve('tsx')).href;

/** Starts `node --import tsx src/cli/main.ts <args>`; the caller waits for `exited` (or kills it) before the test ends. */
export function spawnCli(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): CliChild {
  const child = spawn(process.execPath, ['--import', tsxLoader, cliEntry, ...args], { cwd: options.cwd, env: options.env, stdio: 'pipe' });
  child.stdin.end();
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    for (const waiter of [...waiters]) waiter();
  });
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<number | NodeJS.Signals>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForOutput: (pattern, timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (!pattern.test(out)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no output matching ${pattern} within ${timeoutMs} ms; stdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        waiters.add(check);
        void exited.then(() => {
          if (!waiters.has(check)) return;
          waiters.delete(check);
          clearTimeout(timer);
          reject(new Error(`the CLI ended before printing ${pattern}; stdout:\n${out}\nstderr:\n${err}`));
        });
        check();
      }),
  };
}
