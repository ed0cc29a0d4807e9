import { join } from 'node:path';
import { type ServerLaunch } from '../../src/core/jobs/jobRunner';
import { repoRoot } from './standinJobs';

/** The stand-in server (`test/fixtures/serving/standinServer.mjs`): serving events and `/health` without a model. */
export const standinServerScript = join(repoRoot, 'test', 'fixtures', 'serving', 'standinServer.mjs');

/** Runs the stand-in server under this Node on any free loopback port, serving `models`, with its behaviour from `env` (STANDIN_SERVER_*). */
export function standinServerLaunch(models: string[] = ['standin-model'], env: Record<string, string> = {}): ServerLaunch {
  return { command: process.execPath, args: [standinServerScript, ...models.flatMap((model) => ['--model', model]), '--host', '127.0.0.1', '--port', '0'], env };
}
