import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { SlurmClient, type SlurmClientOptions } from '../../src/core/jobs/slurm/slurmClient';
import { type SlurmJobState, type SlurmSubmission } from '../../src/core/jobs/slurm/slurmTypes';

/**
 * What a fake Slurm answers, set by the test as it goes: the job's state (or an error, as a failing `squeue`), what
 * `sbatch` says, and a record of every command in order. Shared by every client made from the first (the runner makes
 * one with the trainer's environment for `sbatch`).
 */
export interface FakeSlurmWorld {
  state: Omit<SlurmJobState, 'jobId' | 'source'> | Error;
  /** A state for one job id, over `state` (an earlier submission of a resumed run). */
  byJob?: Record<string, Omit<SlurmJobState, 'jobId' | 'source'>>;
  submission: SlurmSubmission | Error;
  /** `sbatch <script> (cwd)`, `squeue <ids>`, `scancel [--signal=INT] <id>`, in order. */
  calls: string[];
  /** The environment each submission ran in. */
  submitEnvironments: NodeJS.ProcessEnv[];
  /** Called on each scancel (e.g. to end the job or write the trainer's stopped phase). */
  onCancel?: (signal: 'INT' | 'TERM' | 'USR1' | undefined) => void;
}

export class FakeSlurmClient extends SlurmClient {
  constructor(override readonly options: SlurmClientOptions & { world: FakeSlurmWorld }) {
    super(options);
  }

  get world(): FakeSlurmWorld {
    return this.options.world;
  }

  override available(): Promise<{ ok: true; version: string }> {
    return Promise.resolve({ ok: true, version: 'slurm 22.05.8 (fake)' });
  }

  override submit(scriptPath: string, cwd: string): Promise<SlurmSubmission> {
    this.world.calls.push(`sbatch ${scriptPath} (${cwd})`);
    this.world.submitEnvironments.push(this.options.env ?? process.env);
    const { submission } = this.world;
    return submission instanceof Error ? Promise.reject(submission) : Promise.resolve(submission);
  }

  override jobStates(jobIds: readonly string[]): Promise<Map<string, SlurmJobState>> {
    this.world.calls.push(`squeue ${jobIds.join(',')}`);
    const { state } = this.world;
    if (state instanceof Error) return Promise.reject(state);
    return Promise.resolve(
      new Map(
        jobIds.map((jobId) => {
          const known = this.world.byJob?.[jobId] ?? state;
          return [jobId, { ...known, jobId, source: known.state === 'UNKNOWN' ? 'none' : 'squeue' }];
        }),
      ),
    );
  }

  override cancel(jobId: string, signal?: 'INT' | 'TERM' | 'USR1'): Promise<void> {
    this.world.calls.push(`scancel${signal !== undefined ? ` --signal=${signal}` : ''} ${jobId}`);
    this.world.onCancel?.(signal);
    return Promise.resolve();
  }
}

export function fakeSlurm(jobId = '101'): FakeSlurmClient {
  return new FakeSlurmClient({
    env: { SLURM_CONF: '/fake/slurm.conf', PATH: process.env.PATH ?? '' },
    world: { state: { state: 'PENDING' }, submission: { jobId }, calls: [], submitEnvironments: [] },
  });
}

/** Appends events to the run's events.jsonl as a trainer on a compute node would. */
export class EventWriter {
  private seq: number;
  constructor(
    private readonly runDir: string,
    afterSeq = 0,
  ) {
    this.seq = afterSeq;
  }

  write(event: string, fields: Record<string, unknown> = {}): void {
    this.seq++;
    appendFileSync(join(this.runDir, 'events.jsonl'), `${JSON.stringify({ v: 1, seq: this.seq, time: 1_700_000_000 + this.seq, event, ...fields })}\n`);
  }
}
