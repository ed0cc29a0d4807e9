import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { escapeFileName } from '../../core/files/fileNames';
import { resolveLocalModel } from '../../core/hub/cacheLocation';
import { detectHardware } from '../../core/hub/hardware';
import { formatJobProblem, readJobFile } from '../../core/jobs/jobFile';
import { JobStartError, prepareRun, startJob, type JobRun } from '../../core/jobs/jobRunner';
import { preflight } from '../../core/jobs/preflight';
import { findInterpreter, hardwareOfProbe, interpreterSourceLabels, probeEnvironment, trainerPythonFolder, type EnvironmentProbe } from '../../core/jobs/pythonEnvironment';
import { UsageError, type CliCommand } from '../io';
import { followRun, humanStream, progressModeFor, reportOutcome, TrainExit } from './followJob';
import { preflightLines, preflightSummary } from './preflightReport';
import { findWorkspaceRoot, trainerLaunch, type WorkspaceRoot } from './trainerSetup';

export const trainCommand: CliCommand = {
  name: 'train',
  summary: 'Run a fine-tuning job (LoRA, QLoRA, prompt tuning): preflight, then train with live progress',
  usage: `chatwright train <job.yaml|job.json> [options]

Checks the job file and runs preflight (dataset checks, the loss mask, chat template, pad token, memory fit, adapter
rank) before any process starts; a problem in the job file is printed as file:line:col: field: message, a preflight
finding as "severity code: message", what to do, and where. Then it creates a run folder under
<workspace>/.chatwright/runs/ (the workspace is the nearest folder upward holding .chatwright/ or .git, else the job
file's folder), starts the trainer with the chosen Python and follows it: a progress bar on a terminal, one line per
step (at most one a second) and per phase, eval, checkpoint and warning otherwise.
Ctrl-C stops after the current step and saves a checkpoint and the adapter; a second Ctrl-C cancels without saving.

Options:
  --python <path>    the Python interpreter (default: <workspace>/.chatwright/venv, else python3 on the PATH)
  --root <dir>       the workspace folder that holds .chatwright/runs (default: found as above)
  --json             print the trainer's events as JSON lines on stdout (protocol v1), messages on stderr
  --preflight-only   run the checks and stop, without creating a run folder
  --detach           start the trainer and return; print the run folder (follow it with: chatwright jobs show <run> --follow)

Exit code: 0 done, 1 failed (the error, what to do and any install command are printed), 2 the job file or preflight
refused the job (or a usage error), 3 stopped or cancelled (resume with: chatwright jobs resume <run>).
Environment: CHATWRIGHT_TRAINER_SCRIPT runs that script instead of the chatwright_train package (a test hook).`,
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
      },
    });
    if (positionals.length !== 1) throw new UsageError('train needs exactly one job file');
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
    const checked = preflight(job.config, { hardware });
    for (const line of preflightLines(checked)) human.write(`${line}\n`);
    human.write(`${preflightSummary(checked)}\n`);
    if (!checked.ok) {
      io.stderr.write(`${shownName}: preflight refused the job; fix the error(s) above and run it again\n`);
      return TrainExit.refused;
    }
    if (values['preflight-only']) return TrainExit.done;
    if (!probe) {
      io.stderr.write(`Cannot start the trainer: ${probeProblem}\n  → Pick an interpreter with --python, or create one with: chatwright env --create-venv\n`);
      return TrainExit.failed;
    }

    const runDir = prepareRun({ workspaceRoot: root.dir, jobFile, name: job.name, config: job.config, probe });
    human.write(`Workspace: ${root.dir} (${root.reason})\nRun folder: ${runDir}\n`);
    let run: JobRun;
    try {
      run = startJob({ runDir, trainer: trainerLaunch(interpreter.python, io.env, io.cwd) });
    } catch (error) {
      if (!(error instanceof JobStartError)) throw error;
      io.stderr.write(`Cannot start the trainer: ${error.message}\n`);
      return TrainExit.failed;
    }
    if (values.detach) {
      run.detach();
      io.stdout.write(`${runDir}\n`);
      return TrainExit.done;
    }
    const followed = await followRun(run, io, { mode, interrupt: 'stop' });
    return followed.ended ? reportOutcome(followed.snapshot, io, mode) : TrainExit.done;
  },
};
