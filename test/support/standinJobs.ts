import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { resolveJobText } from '../../src/core/jobs/jobFile';
import { type JobRunOptions, type TrainerLaunch } from '../../src/core/jobs/jobRunner';
import { prepareRun } from '../../src/core/jobs/runFolder';

export const repoRoot = resolve(__dirname, '..', '..');
export const pythonFolder = join(repoRoot, 'python');
export const standinTrainer = join(repoRoot, 'test', 'fixtures', 'jobs', 'standin_trainer.py');
export const standinTrainFile = join(repoRoot, 'test', 'fixtures', 'jobs', 'standin-train.jsonl');

/** The stand-in trainer (`test/fixtures/jobs/standin_trainer.py`) with its behaviour from `env` (STANDIN_*). */
export function standinLaunch(env: Record<string, string> = {}): TrainerLaunch {
  return { python: 'python3', pythonPath: pythonFolder, script: standinTrainer, env: { STANDIN_STEP_SECONDS: '0.05', PYTHONDONTWRITEBYTECODE: '1', ...env } };
}

/** Short escalation timeouts, so that a test of SIGTERM/SIGKILL takes a second, not half a minute. */
export const quickTimeouts: Pick<JobRunOptions, 'stopTimeoutMs' | 'killTimeoutMs' | 'cancelStepMs' | 'pollMs'> = { stopTimeoutMs: 5_000, killTimeoutMs: 700, cancelStepMs: 700, pollMs: 50 };

/**
 * A workspace with a job file and its dataset, and a prepared run folder for it (`prepareRun`), as the CLI and the
 * host make one. `training` is YAML under `training:` (e.g. `save_steps: 3`).
 */
export function prepareStandinRun(workspace: string, name = 'persona', training = 'save_steps: 3', now?: Date): string {
  mkdirSync(join(workspace, 'data'), { recursive: true });
  // The stand-in loads no model, but the job file's checks want the folder to exist.
  mkdirSync(join(workspace, 'models', 'tiny'), { recursive: true });
  copyFileSync(standinTrainFile, join(workspace, 'data', 'chat-train.jsonl'));
  const jobFile = join(workspace, `${name}.job.yaml`);
  const text = `model:\n  path: ./models/tiny\ndata:\n  train: data/chat-train.jsonl\ntraining:\n  ${training}\n`;
  writeFileSync(jobFile, text);
  const result = resolveJobText(text, jobFile);
  if (!result.config) throw new Error(`the test job does not resolve: ${JSON.stringify(result.problems)}`);
  return prepareRun({ workspaceRoot: workspace, jobFile, name, config: result.config, ...(now ? { now } : {}) });
}
