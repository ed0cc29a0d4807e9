/**
 * The job configurations behind the reviewed launch expectations in test/fixtures/launch/, and how generated text is
 * made comparable: the run folder, the repository's python/ folder and the interpreter are fixed, unusual paths.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveJobText, type ResolvedJobConfig } from '../../../../src/core/jobs/jobFile';
import { type TrainerLaunch } from '../../../../src/core/jobs/jobRunner';
import { defaultTarget, type ResolvedJobTarget, type ResolvedSlurmTarget } from '../../../../src/core/jobs/jobTarget';
import { scratchDir } from '../../../support/scratchDir';

/** A run folder with a space in it, as a workspace named "support bot" gives. */
export const caseRunDir = '/home/ada/support bot/.chatwright/runs/persona-2026-12-05_07-00-00';
/** Stands for `caseRunDir` in the expectation files. */
export const runDirPlaceholder = '<RUN>';
export const caseTrainer: TrainerLaunch = { python: '/opt/venvs/chatwright/bin/python', pythonPath: '/opt/chatwright/python', env: { PYTHONPATH: '/opt/site' } };

export interface LaunchCase {
  /** The folder under test/fixtures/launch/. */
  name: string;
  target: ResolvedJobTarget;
}

function slurm(overrides: Partial<ResolvedSlurmTarget>): ResolvedSlurmTarget {
  return { ...defaultTarget.slurm, ...overrides };
}

export const launchCases: LaunchCase[] = [
  { name: 'local-1gpu', target: defaultTarget },
  { name: 'local-4gpu-ddp', target: { ...defaultTarget, gpus: 4 } },
  { name: 'slurm-1node-1gpu', target: { ...defaultTarget, type: 'slurm', slurm: slurm({ partition: 'gpu', time: '02:00:00' }) } },
  {
    name: 'slurm-1node-4gpu-zero3',
    target: { ...defaultTarget, type: 'slurm', gpus: 4, strategy: 'deepspeed_zero3', slurm: slurm({ partition: 'gpu', time: '08:00:00', cpus_per_task: 32, mem: '256G', gpu_type: 'a100' }) },
  },
  {
    name: 'slurm-2node-4gpu-fsdp',
    target: {
      ...defaultTarget,
      type: 'slurm',
      gpus: 4,
      strategy: 'fsdp',
      main_port: 29512,
      slurm: slurm({
        partition: 'gpu',
        nodes: 2,
        time: '1-00:00:00',
        account: 'nlp-lab',
        qos: 'high',
        cpus_per_task: 32,
        mem: '256G',
        gpu_type: 'h100',
        sbatch: ['--mail-type=END', '--constraint=ib'],
        setup: ['module load cuda/12.4', 'source $HOME/venvs/chatwright/bin/activate'],
        python: '/shared/venvs/chatwright/bin/python',
        save_before_limit_seconds: 600,
      }),
    },
  },
];

/** A resolved job (per-device batch 4, accumulation 8: an effective batch of 32) on `target`. */
export function jobConfigOn(target: ResolvedJobTarget): ResolvedJobConfig {
  const dir = scratchDir('launch-job');
  writeFileSync(join(dir, 'train.jsonl'), '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}\n');
  const result = resolveJobText(
    'model: { path: Qwen/Qwen2.5-0.5B-Instruct }\ndata:\n  train: train.jsonl\ntraining:\n  per_device_batch_size: 4\n  gradient_accumulation_steps: 8\n',
    join(dir, 'persona.job.yaml'),
  );
  if (result.config === undefined) throw new Error(`the test job does not resolve: ${JSON.stringify(result.problems)}`);
  return { ...result.config, target };
}

/** `text` with the case's run folder written as the placeholder. */
export function withPlaceholders(text: string): string {
  return text.split(caseRunDir).join(runDirPlaceholder);
}
