import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const testLogsDir = resolve(__dirname, '..', '..', 'test-output', 'logs');

export interface ChildRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a TypeScript module in a child Node (through tsx) with its stdout and stderr captured, and keeps the stderr in
 * test-output/logs/<logName>.stderr.log. For checks whose code under test writes straight to the process's stderr
 * from native code (onnxruntime's C++ logger), which no in-process redirect can catch: the test asserts on that
 * output instead of letting it reach the console of a passing run.
 */
export function runTypeScriptChild(logName: string, script: string, args: readonly string[], timeoutMs = 60_000): Promise<ChildRun> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (status) => {
      const run = { status, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
      mkdirSync(testLogsDir, { recursive: true });
      writeFileSync(join(testLogsDir, `${logName}.stderr.log`), run.stderr);
      resolveRun(run);
    });
  });
}
