import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { JobStartError } from '../../core/jobs/jobRunner';
import { isRunProcessAlive, listRunFolders, readRunRecord, runsFolder, type RunRecord } from '../../core/jobs/runFolder';
import { batchAsWritten, batchPlanText } from '../../core/jobs/jobWhere';
import { distributedOfRecord, snapshotOfRun, type DistributedFacts, type JobSnapshot, type JobStatus } from '../../core/jobs/jobSnapshot';
import { SlurmClient } from '../../core/jobs/slurm/slurmClient';
import { activeSlurmSnapshot, isTerminalSlurmState, schedulerFactsOf, settleSlurmRun } from '../../core/jobs/slurm/slurmOutcome';
import { type SlurmJobState } from '../../core/jobs/slurm/slurmTypes';
import { attachJobOnTarget, resumeJobOnTarget, type TargetRunOptions } from '../../core/jobs/targetRunner';
import { findInterpreter } from '../../core/jobs/pythonEnvironment';
import { escapeControlCharacters } from '../../core/files/fileNames';
import { formatBinaryBytes } from '../../core/text/byteSize';
import { formatDuration } from '../../core/text/relativeTime';
import { ExitCode, UsageError, type CliCommand, type CliIo } from '../io';
import { followRun, humanStream, progressModeFor, reportOutcome, TrainExit, type FollowableRun } from './followJob';
import { formatLoss, phaseWords, schedulerWords, whereText } from './jobProgress';
import { findWorkspaceRoot, trainerLaunch } from './trainerSetup';

const usage = `chatwright jobs <ls|show|follow|stop|cancel|resume> …

  ls [--json] [--root DIR]
      The runs under <workspace>/.chatwright/runs, newest first: status, where it runs (local pid, or "slurm 41237
      PENDING (Resources)": Slurm's state is asked for the jobs not yet ended), method, step, loss, the batch plan,
      duration, start.
  show <run> [--json] [--follow] [--root DIR]
      A run's summary, where it runs (for Slurm: the job, its state and reason, nodes, the script, every submission),
      the batch plan, resolved config, environment, data, checkpoints, warnings and error. --follow: as follow.
  follow <run> [--json] [--root DIR]
      Re-attaches to a running trainer or an active Slurm job and prints its progress as train does (Ctrl-C stops
      following; the job keeps running).
  stop <run> [--cancel] [--root DIR]
      Asks a running trainer to save a checkpoint and the adapter and stop (several processes and Slurm: through the
      file RUN/stop-now, then SIGTERM or scancel after the stop timeout), and waits. --cancel: as cancel.
  cancel <run> [--root DIR]
      Stops without saving (Slurm: scancel --signal=INT twice, then scancel), and waits.
  resume <run> [--python PATH] [--json] [--root DIR]
      Continues a stopped or failed run in the same folder from its newest checkpoint (a Slurm run is submitted
      again), and follows it. Refused while the run's trainer or Slurm job is still active.

<run> is a run folder, or its name under .chatwright/runs. The workspace is --root, else the nearest folder upward
from the current one holding .chatwright/ or .git. The Slurm commands are found on the PATH (SLURM_CONF as for Slurm).
Environment: CHATWRIGHT_TRAINER_SCRIPT (resume; a test hook).
Exit code: 0 done, 1 failed (Slurm's failures included: SLURM_TIMEOUT, SLURM_OUT_OF_MEMORY, SLURM_NODE_FAIL,
SLURM_PREEMPTED, SLURM_JOB_LOST …) or not possible (e.g. stop on a run that is not running), 2 usage error, 3
(resume, follow) stopped again.`;

const runningStatuses: readonly JobStatus[] = ['starting', 'running', 'stopping'];

/** How `jobs` finds, follows and resumes runs wherever they run; replaced in tests by fakes of the same signatures. */
export interface JobsTargets {
  attachJobOnTarget(runDir: string, options: Omit<TargetRunOptions, 'runDir' | 'trainer'>): FollowableRun | undefined;
  resumeJobOnTarget(options: TargetRunOptions): Promise<FollowableRun>;
  slurmClient(env: NodeJS.ProcessEnv): SlurmClient;
}

export const runnerTargets: JobsTargets = {
  attachJobOnTarget: (runDir, options) => attachJobOnTarget(runDir, options),
  resumeJobOnTarget: (options) => resumeJobOnTarget(options),
  slurmClient: (env) => new SlurmClient({ env }),
};

/** `chatwright jobs` over these targets; `jobsCommand` is the real one. */
export function makeJobsCommand(targets: JobsTargets): CliCommand {
  return {
    name: 'jobs',
    summary: 'List fine-tuning runs (local and Slurm), show or follow one, stop, cancel or resume it',
    usage,
    async run(args, io) {
      const [sub, ...rest] = args;
      switch (sub) {
        case 'ls':
        case 'list':
          return list(rest, io, targets);
        case 'show':
          return show(rest, io, targets, false);
        case 'follow':
          return show(rest, io, targets, true);
        case 'stop':
          return stop(rest, io, targets, false);
        case 'cancel':
          return stop(rest, io, targets, true);
        case 'resume':
          return resume(rest, io, targets);
        case undefined:
          throw new UsageError('jobs needs a subcommand: ls, show, follow, stop, cancel or resume');
        default:
          throw new UsageError(`unknown subcommand '${sub}' (ls, show, follow, stop, cancel, resume)`);
      }
    },
  };
}

export const jobsCommand: CliCommand = makeJobsCommand(runnerTargets);

/**
 * The snapshot with what run.json knows when the events do not say yet: the Slurm job's last state seen, and the
 * launch plan's batch split (the trainer's `run` event replaces it once it starts).
 */
export function withRecordFacts(snapshot: JobSnapshot, record: RunRecord | undefined): JobSnapshot {
  const scheduler = snapshot.scheduler ?? record?.slurm?.last;
  const distributed = snapshot.distributed ?? (record?.target !== undefined ? distributedOfRecord(record.target) : undefined);
  return { ...snapshot, ...(scheduler !== undefined ? { scheduler } : {}), ...(distributed !== undefined ? { distributed } : {}) };
}

/**
 * Asks Slurm (one `jobStates` call) for the jobs that had not ended when last seen, so the list says where they are
 * now. When Slurm cannot be asked, the last state seen stays and one warning says why.
 */
async function refreshSchedulerFacts(snapshots: JobSnapshot[], io: CliIo, targets: JobsTargets): Promise<JobSnapshot[]> {
  const active = snapshots.filter((snapshot) => snapshot.scheduler !== undefined && !isTerminalSlurmState(snapshot.scheduler.state));
  if (active.length === 0) return snapshots;
  let states: Map<string, SlurmJobState>;
  try {
    states = await targets.slurmClient(io.env).jobStates(active.map((snapshot) => snapshot.scheduler!.jobId));
  } catch (error) {
    io.stderr.write(`warning: Slurm could not be asked for the jobs' states (the last states seen are shown): ${error instanceof Error ? error.message : String(error)}\n`);
    return snapshots;
  }
  const now = Date.now();
  return snapshots.map((snapshot) => {
    const facts = snapshot.scheduler;
    const state = facts !== undefined ? states.get(facts.jobId) : undefined;
    return state !== undefined && facts !== undefined ? { ...snapshot, scheduler: schedulerFactsOf(state, now, facts.cluster) } : snapshot;
  });
}

/**
 * The status of a run whose Slurm state was just asked for, derived as the runner derives it: a job still active is
 * queued (pending) or follows its events; a job that has ended is settled by how it ended (TIMEOUT is a failure …).
 */
function withSchedulerStatus(snapshot: JobSnapshot): JobSnapshot {
  const facts = snapshot.scheduler;
  if (facts === undefined) return snapshot;
  return isTerminalSlurmState(facts.state) ? settleSlurmRun(snapshot, readRunRecord(snapshot.runDir), facts) : activeSlurmSnapshot(snapshot, facts);
}

function workspaceOf(io: CliIo, root: string | undefined): string {
  return root !== undefined ? resolve(io.cwd, root) : findWorkspaceRoot(io.cwd, 'the current folder').dir;
}

/** A run named by its folder (absolute or relative to the current folder) or by its name under .chatwright/runs. */
function findRun(name: string | undefined, io: CliIo, root: string | undefined): string {
  if (name === undefined || name === '') throw new UsageError('name a run: its folder, or its name as `chatwright jobs ls` prints it');
  const isRun = (dir: string): boolean => {
    try {
      return statSync(dir).isDirectory() && existsSync(join(dir, 'run.json'));
    } catch {
      return false;
    }
  };
  const direct = resolve(io.cwd, name);
  if (isRun(direct)) return direct;
  const workspace = workspaceOf(io, root);
  // A bare name only: never let `../x` step out of the runs folder.
  if (!/[\\/]/.test(name)) {
    const named = join(workspace, runsFolder, name);
    if (isRun(named)) return named;
  }
  throw new UsageError(`no run '${name}': not a run folder, and not a run under ${join(workspace, runsFolder)} (chatwright jobs ls lists them)`);
}

function durationMs(snapshot: JobSnapshot, now: number): number | undefined {
  if (snapshot.startedAt === undefined) return undefined;
  return (snapshot.endedAt ?? (runningStatuses.includes(snapshot.status) ? now : snapshot.startedAt)) - snapshot.startedAt;
}

/** "YYYY-MM-DD HH:MM" in local time, the same on every locale. */
function startedText(timestamp: number | undefined): string {
  if (timestamp === undefined) return '—';
  const date = new Date(timestamp);
  const pad = (value: number): string => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function methodOf(snapshot: JobSnapshot): string | undefined {
  if (snapshot.method) return snapshot.method;
  const method = snapshot.config?.method as { type?: unknown } | undefined;
  return typeof method?.type === 'string' ? method.type : undefined;
}

function stepText(snapshot: JobSnapshot): string {
  return snapshot.totalSteps !== undefined ? `${snapshot.step}/${snapshot.totalSteps}` : String(snapshot.step);
}

function summaryRow(snapshot: JobSnapshot, now: number): Record<string, unknown> {
  const duration = durationMs(snapshot, now);
  return {
    run: basename(snapshot.runDir),
    runDir: snapshot.runDir,
    name: snapshot.name,
    kind: snapshot.kind,
    status: snapshot.status,
    where: whereText(snapshot, runningStatuses.includes(snapshot.status)),
    ...(snapshot.pid !== undefined && runningStatuses.includes(snapshot.status) ? { pid: snapshot.pid } : {}),
    ...(snapshot.scheduler !== undefined ? { scheduler: snapshot.scheduler } : {}),
    ...(snapshot.distributed !== undefined ? { distributed: snapshot.distributed } : {}),
    ...(snapshot.serving !== undefined ? { url: snapshot.serving.url, engine: snapshot.serving.engine } : {}),
    ...(methodOf(snapshot) !== undefined ? { method: methodOf(snapshot) } : {}),
    step: snapshot.step,
    ...(snapshot.totalSteps !== undefined ? { totalSteps: snapshot.totalSteps } : {}),
    ...(snapshot.finalLoss !== undefined ? { finalLoss: snapshot.finalLoss } : {}),
    ...(snapshot.lastLoss !== undefined ? { lastLoss: snapshot.lastLoss } : {}),
    ...(snapshot.lastEvalLoss !== undefined ? { lastEvalLoss: snapshot.lastEvalLoss } : {}),
    ...(duration !== undefined ? { durationSeconds: Math.round(duration / 1000) } : {}),
    ...(snapshot.startedAt !== undefined ? { startedAt: new Date(snapshot.startedAt).toISOString() } : {}),
  };
}

/** Columns padded to their widest cell; the last column is not padded. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n');
}

async function list(args: string[], io: CliIo, targets: JobsTargets): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean', default: false }, root: { type: 'string' } } });
  if (positionals.length > 0) throw new UsageError(`jobs ls takes no arguments, got '${positionals[0]}'`);
  const workspace = workspaceOf(io, values.root);
  const listed = listRunFolders(workspace).map((dir) => withRecordFacts(snapshotOfRun(dir), readRunRecord(dir)));
  // The status follows Slurm's fresh answer, so STATUS and WHERE never disagree (queued beside TIMEOUT).
  const snapshots = (await refreshSchedulerFacts(listed, io, targets)).map((snapshot, index) => (snapshot.scheduler === listed[index]!.scheduler ? snapshot : withSchedulerStatus(snapshot)));
  const now = Date.now();
  if (values.json) {
    io.stdout.write(
      `${JSON.stringify(
        snapshots.map((snapshot) => summaryRow(snapshot, now)),
        null,
        2,
      )}\n`,
    );
    return ExitCode.ok;
  }
  if (snapshots.length === 0) {
    io.stderr.write(`No runs under ${join(workspace, runsFolder)}. Start one with: chatwright train <job.yaml>\n`);
    return ExitCode.ok;
  }
  const rows = [['RUN', 'KIND', 'STATUS', 'WHERE', 'METHOD', 'STEP', 'LOSS', 'BATCH', 'DURATION', 'STARTED']];
  for (const snapshot of snapshots) {
    // A server has no method, steps or loss: its engine and URL (while it serves) take their place.
    const serving = snapshot.kind === 'serve';
    rows.push([
      basename(snapshot.runDir),
      snapshot.kind,
      snapshot.status,
      whereText(snapshot, runningStatuses.includes(snapshot.status)),
      serving ? (snapshot.serving?.engine ?? '—') : (methodOf(snapshot) ?? '—'),
      serving ? '—' : stepText(snapshot),
      serving ? (runningStatuses.includes(snapshot.status) && snapshot.serving ? snapshot.serving.url : '—') : formatLoss(snapshot.finalLoss ?? snapshot.lastLoss),
      !serving && snapshot.distributed !== undefined ? batchColumn(snapshot.distributed) : '—',
      formatDuration(durationMs(snapshot, now)) ?? '—',
      startedText(snapshot.startedAt),
    ]);
  }
  io.stdout.write(`${table(rows)}\n`);
  return ExitCode.ok;
}

/** The batch plan in the list: "16=2×2×4" (effective = per device × accumulation × processes). */
function batchColumn(plan: DistributedFacts): string {
  return `${plan.effectiveBatch}=${plan.perDeviceBatch}×${plan.gradientAccumulation}×${plan.worldSize}`;
}

/** Where a run runs, for `show`: the target and, for Slurm, the job, its state, the script and every submission. */
export function describeTarget(snapshot: JobSnapshot, record: RunRecord | undefined): string[] {
  const lines: string[] = [];
  const plan = snapshot.distributed;
  const target = record?.target;
  if (target !== undefined) lines.push(`Target: ${target.type}, ${target.description}`);
  else if (plan !== undefined) lines.push(`Target: ${plan.target}, ${plan.nodes} node(s) × ${plan.processesPerNode} process(es)${plan.worldSize > 1 ? `, ${plan.strategy}` : ''}`);
  if (plan !== undefined) lines.push(`Batch: ${batchPlanText(plan, batchAsWritten(snapshot.config))}`);
  const facts = snapshot.scheduler;
  const slurm = record?.slurm;
  if (facts !== undefined || slurm !== undefined) {
    const jobId = facts?.jobId ?? slurm!.jobId;
    const cluster = facts?.cluster ?? slurm?.cluster;
    lines.push(`Slurm job: ${escapeControlCharacters(String(jobId))}${cluster !== undefined ? ` on cluster ${escapeControlCharacters(String(cluster))}` : ''}`);
    if (facts !== undefined) {
      const checked = Number.isFinite(facts.checkedAt) ? ` (as of ${startedText(facts.checkedAt)})` : '';
      lines.push(`Slurm state: ${escapeControlCharacters(String(facts.state))}, ${schedulerWords(facts)}${checked}`);
      const times = [facts.elapsed !== undefined ? `elapsed ${facts.elapsed}` : undefined, facts.timeLimit !== undefined ? `time limit ${facts.timeLimit}` : undefined].filter(Boolean);
      if (times.length > 0) lines.push(`Slurm time: ${escapeControlCharacters(times.join(', '))}`);
      if (facts.exitCode !== undefined) lines.push(`Slurm exit code: ${facts.exitCode}`);
    }
    if (slurm !== undefined) {
      lines.push(`Script: ${escapeControlCharacters(join(snapshot.runDir, basename(String(slurm.script))))}`);
      const submissions = Array.isArray(slurm.submissions) && slurm.submissions.length > 0 ? slurm.submissions : [{ jobId: slurm.jobId, submittedAt: slurm.submittedAt }];
      lines.push('Submissions:');
      submissions.forEach((submission, index) => {
        const at = Date.parse(submission.submittedAt);
        lines.push(`  ${index + 1}. job ${escapeControlCharacters(String(submission.jobId))} at ${Number.isFinite(at) ? startedText(at) : 'an unknown time'}${index > 0 ? ' (resumed)' : ''}`);
      });
    }
  } else if (snapshot.pid !== undefined && runningStatuses.includes(snapshot.status)) {
    lines.push(`Process: pid ${snapshot.pid}`);
  }
  return lines;
}

/** The human-readable account of a run, one fact a line. */
export function describeRun(snapshot: JobSnapshot, now: number = Date.now()): string[] {
  const record = readRunRecord(snapshot.runDir);
  snapshot = withRecordFacts(snapshot, record);
  const lines = [`${snapshot.name}: ${snapshot.status}${snapshot.phase ? ` (phase ${phaseWords(snapshot.phase)})` : ''}`, `Run folder: ${snapshot.runDir}`];
  const jobFile = snapshot.jobFile ?? record?.jobFile;
  if (jobFile) lines.push(`Job file: ${jobFile}`);
  lines.push(...describeTarget(snapshot, record));
  if (snapshot.kind === 'serve') return [...lines, ...describeServer(snapshot, now, record?.command)];
  lines.push(`Resolved config: ${join(snapshot.runDir, 'config.json')}`);
  const progress = [`${methodOf(snapshot) ?? 'method unknown'}`, `step ${stepText(snapshot)}`, `loss ${formatLoss(snapshot.finalLoss ?? snapshot.lastLoss)}`];
  if (snapshot.lastEvalLoss !== undefined) progress.push(`eval loss ${formatLoss(snapshot.lastEvalLoss)}`);
  lines.push(`Training: ${progress.join(', ')}`);
  const duration = formatDuration(durationMs(snapshot, now));
  lines.push(`Started: ${startedText(snapshot.startedAt)}${duration ? `, ${runningStatuses.includes(snapshot.status) ? 'running for' : 'took'} ${duration}` : ''}`);
  if (snapshot.resumedFrom) lines.push(`Resumed from: ${snapshot.resumedFrom}`);
  if (record?.python) lines.push(`Python: ${record.python}`);
  const environment = snapshot.environment;
  if (environment) {
    const gpus = environment.gpus?.length ? environment.gpus.map((gpu) => `${gpu.name} (${formatBinaryBytes(gpu.memory_bytes)})`).join(', ') : 'no GPU';
    lines.push(
      `Environment: ${[environment.precision, environment.attnImplementation, environment.packing, environment.torch ? `torch ${environment.torch}` : undefined, environment.cuda ? `CUDA ${environment.cuda}` : undefined, gpus].filter(Boolean).join(', ')}`,
    );
  }
  if (snapshot.gpuMemoryPeakBytes !== undefined) lines.push(`GPU memory peak: ${formatBinaryBytes(snapshot.gpuMemoryPeakBytes)}`);
  const data = snapshot.data;
  if (data) {
    lines.push(
      `Data: ${data.format ?? 'auto'}, ${data.trainExamples ?? '?'} train / ${data.evalExamples ?? 0} eval examples${data.evalSource ? ` (eval: ${data.evalSource})` : ''}, ${data.trainedTokens ?? '?'} of ${data.trainTokens ?? '?'} tokens trained${data.truncated ? `, ${data.truncated} truncated` : ''}${data.dropped ? `, ${data.dropped} dropped` : ''}`,
    );
  }
  if (snapshot.model?.trainableParameters !== undefined) lines.push(`Parameters: ${snapshot.model.trainableParameters} trainable of ${snapshot.model.totalParameters ?? '?'}`);
  if (snapshot.checkpoints.length > 0) {
    lines.push('Checkpoints:');
    for (const checkpoint of snapshot.checkpoints) lines.push(`  step ${checkpoint.step} (${checkpoint.reason}): ${checkpoint.path}`);
  }
  if (snapshot.adapter) lines.push(`Adapter: ${snapshot.adapter}`);
  if (snapshot.merged) lines.push(`Merged model: ${snapshot.merged}`);
  for (const warning of snapshot.warnings) lines.push(`warning ${warning.code}: ${warning.message}`);
  if (snapshot.error) {
    lines.push(`error ${snapshot.error.code}: ${snapshot.error.message}`);
    for (const problem of snapshot.error.errors ?? []) lines.push(`  ${problem}`);
    if (snapshot.error.action) lines.push(`  → ${snapshot.error.action}`);
    if (snapshot.error.install_command) lines.push(`  Install: ${snapshot.error.install_command}`);
  }
  lines.push(`Log: ${join(snapshot.runDir, 'train.log')}`);
  return lines;
}

/** A server run's account: what it serves, where, its totals, how it ended. */
function describeServer(snapshot: JobSnapshot, now: number, command: string[] | undefined): string[] {
  const lines = [`Serve request: ${join(snapshot.runDir, 'config.json')}`];
  const serving = snapshot.serving;
  if (serving) {
    lines.push(`URL: ${serving.url}${serving.apiKeyRequired ? ' (API key required)' : ''}`, `Engine: ${serving.engine}${serving.batching ? ` (${serving.batching})` : ''}`);
    lines.push(`Models: ${serving.models.map((model) => (model.parent ? `${model.id} (adapter on ${model.parent})` : model.id)).join(', ')}`);
    const stats = serving.stats;
    if (stats)
      lines.push(
        `Requests: ${stats.requests} (${stats.active} running, ${stats.queued} queued, ${stats.rejected} rejected); tokens: ${stats.promptTokens} prompt, ${stats.completionTokens} completion`,
      );
  }
  const duration = formatDuration(durationMs(snapshot, now));
  lines.push(`Started: ${startedText(snapshot.startedAt)}${duration ? `, ${runningStatuses.includes(snapshot.status) ? 'serving for' : 'served'} ${duration}` : ''}`);
  if (command) lines.push(`Command: ${command.join(' ')}`);
  for (const warning of snapshot.warnings) lines.push(`warning ${warning.code}: ${warning.message}`);
  if (snapshot.error) {
    lines.push(`error ${snapshot.error.code}: ${snapshot.error.message}`);
    if (snapshot.error.action) lines.push(`  → ${snapshot.error.action}`);
  }
  lines.push(`Log: ${join(snapshot.runDir, 'train.log')}`);
  return lines;
}

async function show(args: string[], io: CliIo, targets: JobsTargets, followOnly: boolean): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, follow: { type: 'boolean', default: false }, root: { type: 'string' } },
  });
  const name = followOnly ? 'follow' : 'show';
  if (positionals.length > 1) throw new UsageError(`jobs ${name} takes one run`);
  const runDir = findRun(positionals[0], io, values.root);
  if (followOnly || values.follow) {
    const run = targets.attachJobOnTarget(runDir, slurmOptions(io, targets, runDir));
    const mode = progressModeFor(io, values.json);
    if (run) {
      const job = run.snapshot.scheduler?.jobId ?? readRunRecord(runDir)?.slurm?.jobId;
      humanStream(io, mode).write(`Following ${runDir}${job !== undefined ? ` (Slurm job ${job})` : ''} (Ctrl-C stops following; the job keeps running)\n`);
      const followed = await followRun(run, io, { mode, interrupt: 'detach' });
      if (!followed.ended) return ExitCode.ok;
      return reportOutcome(followed.snapshot, io, mode);
    }
    humanStream(io, mode).write(`${basename(runDir)} is not running; its record:\n`);
  }
  const snapshot = withRecordFacts(snapshotOfRun(runDir), readRunRecord(runDir));
  if (values.json) io.stdout.write(`${JSON.stringify(snapshot, null, 2)}\n`);
  else io.stdout.write(`${describeRun(snapshot).join('\n')}\n`);
  return ExitCode.ok;
}

/** The Slurm client for a run that has a Slurm job (none for a local run: nothing asks Slurm then). */
function slurmOptions(io: CliIo, targets: JobsTargets, runDir: string): Omit<TargetRunOptions, 'runDir' | 'trainer'> {
  return readRunRecord(runDir)?.slurm !== undefined ? { slurm: targets.slurmClient(io.env) } : {};
}

async function stop(args: string[], io: CliIo, targets: JobsTargets, cancelOnly: boolean): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { cancel: { type: 'boolean', default: false }, root: { type: 'string' } } });
  if (positionals.length > 1) throw new UsageError(`jobs ${cancelOnly ? 'cancel' : 'stop'} takes one run`);
  const cancel = cancelOnly || values.cancel;
  const runDir = findRun(positionals[0], io, values.root);
  const run = targets.attachJobOnTarget(runDir, slurmOptions(io, targets, runDir));
  if (!run) {
    io.stderr.write(`${basename(runDir)} is not running (${snapshotOfRun(runDir).status})\n`);
    return ExitCode.findings;
  }
  const server = run.snapshot.kind === 'serve';
  const job = run.snapshot.scheduler?.jobId ?? readRunRecord(runDir)?.slurm?.jobId;
  const how = job === undefined ? '' : cancel ? ` (Slurm job ${job}: scancel --signal=INT twice, then scancel)` : ` (Slurm job ${job}: RUN/stop-now, then scancel after the stop timeout)`;
  io.stderr.write(
    cancel
      ? `Cancelling ${basename(runDir)} without saving${how}…\n`
      : server
        ? `Stopping the server ${basename(runDir)}${how}: it closes and exits…\n`
        : `Stopping ${basename(runDir)}${how}: the trainer saves a checkpoint and the adapter, then exits…\n`,
  );
  await (cancel ? run.cancel() : run.stopAndSave());
  const snapshot = await run.finished;
  const checkpoint = snapshot.checkpoints.at(-1);
  io.stdout.write(
    server
      ? `${basename(runDir)}: ${snapshot.status}\n`
      : `${basename(runDir)}: ${snapshot.status} at step ${snapshot.step}${snapshot.status === 'stopped' && checkpoint ? `; checkpoint: ${checkpoint.path}` : ''}\n`,
  );
  if (snapshot.status === 'failed' && snapshot.error) io.stderr.write(`error ${snapshot.error.code}: ${snapshot.error.message}\n`);
  return snapshot.status === 'stopped' || snapshot.status === 'cancelled' || snapshot.status === 'done' ? ExitCode.ok : ExitCode.findings;
}

async function resume(args: string[], io: CliIo, targets: JobsTargets): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, python: { type: 'string' }, root: { type: 'string' } },
  });
  if (positionals.length > 1) throw new UsageError('jobs resume takes one run');
  const runDir = findRun(positionals[0], io, values.root);
  const before = snapshotOfRun(runDir);
  const record = readRunRecord(runDir);
  const options = slurmOptions(io, targets, runDir);
  // Whoever knows the run best says whether it is still active: its process here, or Slurm for a submitted job.
  const active = targets.attachJobOnTarget(runDir, options);
  if (active) active.detach();
  if (active || (record?.slurm === undefined && (runningStatuses.includes(before.status) || (record !== undefined && isRunProcessAlive(record))))) {
    const job = active?.snapshot.scheduler?.jobId ?? record?.slurm?.jobId;
    io.stderr.write(`${basename(runDir)} is still ${job !== undefined ? `active in Slurm (job ${job})` : 'running'}; follow it with: chatwright jobs follow ${runDir}\n`);
    return TrainExit.failed;
  }
  if (before.status === 'done') {
    io.stderr.write(`${basename(runDir)} is done; there is nothing to resume (start a new run with chatwright train)\n`);
    return TrainExit.failed;
  }
  const mode = progressModeFor(io, values.json);
  // The interpreter the run was started with, so the resumed half trains with the same packages.
  const python = values.python ?? record?.python ?? findInterpreter({ workspaceRoot: workspaceOf(io, values.root), env: io.env }).python;
  humanStream(io, mode).write(`Resuming ${runDir} from step ${before.step} with ${python}${record?.slurm !== undefined ? ' (a new Slurm submission)' : ''}\n`);
  let run: FollowableRun;
  try {
    run = await targets.resumeJobOnTarget({ runDir, trainer: trainerLaunch(python, io.env, io.cwd), ...options });
  } catch (error) {
    if (!(error instanceof JobStartError)) throw error;
    io.stderr.write(`Cannot resume: ${error.message}\n`);
    return TrainExit.failed;
  }
  const job = run.snapshot.scheduler?.jobId ?? readRunRecord(runDir)?.slurm?.jobId;
  if (record?.slurm !== undefined && job !== undefined) humanStream(io, mode).write(`Submitted Slurm job ${job}\n`);
  const followed = await followRun(run, io, { mode, afterSeq: before.lastSeq, interrupt: 'stop' });
  return followed.ended ? reportOutcome(followed.snapshot, io, mode) : TrainExit.done;
}
