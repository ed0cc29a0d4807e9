import { formatJobProblem, readJobFile } from '../jobs/jobFile';

/** Why a job file's eval split cannot be reused as an eval set; the message says what to do instead. */
export class JobEvalSetError extends Error {}

/** Whether a path names a job file (`*.job.yaml`, `.job.yml`, `.job.json`), whose eval split a comparison may reuse. */
export function isJobFilePath(path: string): boolean {
  return /\.job\.(ya?ml|json)$/i.test(path);
}

/**
 * The eval set a job file's `data.eval` names (absolute, resolved as the trainer resolves it), for a comparison that
 * evaluates on the same held-out rows the fine-tune was evaluated on. Throws `JobEvalSetError` when the job has no
 * fixed eval file: `auto` picks a sibling file or holds out a fraction at training time, which a comparison cannot
 * reproduce row for row.
 */
export function evalSetOfJobFile(jobFile: string): string {
  const job = readJobFile(jobFile);
  if (!job.config) {
    const [first] = job.problems;
    throw new JobEvalSetError(`The job file cannot be read, so its eval split is unknown: ${first ? formatJobProblem(jobFile, first) : 'no configuration'}`);
  }
  const evalFile = job.config.data.eval;
  if (evalFile === null) {
    throw new JobEvalSetError(`The job ${jobFile} has no eval split (data.eval is off). Make an eval set with "Make Eval Set from Dataset…" (chatwright eval-set) and name it in the comparison.`);
  }
  if (evalFile === 'auto') {
    throw new JobEvalSetError(
      `The job ${jobFile} leaves its eval split to "auto" (a sibling file or a fraction held out at training time), which a comparison cannot reuse row for row. Make an eval set with "Make Eval Set from Dataset…" (chatwright eval-set), train on the rest file it writes, and name the eval set in both the job's data.eval and the comparison.`,
    );
  }
  return evalFile;
}
