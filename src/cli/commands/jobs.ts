import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { attachJob, JobStartError, resumeJob, type JobRun } from '../../core/jobs/jobRunner';
import { isRunProcessAlive, listRunFolders, readRunRecord, runsFolder } from '../../core/jobs/runFolder';
import { snapshotOfRun, type JobSnapshot, type JobStatus } from '../../core/jobs/jobSnapshot';
import { findInterpreter } from '../../core/jobs/pythonEnvironment';
import { formatBinaryBytes } from '../../core/text/byteSize';
import { formatDuration } from '../../core/text/relativeTime';
import { ExitCode, UsageError, type CliCommand, type CliIo } from '../io';
import { followRun, humanStream, progressModeFor, reportOutcome, TrainExit } from './followJob';
import { formatLoss, phaseWords } from './jobProgress';
import { findWorkspaceRoot, trainerLaunch } from './trainerSetup';

const usage = `chatwright jobs <ls|show|stop|resume> …

  ls [--json] [--root DIR]
      The runs under <workspace>/.chatwright/runs, newest first: status, method, step, loss, duration, start.
  show <run> [--json] [--follow] [--root DIR]
      A run's summary, resolved config, environment, data, checkpoints, warnings and error. --follow re-attaches to a
      running trainer and prints its progress as train does (Ctrl-C stops following; the trainer keeps running).
  stop <run> [--cancel] [--root DIR]
      Asks a running trainer to save a checkpoint and the adapter and stop (--cancel: stop without saving), and waits.
  resume <run> [--python PATH] [--json] [--root DIR]
      Continues a stopped or failed run in the same folder from its newest checkpoint, and follows it.

<run> is a run folder, or its name under .chatwright/runs. The workspace is --root, else the nearest folder upward
from the current one holding .chatwright/ or .git. Environment: CHATWRIGHT_TRAINER_SCRIPT (resume; a test hook).
Exit code: 0 done, 1 failed or not possible (e.g. stop on a run that is not running), 2 usage error, 3 (resume)
stopped again.`;

const runningStatuses: readonly JobStatus[] = ['starting', 'running', 'stopping'];

export const jobsCommand: CliCommand = {
  name: 'jobs',
  summary: 'List fine-tuning runs, show one (or follow it live), stop or resume it',
  usage,
  async run(args, io) {
    const [sub, ...rest] = args;
    switch (sub) {
      case 'ls':
      case 'list':
        return list(rest, io);
      case 'show':
        return show(rest, io);
      case 'stop':
        return stop(rest, io);
      case 'resume':
        return resume(rest, io);
      case undefined:
        throw new UsageError('jobs needs a subcommand: ls, show, stop or resume');
      default:
        throw new UsageError(`unknown subcommand '${sub}' (ls, show, stop, resume)`);
    }
  },
};

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

function list(args: string[], io: CliIo): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean', default: false }, root: { type: 'string' } } });
  if (positionals.length > 0) throw new UsageError(`jobs ls takes no arguments, got '${positionals[0]}'`);
  const workspace = workspaceOf(io, values.root);
  const now = Date.now();
  const snapshots = listRunFolders(workspace).map((dir) => snapshotOfRun(dir));
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
  const rows = [['RUN', 'KIND', 'STATUS', 'METHOD', 'STEP', 'LOSS', 'DURATION', 'STARTED']];
  for (const snapshot of snapshots) {
    // A server has no method, steps or loss: its engine and URL (while it serves) take their place.
    const serving = snapshot.kind === 'serve';
    rows.push([
      basename(snapshot.runDir),
      snapshot.kind,
      snapshot.status,
      serving ? (snapshot.serving?.engine ?? '—') : (methodOf(snapshot) ?? '—'),
      serving ? '—' : stepText(snapshot),
      serving ? (runningStatuses.includes(snapshot.status) && snapshot.serving ? snapshot.serving.url : '—') : formatLoss(snapshot.finalLoss ?? snapshot.lastLoss),
      formatDuration(durationMs(snapshot, now)) ?? '—',
      startedText(snapshot.startedAt),
    ]);
  }
  io.stdout.write(`${table(rows)}\n`);
  return ExitCode.ok;
}

/** The human-readable account of a run, one fact a line. */
export function describeRun(snapshot: JobSnapshot, now: number = Date.now()): string[] {
  const record = readRunRecord(snapshot.runDir);
  const lines = [`${snapshot.name}: ${snapshot.status}${snapshot.phase ? ` (phase ${phaseWords(snapshot.phase)})` : ''}`, `Run folder: ${snapshot.runDir}`];
  const jobFile = snapshot.jobFile ?? record?.jobFile;
  if (jobFile) lines.push(`Job file: ${jobFile}`);
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

async function show(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, follow: { type: 'boolean', default: false }, root: { type: 'string' } },
  });
  if (positionals.length > 1) throw new UsageError('jobs show takes one run');
  const runDir = findRun(positionals[0], io, values.root);
  if (values.follow) {
    const run = attachJob(runDir);
    const mode = progressModeFor(io, values.json);
    if (run) {
      humanStream(io, mode).write(`Following ${runDir} (Ctrl-C stops following; the trainer keeps running)\n`);
      const followed = await followRun(run, io, { mode, interrupt: 'detach' });
      if (!followed.ended) return ExitCode.ok;
      return reportOutcome(followed.snapshot, io, mode);
    }
    humanStream(io, mode).write(`${basename(runDir)} is not running; its record:\n`);
  }
  const snapshot = snapshotOfRun(runDir);
  if (values.json) io.stdout.write(`${JSON.stringify(snapshot, null, 2)}\n`);
  else io.stdout.write(`${describeRun(snapshot).join('\n')}\n`);
  return ExitCode.ok;
}

async function stop(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { cancel: { type: 'boolean', default: false }, root: { type: 'string' } } });
  if (positionals.length > 1) throw new UsageError('jobs stop takes one run');
  const runDir = findRun(positionals[0], io, values.root);
  const run = attachJob(runDir);
  if (!run) {
    io.stderr.write(`${basename(runDir)} is not running (${snapshotOfRun(runDir).status})\n`);
    return ExitCode.findings;
  }
  const server = run.snapshot.kind === 'serve';
  io.stderr.write(
    values.cancel
      ? `Cancelling ${basename(runDir)} without saving…\n`
      : server
        ? `Stopping the server ${basename(runDir)}: it closes and exits…\n`
        : `Stopping ${basename(runDir)}: the trainer saves a checkpoint and the adapter, then exits…\n`,
  );
  await (values.cancel ? run.cancel() : run.stopAndSave());
  const snapshot = await run.finished;
  const checkpoint = snapshot.checkpoints.at(-1);
  io.stdout.write(
    server
      ? `${basename(runDir)}: ${snapshot.status}\n`
      : `${basename(runDir)}: ${snapshot.status} at step ${snapshot.step}${snapshot.status === 'stopped' && checkpoint ? `; checkpoint: ${checkpoint.path}` : ''}\n`,
  );
  return snapshot.status === 'stopped' || snapshot.status === 'cancelled' || snapshot.status === 'done' ? ExitCode.ok : ExitCode.findings;
}

async function resume(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, python: { type: 'string' }, root: { type: 'string' } },
  });
  if (positionals.length > 1) throw new UsageError('jobs resume takes one run');
  const runDir = findRun(positionals[0], io, values.root);
  const before = snapshotOfRun(runDir);
  const record = readRunRecord(runDir);
  if (runningStatuses.includes(before.status) || (record !== undefined && isRunProcessAlive(record))) {
    io.stderr.write(`${basename(runDir)} is still running; follow it with: chatwright jobs show ${runDir} --follow\n`);
    return TrainExit.failed;
  }
  if (before.status === 'done') {
    io.stderr.write(`${basename(runDir)} is done; there is nothing to resume (start a new run with chatwright train)\n`);
    return TrainExit.failed;
  }
  const mode = progressModeFor(io, values.json);
  // The interpreter the run was started with, so the resumed half trains with the same packages.
  const python = values.python ?? record?.python ?? findInterpreter({ workspaceRoot: workspaceOf(io, values.root), env: io.env }).python;
  humanStream(io, mode).write(`Resuming ${runDir} from step ${before.step} with ${python}\n`);
  let run: JobRun;
  try {
    run = resumeJob({ runDir, trainer: trainerLaunch(python, io.env, io.cwd) });
  } catch (error) {
    if (!(error instanceof JobStartError)) throw error;
    io.stderr.write(`Cannot resume: ${error.message}\n`);
    return TrainExit.failed;
  }
  const followed = await followRun(run, io, { mode, afterSeq: before.lastSeq, interrupt: 'stop' });
  return followed.ended ? reportOutcome(followed.snapshot, io, mode) : TrainExit.done;
}
