import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext } from 'node:test';
import { generateDecoderModel } from './modelGenerator';
import { scratchDir } from './scratchDir';

const repo = join(__dirname, '..', '..');
/** The stand-in trainer: speaks the trainer's event protocol without torch (test/fixtures/jobs/standin_trainer.py). */
export const standinTrainer = join(repo, 'test', 'fixtures', 'jobs', 'standin_trainer.py');

let generatedModel: string | undefined;

/**
 * A small Llama-architecture model folder with Qwen3's real tokenizer and chat template, generated once per test
 * file: preflight reads its config and tokenizer (training itself is the stand-in's).
 */
export function trainingModelFolder(): string {
  if (!generatedModel) {
    generatedModel = scratchDir('job-model');
    generateDecoderModel(generatedModel, { architecture: 'llama', hiddenSize: 32, layers: 2, heads: 2, kvHeads: 1 });
  }
  return generatedModel;
}

export interface JobWorkspace {
  /** The workspace folder (it holds `.git`, so runs go to its `.chatwright/runs`). */
  dir: string;
  /** `persona.job.yaml` in it: the persona fixtures (train + valid) on the generated model. */
  jobFile: string;
  runsDir: string;
}

/** A scratch workspace holding a job on the persona fixtures; `extra` is appended to the job file. */
export function jobWorkspace(t: TestContext | undefined, extra = ''): JobWorkspace {
  const dir = scratchDir('job-workspace', t);
  mkdirSync(join(dir, '.git'));
  const fixtures = join(repo, 'test', 'python', 'fixtures');
  copyFileSync(join(fixtures, 'persona-train.jsonl'), join(dir, 'persona-train.jsonl'));
  copyFileSync(join(fixtures, 'persona-valid.jsonl'), join(dir, 'persona-valid.jsonl'));
  const jobFile = join(dir, 'persona.job.yaml');
  writeFileSync(jobFile, `model:\n  path: ${JSON.stringify(trainingModelFolder())}\ndata:\n  train: persona-train.jsonl\n${extra}`);
  return { dir, jobFile, runsDir: join(dir, '.chatwright', 'runs') };
}

/** The environment of a CLI run with the stand-in trainer: `steps` steps of `stepSeconds` each. */
export function standinEnv(steps: number, stepSeconds: number, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, CHATWRIGHT_TRAINER_SCRIPT: standinTrainer, STANDIN_STEPS: String(steps), STANDIN_STEP_SECONDS: String(stepSeconds), PYTHONDONTWRITEBYTECODE: '1', ...extra };
}
