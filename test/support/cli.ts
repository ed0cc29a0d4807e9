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
