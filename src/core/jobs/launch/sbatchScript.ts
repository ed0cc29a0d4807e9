/**
 * The `sbatch` script a Slurm job becomes: the `#SBATCH` lines from `target.slurm`, the user's setup lines, then `srun`
 * running the trainer's launch plan on every node, its output appended to the run folder's train.log. Pure text,
 * held to reviewed expectations in `test/fixtures/launch/` (single GPU, several GPUs, several nodes, DeepSpeed).
 *
 * Two quotings meet here. `#SBATCH` lines are read by sbatch itself, not by bash: a value is split at blanks unless
 * it is inside double quotes, `\` escapes the next character, and in `--output` a `%` starts a filename pattern
 * (`%j` …), so a literal one is `%%`. The script's body is bash: every word from outside (paths, the interpreter)
 * goes through `shellQuote`, and the per-node command is quoted twice, once for `bash -c` and once for the script.
 */
import { type ResolvedJobConfig } from '../jobFile';
import { type ServerLaunch, type TrainerLaunch } from '../jobRunner';
import { type ResolvedJobTarget } from '../jobTarget';
import { runLogFile, stopNowFile } from '../runFolder';
import { shellQuote } from './shellQuote';
import { perNodeVariableOf, trainerLaunchPlan, usesJobPort, type LaunchFile, type TrainerLaunchPlan } from './trainerLaunchPlan';

/** The script's name in the run folder. */
export const sbatchScriptFile = 'job.sbatch';

export interface SbatchScript {
  /** The whole script, shown to the user before it is submitted and saved as RUN/job.sbatch. */
  text: string;
  /** The launch files the script refers to (accelerate.yaml, deepspeed.json). */
  files: LaunchFile[];
  /** Absent for a server. */
  plan?: TrainerLaunchPlan;
}

/** A job option this script cannot carry, naming the job file's field. */
export class SbatchScriptError extends Error {
  override readonly name = 'SbatchScriptError';
}

/** A fine-tuning job's script. */
export function trainingSbatchScript(args: { name: string; runDir: string; config: ResolvedJobConfig; trainer: TrainerLaunch }): SbatchScript {
  const target = args.config.target;
  const plan = trainerLaunchPlan({ config: args.config, runDir: args.runDir, trainer: args.trainer });
  const header = sbatchHeader({ name: args.name, runDir: args.runDir, target, nodes: plan.nodes, saveBeforeLimit: true });
  const body = [
    'set -euo pipefail',
    ...setupLines(target),
    '# The trainer: chatwright_train from the repository python/ folder first; output unbuffered so train.log follows it.',
    `export PYTHONPATH=${shellQuote(args.trainer.pythonPath)}"\${PYTHONPATH:+:$PYTHONPATH}"`,
    'export PYTHONUNBUFFERED=1',
    '# The first node of the job is where the processes meet (accelerate: --main_process_ip).',
    'export MASTER_ADDR="$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)"',
    ...masterPortLines(target),
    startLine(),
    '',
    ...stopBeforeLimitLines(args.runDir, target),
    ...waitedSrunLines(srunLines([plan.command, ...plan.args], target, plan.nodes)),
  ];
  return { text: [...header, '', ...body].join('\n') + '\n', files: plan.files, plan };
}

/** A GPU server's script (`python -m chatwright_serve …` on the first node; the port it binds is in its `serving` event). */
export function serverSbatchScript(args: { name: string; runDir: string; target: ResolvedJobTarget; server: ServerLaunch }): SbatchScript {
  const { target, server } = args;
  const header = sbatchHeader({ name: args.name, runDir: args.runDir, target, nodes: 1, saveBeforeLimit: false });
  const command = target.slurm.python ?? server.command;
  // Clients reach the server on the node from the login node: it listens on every interface (the API key it then
  // requires travels in the job's environment, which sbatch passes on, never in this script).
  const serverArgs = [...withHost(server.args, '0.0.0.0'), '--run-dir', args.runDir];
  const pythonPath = server.env?.PYTHONPATH;
  const body = [
    'set -euo pipefail',
    ...setupLines(target),
    ...(pythonPath !== undefined ? [`export PYTHONPATH=${shellQuote(pythonPath)}`] : []),
    'export PYTHONUNBUFFERED=1',
    startLine(),
    '',
    ...srunLines([command, ...serverArgs], target, 1),
  ];
  return { text: [...header, '', ...body].join('\n') + '\n', files: [] };
}

interface HeaderOptions {
  name: string;
  runDir: string;
  target: ResolvedJobTarget;
  nodes: number;
  /** `--signal=B:USR2@N`: the batch shell asks the trainer to save a checkpoint N seconds before the time limit. */
  saveBeforeLimit: boolean;
}

function sbatchHeader(options: HeaderOptions): string[] {
  const { target, runDir } = options;
  const slurm = target.slurm;
  // Slurm drops every backslash of an --output path (and then expands no pattern), and a line break would end the
  // #SBATCH line: no quoting carries either, so such a run folder cannot be the job's.
  if (/[\\\r\n]/.test(runDir))
    throw new SbatchScriptError(`The run folder ${JSON.stringify(runDir)} holds a backslash or a line break, which Slurm cannot take in --output: move the workspace to a path without them.`);
  const directives: string[] = [
    `--job-name=${sbatchValue(`chatwright-${safeJobName(options.name)}`)}`,
    // The job's stdout and stderr go where a local trainer's go; appended, so a resumed job keeps the earlier log.
    `--output=${sbatchValue(filenamePattern(`${runDir.replace(/\/+$/, '')}/${runLogFile}`))}`,
    '--open-mode=append',
    `--chdir=${sbatchValue(runDir)}`,
    `--nodes=${options.nodes}`,
    // One task per node: srun starts one launcher per node, which starts one process per GPU.
    '--ntasks-per-node=1',
    // A requeued job would run again under the same id while its run looks ended here (NODE_FAIL and PREEMPTED are
    // final for the follower): the user resumes it instead, from its last checkpoint.
    '--no-requeue',
  ];
  if (target.gpus > 0) directives.push(`--gpus-per-node=${slurm.gpu_type !== null ? `${sbatchValue(slurm.gpu_type)}:` : ''}${target.gpus}`);
  if (slurm.cpus_per_task !== null) directives.push(`--cpus-per-task=${slurm.cpus_per_task}`);
  if (slurm.mem !== null) directives.push(`--mem=${sbatchValue(slurm.mem)}`);
  directives.push(`--time=${sbatchValue(slurm.time)}`);
  if (slurm.partition !== null) directives.push(`--partition=${sbatchValue(slurm.partition)}`);
  if (slurm.account !== null) directives.push(`--account=${sbatchValue(slurm.account)}`);
  if (slurm.qos !== null) directives.push(`--qos=${sbatchValue(slurm.qos)}`);
  // B: only the batch shell, whose trap writes RUN/stop-now: a signal to the steps would reach `accelerate launch`, which
  // ends its processes with SIGTERM (and SIGKILL ~30 s later) whatever they were saving.
  if (options.saveBeforeLimit) directives.push(`--signal=B:USR2@${slurm.save_before_limit_seconds}`);
  slurm.sbatch.forEach((line, index) => {
    if (/[\r\n]/.test(line)) throw new SbatchScriptError(`target.slurm.sbatch[${index}]: an #SBATCH option must be one line`);
    if (!line.trim().startsWith('-')) throw new SbatchScriptError(`target.slurm.sbatch[${index}]: '${line}' is not an sbatch option (they start with -, e.g. --mail-type=END)`);
  });
  return ['#!/bin/bash', ...directives.map((directive) => `#SBATCH ${directive}`), ...slurm.sbatch.map((line) => `#SBATCH ${line.trim()}`)];
}

/** The user's setup lines, verbatim. `set -u` is lifted around them: module and activate scripts often read unset variables. */
function setupLines(target: ResolvedJobTarget): string[] {
  if (target.slurm.setup.length === 0) return [];
  return ['# Setup (target.slurm.setup)', 'set +u', ...target.slurm.setup, 'set -u'];
}

/**
 * The rendezvous port. At the default `main_port` it is derived from the job id (20000–39999), so two multi-GPU jobs
 * that share a node do not both bind 29500 and hang at the rendezvous; a port the job file sets is kept as given.
 */
function masterPortLines(target: ResolvedJobTarget): string[] {
  if (!usesJobPort(target)) return [`export MASTER_PORT=${target.main_port}`];
  return ['# The rendezvous port, from the job id: jobs sharing a node each get their own (target.main_port sets a fixed one).', 'export MASTER_PORT=$((20000 + SLURM_JOB_ID % 20000))'];
}

/** Says in train.log which job this is, where and since when: a resumed job's log holds several. */
function startLine(): string {
  return 'echo "chatwright: Slurm job $SLURM_JOB_ID on $SLURM_JOB_NUM_NODES node(s) ($SLURM_JOB_NODELIST), started $(date -u +%Y-%m-%dT%H:%M:%SZ)"';
}

/**
 * The batch shell's answer to `--signal=B:USR2@N`: it creates RUN/stop-now on the shared filesystem, which every
 * training process polls after each optimizer step (they agree, save a checkpoint and exit 3), and says so in
 * train.log. A failed write is said too; `set -e` does not end the shell inside the trap's `if`.
 */
function stopBeforeLimitLines(runDir: string, target: ResolvedJobTarget): string[] {
  const stopFile = shellQuote(`${runDir.replace(/\/+$/, '')}/${stopNowFile}`);
  return [
    `# ${target.slurm.save_before_limit_seconds} s before the time limit Slurm sends this shell SIGUSR2 (--signal=B:USR2@…): ask the trainer to save and stop.`,
    'stop_before_time_limit() {',
    '  echo "chatwright: the time limit is near ($(date -u +%Y-%m-%dT%H:%M:%SZ)): asking the trainer to save a checkpoint and stop"',
    `  if ! : > ${stopFile}; then echo "chatwright: could not create "${stopFile}; fi`,
    '}',
    'trap stop_before_time_limit USR2',
  ];
}

/**
 * `srun` in the background and waited for, so the USR2 trap runs while it trains: bash's `wait` returns early (above
 * 128) when a trapped signal arrives, so it waits again while srun is alive, then takes srun's status (bash keeps a
 * finished background job's status for a later `wait`) and exits with it.
 */
function waitedSrunLines(srun: string[]): string[] {
  return [
    ...srun.slice(0, -1),
    `${srun.at(-1)!} &`,
    'srun_pid=$!',
    'while kill -0 "$srun_pid" 2>/dev/null; do wait "$srun_pid" || true; done',
    'srun_status=0',
    'wait "$srun_pid" || srun_status=$?',
    'exit "$srun_status"',
  ];
}

/**
 * `srun` running the command once per node. Signals that scancel sends to the job's steps (cancel's SIGINT) reach the
 * command because `exec` replaces the shell; --kill-on-bad-exit ends every node's processes when one fails.
 */
function srunLines(words: string[], target: ResolvedJobTarget, nodes: number): string[] {
  // srun does not pass the job's --cpus-per-task on to its step in every Slurm version (22.05 does not): say it again.
  const srun = ['srun', '--kill-on-bad-exit=1', ...(target.slurm.cpus_per_task !== null ? [`--cpus-per-task=${target.slurm.cpus_per_task}`] : [])].join(' ');
  // Only the node's rank differs between nodes; the batch shell knows MASTER_ADDR and MASTER_PORT and expands them itself.
  const perNode = words.some((word) => perNodeVariableOf(word) === 'SLURM_NODEID');
  if (!perNode) return [`${srun} ${words.map((word) => (perNodeVariableOf(word) !== undefined ? `"${word}"` : shellQuote(word))).join(' ')}`];
  // The command differs per node: srun starts `bash -c` once on each node, and that bash expands
  // "$SLURM_NODEID" (set by srun for the task: the node's rank) and "$MASTER_ADDR" (exported above) there.
  const inner = `exec ${words.map((word) => (perNodeVariableOf(word) !== undefined ? `"${word}"` : shellQuote(word))).join(' ')}`;
  return [`# One task on each of the ${nodes} nodes; bash -c expands "$SLURM_NODEID" (the node's rank) and "$MASTER_ADDR" on the node.`, `${srun} bash -c ${shellQuote(inner)}`];
}

/** `args` with `--host`'s value replaced (or `--host` added). */
function withHost(args: readonly string[], host: string): string[] {
  const index = args.indexOf('--host');
  if (index >= 0 && index + 1 < args.length) return [...args.slice(0, index + 1), host, ...args.slice(index + 2)];
  return [...args, '--host', host];
}

/** A job name Slurm and `squeue` show plainly: letters, digits, `.`, `_`, `-`. */
function safeJobName(name: string): string {
  const safe = name
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100);
  return safe === '' ? 'job' : safe;
}

/** A path where sbatch expands filename patterns (`--output`): a literal `%` is `%%`. */
function filenamePattern(path: string): string {
  return path.replace(/%/g, '%%');
}

/** An option value as sbatch reads it from an #SBATCH line: bare when plain, else in double quotes with `\` and `"` escaped. */
function sbatchValue(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `"${value.replace(/[\\"]/g, (character) => `\\${character}`)}"`;
}
