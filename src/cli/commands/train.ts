import { existsSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { escapeFileName } from '../../core/files/fileNames';
import { resolveLocalModel } from '../../core/hub/cacheLocation';
import { detectHardware } from '../../core/hub/hardware';
import { formatJobProblem, readJobFile } from '../../core/jobs/jobFile';
import { JobStartError, prepareRun, type TrainerLaunch } from '../../core/jobs/jobRunner';
import { planBatch, worldSizeOf, type ResolvedJobTarget } from '../../core/jobs/jobTarget';
import { batchPlanText } from '../../core/jobs/jobWhere';
import { preflight, type PreflightFinding, type PreflightResult } from '../../core/jobs/preflight';
import { readRunRecord, runsFolder } from '../../core/jobs/runFolder';
import { SlurmClient } from '../../core/jobs/slurm/slurmClient';
import { slurmPreflight, withClusterFindings } from '../../core/jobs/slurm/slurmPreflight';
import { type SlurmPartition } from '../../core/jobs/slurm/slurmTypes';
import { prepareLaunch, startJobOnTarget, type PreparedLaunch, type TargetRunOptions } from '../../core/jobs/targetRunner';
import { findInterpreter, hardwareOfProbe, interpreterSourceLabels, probeEnvironment, trainerPythonFolder, type EnvironmentProbe } from '../../core/jobs/pythonEnvironment';
import { UsageError, type CliCommand } from '../io';
import { followRun, humanStream, progressModeFor, reportOutcome, TrainExit, type FollowableRun } from './followJob';
import { overrideTarget } from './targetOptions';
import { preflightLines, preflightSummary } from './preflightReport';
import { findWorkspaceRoot, trainerLaunch, type WorkspaceRoot } from './trainerSetup';

/** What `train` needs to launch a job and ask Slurm; replaced in tests by fakes of the same signatures. */
export interface TrainLauncher {
  prepareLaunch(runDir: string, trainer: TrainerLaunch): PreparedLaunch;
  startJobOnTarget(options: TargetRunOptions): Promise<FollowableRun>;
  slurmClient(env: NodeJS.ProcessEnv): SlurmClient;
  slurmPreflight(target: ResolvedJobTarget, partitions: SlurmPartition[] | Error, options: { jobFile?: string }): PreflightFinding[];
}

export const targetLauncher: TrainLauncher = {
  prepareLaunch,
  startJobOnTarget: (options) => startJobOnTarget(options),
  slurmClient: (env) => new SlurmClient({ env }),
  slurmPreflight,
};

const usage = `chatwright train <job.yaml|job.json> [options]

Checks the job file and runs preflight (dataset checks, the loss mask, chat template, pad token, memory fit, adapter
rank, the batch split over the target's processes and, for Slurm, the partition's limits from sinfo/scontrol) before
anything starts; a problem in the job file is printed as file:line:col: field: message, a preflight finding as
"severity code: message", what to do, and where. Then it creates a run folder under <workspace>/.chatwright/runs/ (the
workspace is the nearest folder upward holding .chatwright/ or .git, else the job file's folder) and starts the job on
its target: this machine (one process, or accelerate launch with one per GPU), or Slurm (the generated sbatch script is
printed, saved as RUN/job.sbatch and, on a terminal, confirmed before sbatch submits it). It then follows the job: a
progress bar on a terminal, one line per step (at most one a second), per phase, eval, checkpoint and warning
otherwise, and for Slurm one line per scheduler state ("pending in Slurm (Priority)", "running on node07").
Ctrl-C stops after the current step and saves a checkpoint and the adapter (several processes and Slurm: asked
through the file RUN/stop-now); a second Ctrl-C cancels without saving.

Options:
  --target <local|slurm>  where it runs, instead of the job file's target.type (the rest of target is the file's; a
                          file without target.slurm gets the defaults: the default partition, 1 node, 04:00:00)
  --gpus <N>         GPUs (training processes) per node, instead of the job file's target.gpus (Slurm: 0 = CPU only)
  --yes              submit to Slurm without asking (needed when stdin is not a terminal)
  --dry-run          print the launch (the sbatch script, or the command line and accelerate files) and the batch plan,
                     then stop: nothing is submitted or started, and no run folder is left
  --python <path>    the Python interpreter (default: <workspace>/.chatwright/venv, else python3 on the PATH)
  --root <dir>       the workspace folder that holds .chatwright/runs (default: found as above)
  --json             print the trainer's events as JSON lines on stdout (protocol v1), messages on stderr
  --preflight-only   run the checks and stop, without creating a run folder
  --detach           start (or submit) the job and return; print the Slurm job id, then the run folder on the last
                     line (follow it with: chatwright jobs follow <run>)

Exit code: 0 done (or --dry-run, --preflight-only, --detach), 1 failed (the error, what to do and any install command
are printed; Slurm's failures too: SLURM_SUBMIT_FAILED, SLURM_TIMEOUT, SLURM_OUT_OF_MEMORY, SLURM_NODE_FAIL,
SLURM_PREEMPTED, SLURM_BOOT_FAIL, SLURM_DEADLINE, SLURM_JOB_LOST), 2 the job file or preflight refused the job, a usage
error, or the submission was not confirmed, 3 stopped or cancelled (resume with: chatwright jobs resume <run>).
Environment: CHATWRIGHT_TRAINER_SCRIPT runs that script instead of the chatwright_train package (a test hook; it reaches
Slurm jobs too). The Slurm commands are found on the PATH; SLURM_CONF names the cluster as for Slurm itself.`;

/** `chatwright train` with its launcher; `trainCommand` is the real one. */
export function makeTrainCommand(launcher: TrainLauncher): CliCommand {
  return {
    name: 'train',
    summary: 'Run a fine-tuning job (LoRA, QLoRA, prompt tuning) here or on Slurm: preflight, then train with live progress',
    usage,
    async run(args, io) {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: {
          python: { type: 'string' },
          root: { type: 'string' },
          json: { type: 'boolean', default: false },
          'preflight-only': { type: 'boolean', default: false },
          detach: { type: 'boolean', default: false },
          target: { type: 'string' },
          gpus: { type: 'string' },
          yes: { type: 'boolean', short: 'y', default: false },
          'dry-run': { type: 'boolean', default: false },
        },
      });
      if (positionals.length !== 1) throw new UsageError('train needs exactly one job file');
      if (values['dry-run'] && values.detach) throw new UsageError('--dry-run starts nothing: it cannot be combined with --detach');
      const mode = progressModeFor(io, values.json);
      const human = humanStream(io, mode);
      const given = positionals[0]!;
      const jobFile = resolve(io.cwd, given);
      const shownName = escapeFileName(given);

      const job = readJobFile(jobFile, { resolveHubModel: (id) => resolveLocalModel(id, io.env) });
      if (!job.config) {
        for (const problem of job.problems) io.stderr.write(`${formatJobProblem(shownName, problem)}\n`);
        io.stderr.write(`${shownName}: ${job.problems.length} problem(s); the job was not started\n`);
        return TrainExit.refused;
      }
      const { config, notes } = overrideTarget(job.config, {
        ...(values.target !== undefined ? { target: values.target } : {}),
        ...(values.gpus !== undefined ? { gpus: values.gpus } : {}),
      });
      const target = config.target;
      const onSlurm = target.type === 'slurm';
      for (const note of notes) human.write(`${note}\n`);
      const root: WorkspaceRoot = values.root !== undefined ? { dir: resolve(io.cwd, values.root), reason: '--root' } : findWorkspaceRoot(resolve(jobFile, '..'));

      const interpreter = findInterpreter({ ...(values.python !== undefined ? { setting: values.python } : {}), workspaceRoot: root.dir, env: io.env });
      let probe: EnvironmentProbe | undefined;
      let probeProblem: string | undefined;
      try {
        probe = await probeEnvironment(interpreter.python, trainerPythonFolder(), { env: io.env, runDir: root.dir });
      } catch (error) {
        probeProblem = error instanceof Error ? error.message : String(error);
      }
      if (probe) {
        const gpus = probe.gpus.length > 0 ? probe.gpus.map((gpu) => gpu.name).join(', ') : 'no GPU';
        human.write(`Python: ${probe.python_executable} (${probe.python}, from ${interpreter.source === 'setting' ? '--python' : interpreterSourceLabels[interpreter.source]}); ${gpus}\n`);
        if (probe.missing_or_old.length > 0)
          human.write(
            `This Python lacks ${probe.missing_or_old.join(', ')}${probe.install_command ? `; install with: ${probe.install_command}` : ''} (or create an environment with: chatwright env --create-venv)\n`,
          );
      } else {
        human.write(`warning: the Python environment could not be checked: ${probeProblem}\n`);
      }

      const hardware = (probe ? hardwareOfProbe(probe) : undefined) ?? (await detectHardware());
      let checked = preflight(config, { hardware, ...(probe ? { packages: probe.packages } : {}) });
      const slurm = onSlurm ? launcher.slurmClient(io.env) : undefined;
      if (slurm) {
        const partitions = await slurm.partitions().catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
        checked = withFindings(checked, launcher.slurmPreflight(target, partitions, { jobFile }));
      }
      for (const line of preflightLines(checked)) human.write(`${line}\n`);
      human.write(`${preflightSummary(checked)}\n`);
      human.write(`${targetSummary(config.target, config.training)}\n`);
      if (!checked.ok) {
        io.stderr.write(`${shownName}: preflight refused the job; fix the error(s) above and run it again\n`);
        return TrainExit.refused;
      }
      if (values['preflight-only']) return TrainExit.done;
      // A Slurm job that names the compute nodes' Python (target.slurm.python) does not run this machine's: as in the editor,
      // a failed probe here is only a warning then.
      const computeNodesPython = onSlurm && target.slurm.python !== null ? target.slurm.python : undefined;
      if (!probe && computeNodesPython === undefined) {
        io.stderr.write(`Cannot start the trainer: ${probeProblem}\n  → Pick an interpreter with --python, or create one with: chatwright env --create-venv\n`);
        return TrainExit.failed;
      }
      if (!probe) human.write(`warning: the job runs ${computeNodesPython} on the compute nodes (target.slurm.python), which this machine cannot check\n`);

      const runsParent = resolve(root.dir, runsFolder);
      const createdFolders = foldersMissingUpTo(runsParent, root.dir);
      const runDir = prepareRun({ workspaceRoot: root.dir, jobFile, name: job.name, config, ...(probe ? { probe } : {}) });
      // A launch that never happened leaves nothing behind: neither its run folder nor the folders made for it.
      const discardRun = (): void => {
        rmSync(runDir, { recursive: true, force: true });
        for (const folder of createdFolders) removeIfEmpty(folder);
      };
      const trainer = trainerLaunch(interpreter.python, io.env, io.cwd);
      let prepared: PreparedLaunch;
      try {
        prepared = launcher.prepareLaunch(runDir, trainer);
      } catch (error) {
        // JobStartError, or a job option the launch cannot carry (an sbatch line, a run folder Slurm cannot name).
        if (!(error instanceof Error)) throw error;
        discardRun();
        io.stderr.write(`Cannot prepare the launch: ${error.message}\n`);
        return TrainExit.failed;
      }
      if (!values['dry-run']) human.write(`Workspace: ${root.dir} (${root.reason})\nRun folder: ${runDir}\n`);
      human.write(`Launch: ${prepared.plan.description}\n`);
      for (const line of launchLines(prepared)) human.write(`${line}\n`);
      if (values['dry-run']) {
        discardRun();
        human.write(`Dry run: nothing was ${onSlurm ? 'submitted' : 'started'} and no run folder was kept\n`);
        return TrainExit.done;
      }
      if (onSlurm && !values.yes) {
        if ((io.stdin as { isTTY?: boolean }).isTTY !== true) {
          discardRun();
          io.stderr.write('Not submitted: the script above goes to Slurm only when confirmed, and stdin is not a terminal.\n  → Run it again with --yes to submit without asking\n');
          return TrainExit.refused;
        }
        const answer = await ask(io, 'Submit to Slurm? [y/N] ');
        if (!/^\s*y(es)?\s*$/i.test(answer)) {
          discardRun();
          io.stderr.write('Not submitted; no run folder was kept\n');
          return TrainExit.refused;
        }
      }

      let run: FollowableRun;
      try {
        run = await launcher.startJobOnTarget({ runDir, trainer, ...(slurm ? { slurm } : {}) });
      } catch (error) {
        if (!(error instanceof JobStartError)) throw error;
        io.stderr.write(`Cannot ${onSlurm ? 'submit the job' : 'start the trainer'}: ${error.message}\n`);
        return TrainExit.failed;
      }
      const jobId = run.snapshot.scheduler?.jobId ?? readRunRecord(runDir)?.slurm?.jobId;
      if (jobId !== undefined) human.write(`Submitted Slurm job ${jobId}\n`);
      if (values.detach) {
        run.detach();
        io.stdout.write(`${runDir}\n`);
        return TrainExit.done;
      }
      const followed = await followRun(run, io, { mode, interrupt: 'stop' });
      return followed.ended ? reportOutcome(followed.snapshot, io, mode) : TrainExit.done;
    },
  };
}

export const trainCommand: CliCommand = makeTrainCommand(targetLauncher);

/** Preflight's result with more findings (the Slurm checks): still ok only without an error among them. */
function withFindings(result: PreflightResult, findings: readonly PreflightFinding[]): PreflightResult {
  const all = withClusterFindings(result.findings, findings);
  return { ...result, findings: all, ok: !all.some((finding) => finding.severity === 'error') };
}

/** Where the job runs and how its processes share the batch, in one line, before anything starts. */
export function targetSummary(target: ResolvedJobTarget, training: { per_device_batch_size: number; gradient_accumulation_steps: number }): string {
  const worldSize = worldSizeOf(target);
  const where =
    target.type === 'slurm'
      ? `Slurm, partition ${target.slurm.partition ?? "(the cluster's default)"}, ${target.slurm.nodes} node(s) × ${target.gpus === 0 ? 'no GPU (CPU only)' : `${target.gpus} GPU(s)`}, time limit ${target.slurm.time}`
      : `this machine, ${target.gpus} process(es)`;
  const strategy = worldSize > 1 ? `, ${target.strategy}` : '';
  const plan = planBatch(training, worldSize);
  const batch =
    plan.problem !== undefined
      ? `batch: ${plan.problem}`
      : `batch ${batchPlanText(plan, { perDeviceBatch: training.per_device_batch_size, gradientAccumulation: training.gradient_accumulation_steps })}`;
  return `Target: ${where}${strategy}; ${batch}`;
}

/** What will run: the sbatch script for Slurm, else the command line; then the launch files (accelerate.yaml, deepspeed.json). */
function launchLines(prepared: PreparedLaunch): string[] {
  const lines: string[] = [];
  if (prepared.sbatch) {
    lines.push(`--- ${prepared.sbatch.path}`, ...prepared.sbatch.text.replace(/\n$/, '').split('\n'), '---');
  } else {
    lines.push(`Command: ${[prepared.plan.command, ...prepared.plan.args].map(shellWord).join(' ')}`);
    for (const file of prepared.plan.files) lines.push(`--- ${file.name}`, ...file.content.replace(/\n$/, '').split('\n'), '---');
  }
  return lines;
}

/** A word as a POSIX shell would need it quoted, for a command line people can copy. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The folders from `folder` up to (not including) `stop` that do not exist yet, deepest first. */
function foldersMissingUpTo(folder: string, stop: string): string[] {
  const missing: string[] = [];
  for (let dir = resolve(folder); dir !== resolve(stop) && dir !== dirname(dir) && !existsSync(dir); dir = dirname(dir)) missing.push(dir);
  return missing;
}

function removeIfEmpty(folder: string): void {
  try {
    if (readdirSync(folder).length === 0) rmdirSync(folder);
  } catch {
    // Gone already, or not ours to remove.
  }
}

/** One line from stdin after a question on stderr (stdout may carry events); Ctrl-C or the end of input answer ''. */
async function ask(io: { stdin: NodeJS.ReadableStream; stderr: NodeJS.WritableStream }, question: string): Promise<string> {
  io.stderr.write(question);
  const lines = createInterface({ input: io.stdin, crlfDelay: Infinity });
  let onInterrupt: () => void = () => undefined;
  // Ctrl-C at the question is a "no": the prepared run folder is removed rather than left behind by a killed process.
  const interrupted = new Promise<string>((resolve) => (onInterrupt = () => resolve('')));
  process.once('SIGINT', onInterrupt);
  const answered = new Promise<string>((resolve) => {
    lines.once('line', resolve);
    lines.once('close', () => resolve(''));
  });
  try {
    return await Promise.race([answered, interrupted]);
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    lines.close();
  }
}
