import { PassThrough } from 'node:stream';
import { type CliIo } from '../../src/cli/io';
import { type FollowableRun } from '../../src/cli/commands/followJob';
import { type Disposable } from '../../src/core/jobs/jobRunner';
import { emptySnapshot, type JobSnapshot } from '../../src/core/jobs/jobSnapshot';
import { type SchedulerFacts } from '../../src/core/jobs/slurm/slurmTypes';

/**
 * A run the CLI can follow without a trainer or a cluster: it publishes the scheduler states it is given (one per
 * tick, through `onDidChange` as the Slurm runner does), then ends with `final`. Records what was asked of it.
 */
export class FakeTargetRun implements FollowableRun {
  snapshot: JobSnapshot;
  readonly finished: Promise<JobSnapshot>;
  readonly calls: string[] = [];
  private readonly listeners = new Set<(snapshot: JobSnapshot) => void>();
  private finish: (snapshot: JobSnapshot) => void = () => undefined;

  constructor(
    readonly runDir: string,
    states: readonly Omit<SchedulerFacts, 'kind' | 'checkedAt'>[],
    final: Partial<JobSnapshot> | 'never',
  ) {
    this.snapshot = emptySnapshot(runDir, 'persona', 'queued');
    if (states[0] !== undefined) this.snapshot = { ...this.snapshot, scheduler: { kind: 'slurm', checkedAt: 0, ...states[0] } };
    this.finished = new Promise((resolve) => (this.finish = resolve));
    void this.play(states.slice(1), final);
  }

  private async play(states: readonly Omit<SchedulerFacts, 'kind' | 'checkedAt'>[], final: Partial<JobSnapshot> | 'never'): Promise<void> {
    for (const state of states) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      this.publish({ ...this.snapshot, scheduler: { kind: 'slurm', checkedAt: 0, ...state } });
    }
    if (final === 'never') return;
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.end(final);
  }

  /** Ends the run now with these fields (a test's stop or cancel). */
  end(fields: Partial<JobSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...fields };
    this.finish(this.snapshot);
  }

  private publish(snapshot: JobSnapshot): void {
    this.snapshot = snapshot;
    for (const listener of [...this.listeners]) listener(snapshot);
  }

  onDidChange(listener: (snapshot: JobSnapshot) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  stopAndSave(): Promise<void> {
    this.calls.push('stopAndSave');
    this.end({ status: 'stopped', checkpoints: [{ step: 2, path: `${this.runDir}/checkpoints/step-2`, reason: 'stop' }] });
    return Promise.resolve();
  }

  cancel(): Promise<void> {
    this.calls.push('cancel');
    this.end({ status: 'cancelled' });
    return Promise.resolve();
  }

  detach(): void {
    this.calls.push('detach');
  }
}

/** A CLI's streams as buffers, with stdin a terminal or not (and what the user types). */
export function capturedIo(cwd: string, env: NodeJS.ProcessEnv, stdin: { tty: boolean; text?: string } = { tty: false }): CliIo & { out(): string; err(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const input = Object.assign(new PassThrough(), { isTTY: stdin.tty });
  input.end(stdin.text ?? '');
  return { stdout, stderr, stdin: input, cwd, env, out: () => out, err: () => err };
}
