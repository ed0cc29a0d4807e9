import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { scratchDir } from '../../support/scratchDir';

const holder = join(__dirname, '..', '..', 'support', 'children', 'slurmClusterHolder.ts');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts the holder, waits for its daemon's pid, signals it; resolves with its exit code and the daemon's pid. */
async function interrupted(signal: 'SIGINT' | 'SIGTERM', conf: string, dir: string): Promise<{ code: number | null; daemonPid: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', holder, conf, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const daemonPid = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    child.once('exit', () => reject(new Error(`the holder ended before it started its daemon: ${out}`)));
  });
  const code = await new Promise<number | null>((resolve) => {
    child.once('exit', (exitCode) => resolve(exitCode));
    child.kill(signal);
  });
  return { code, daemonPid };
}

describe('the Slurm test cluster when its test process is interrupted', () => {
  for (const [signal, expectedCode] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`ends the cluster's processes and removes its folder on ${signal}, then exits with ${expectedCode}`, async (t) => {
      const dir = join(scratchDir('cluster-cleanup', t), 'cluster');
      mkdirSync(dir);
      const conf = join(dir, 'slurm.conf');
      writeFileSync(conf, '# stands in for a cluster config\n');
      const { code, daemonPid } = await interrupted(signal, conf, dir);
      t.after(() => {
        if (isAlive(daemonPid)) process.kill(daemonPid, 'SIGKILL');
      });
      assert.equal(code, expectedCode);
      // SIGKILL is delivered at once, but the orphan is reaped by init: poll briefly for it to be gone.
      for (let tries = 0; tries < 50 && isAlive(daemonPid); tries++) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(isAlive(daemonPid), false, `the daemon ${daemonPid} still runs`);
      assert.equal(existsSync(dir), false);
    });
  }
});
