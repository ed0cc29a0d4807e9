/**
 * A long-running program in its own process group: a fine-tuning trainer and whatever it starts (data loader
 * workers, compilers). The group is what makes "nothing left behind" possible: a signal sent to `-pid` reaches every
 * member, and the group outlives the process that started it (a window reload), so a later process can find it by
 * its pid and stop it.
 *
 * Output does not pass through this process: stdout and stderr are appended straight to a log file, so the program
 * never writes into a closed pipe when its starter goes away. Readers tail the file (`followAppendedLines`).
 *
 * Windows has no process groups and no way to send SIGINT to another console program: there the program is a plain
 * child, a polite stop is asked for by the caller in its own way (the trainer's `stop-now` file), and SIGTERM/SIGKILL
 * end the whole tree with `taskkill /T /F`.
 */
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { spawnProcess } from './launcher';

export interface GroupExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface GroupProcess {
  /** The leader's pid, which is also the group's id (POSIX). */
  readonly pid: number;
  /** Resolves when the leader has ended (the group may outlive it; see `stopProcessGroup`). */
  readonly exited: Promise<GroupExit>;
  /** The leader's start time (`processStartTime`), to tell it from a later process that reuses the pid. */
  readonly startTime: number | undefined;
  /** Lets this process exit while the group runs on (it is followed from elsewhere, or later). */
  unref(): void;
}

export interface EscalationStep {
  signal: NodeJS.Signals;
  /** How long to wait for the group to end after this signal before the next step. */
  waitMs: number;
}

export interface StartGroupOptions {
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout and stderr are appended to this file (created when missing). */
  logFile: string;
}

/** The program could not be started (not found, not executable); nothing is running. */
export class GroupStartError extends Error {
  constructor(
    readonly command: string,
    cause: string,
  ) {
    super(`could not start ${command}: ${cause}`);
    this.name = 'GroupStartError';
  }
}

const isWindows = process.platform === 'win32';

/**
 * Starts `command` as the leader of a new process group with its output appended to `logFile`. Throws
 * `GroupStartError` when it cannot be started (not found, not executable). The child stays referenced, so this
 * process stays alive while it follows it.
 */
export function startProcessGroup(options: StartGroupOptions): GroupProcess {
  const log = openSync(options.logFile, 'a');
  let child;
  try {
    child = spawnProcess(options.command, options.args, {
      stdio: ['ignore', log, log],
      processGroup: true,
      ...(options.env ? { env: options.env } : {}),
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    });
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(log);
  }
  // A program that cannot be started has no pid at once; its 'error' event (which follows) must not go unhandled.
  child.on('error', () => undefined);
  const pid = child.pid;
  if (pid === undefined) throw new GroupStartError(options.command, 'not found, or not an executable program');
  const exited = new Promise<GroupExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { pid, exited, startTime: processStartTime(pid), unref: () => child.unref() };
}

/** Whether a process with this pid exists (and, on Linux, is not a zombie waiting to be reaped). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return processState(pid) !== 'Z';
}

/** Whether any process of the group led by `pid` is still alive (POSIX); elsewhere whether the leader is. */
export function isProcessGroupAlive(pid: number): boolean {
  if (isWindows) return isProcessAlive(pid);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(-pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // kill() counts zombies: a member that has ended but waits for its new parent (init, which in a container may be
  // slow) to reap it. Only a member that can still run counts.
  return process.platform !== 'linux' || hasLiveGroupMember(pid);
}

/** Linux: whether a process of group `groupId` (field 5 of /proc/<pid>/stat) is in any state but zombie. */
function hasLiveGroupMember(groupId: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields !== undefined && Number(fields[2]) === groupId && fields[0] !== 'Z') return true;
  }
  return false;
}

/**
 * Sends `signal` to every process of the group (POSIX `kill(-pid)`); false when the group no longer exists. On
 * Windows SIGTERM and SIGKILL end the whole tree (`taskkill /T /F`) and SIGINT cannot be sent (false).
 */
export function signalProcessGroup(pid: number, signal: NodeJS.Signals): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (isWindows) {
    if (signal === 'SIGINT' || !isProcessAlive(pid)) return false;
    spawnProcess('taskkill', ['/PID', String(pid), '/T', '/F'], { stdio: 'ignore' }).on('error', () => undefined);
    return true;
  }
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Sends each step's signal to the group and waits up to its `waitMs` for the group to end; resolves true when it
 * ended (every member, not only the leader), false when it outlived every step. `exited` (the leader's exit, when
 * this process started it) lets the wait end as soon as the leader is reaped.
 */
export async function stopProcessGroup(pid: number, steps: readonly EscalationStep[], exited?: Promise<unknown>): Promise<boolean> {
  let leaderExited = exited === undefined;
  void exited?.then(() => (leaderExited = true));
  const ended = (): boolean => (exited === undefined || leaderExited) && !isProcessGroupAlive(pid);
  for (const step of steps) {
    if (ended()) return true;
    signalProcessGroup(pid, step.signal);
    const deadline = Date.now() + step.waitMs;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(50, Math.max(1, deadline - Date.now()))));
      if (ended()) return true;
    }
  }
  return ended();
}

/**
 * The process's start time in clock ticks since boot (Linux: field 22 of /proc/<pid>/stat), which tells a process
 * from a later one that got the same pid; undefined elsewhere or when the process is gone.
 */
export function processStartTime(pid: number): number | undefined {
  const fields = statFields(pid);
  const value = fields !== undefined ? Number(fields[19]) : NaN;
  return Number.isFinite(value) ? value : undefined;
}

/** The process's state letter (Linux: field 3 of /proc/<pid>/stat, `Z` for a zombie). */
function processState(pid: number): string | undefined {
  return statFields(pid)?.[0];
}

/** The fields of /proc/<pid>/stat after the command name (field 3 onward); the name may hold spaces and parentheses. */
function statFields(pid: number): string[] | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text
      .slice(text.lastIndexOf(')') + 2)
      .trim()
      .split(' ');
  } catch {
    return undefined;
  }
}
