import { type JobSnapshot } from '../../src/core/jobs/jobSnapshot';
import { waitFor } from './waitFor';

/** Waits until the run's snapshot, as the jobs source knows it, passes `test`; fails naming `what` after `timeoutMs`. */
export function snapshotWhen(
  jobs: { snapshot(runDir: string): JobSnapshot | undefined },
  runDir: string,
  what: string,
  test: (snapshot: JobSnapshot) => boolean,
  timeoutMs = 60_000,
): Promise<JobSnapshot> {
  return waitFor(
    () => {
      const snapshot = jobs.snapshot(runDir);
      return snapshot && test(snapshot) ? snapshot : undefined;
    },
    what,
    timeoutMs,
  );
}
