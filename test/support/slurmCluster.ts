/**
 * A real one-node Slurm cluster for the tests: munged, mariadbd, slurmdbd, slurmctld and slurmd started on free ports
 * in a scratch folder, with their own munge key and socket, their own database and their own `slurm.conf`. Nothing of
 * the machine's own Slurm or munge (/etc/slurm, /run/munge, /var/lib/mysql) is used, so several clusters can run side
 * by side. Every daemon runs in the foreground as a child of the test process, with `SLURM_CONF` pointing at this
 * cluster's config in its environment: the job steps and job processes inherit it, which is how `stop()` (and the
 * test process's exit) finds and ends everything the cluster started.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { cpus, freemem, hostname, totalmem, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import { scratchDir } from './scratchDir';

export interface SlurmClusterOptions {
  /** Seconds a finished job stays known to `squeue`/`scontrol` (Slurm's MinJobAge; default 300). Slurm's minimum is 2. */
  minJobAge?: number;
  /** Whether slurmdbd and mariadbd run (default true). Without them `sacct` says "accounting storage is disabled". */
  accounting?: boolean;
  /** Extra `slurm.conf` lines (appended last, so they win). */
  extraConfig?: string[];
}

export interface SlurmCluster {
  /** This process's environment with the Slurm commands on PATH and `SLURM_CONF` pointing at this cluster. */
  env: NodeJS.ProcessEnv;
  /** The scratch folder holding config, state, logs and sockets; removed by `stop()`. */
  dir: string;
  /** The `slurm.conf` path (the value of SLURM_CONF). */
  conf: string;
  /** The default partition (`debug`: MaxTime 5 minutes). A second partition `short` has MaxTime 1 and MaxNodes 1. */
  partition: string;
  /** The only node (this machine's short host name, at 127.0.0.1). */
  nodeName: string;
  /** CPUs the node offers. */
  cpus: number;
  /** Memory the node offers, in MB. */
  memoryMb: number;
  /** Whether accounting (slurmdbd + mariadbd) runs. */
  accounting: boolean;
  /** Folder of the daemons' logs (slurmctld.log, slurmd.log, slurmdbd.log, mariadb.log, munged.log). */
  logDir: string;
  /** Ends every job and daemon of this cluster and removes its folder. Safe to call twice. */
  stop(): Promise<void>;
}

const daemonBinaries = ['munged', 'slurmctld', 'slurmd'] as const;
const accountingBinaries = ['slurmdbd', 'mariadbd', 'mariadb-install-db', 'sacctmgr'] as const;
const clientBinaries = ['sbatch', 'squeue', 'sacct', 'scontrol', 'scancel', 'sinfo', 'srun'] as const;
/** Daemons live in sbin, which a non-root PATH often lacks. */
const searchPath = [...(process.env.PATH ?? '').split(delimiter).filter((entry) => entry !== ''), '/usr/sbin', '/sbin', '/usr/local/sbin'];

/** The absolute path of `name` on PATH (or in an sbin folder), or undefined. */
function findBinary(name: string): string | undefined {
  for (const folder of searchPath) {
    const candidate = join(folder, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Why the real cluster cannot run here (a missing binary), or undefined when it can. Under CI (`process.env.CI` set)
 * it is always undefined: CI installs Slurm (scripts/install-test-host.sh), so a missing binary must fail the tests
 * (in `startSlurmCluster`, naming it) rather than skip them. Use as `describe(name, { skip: slurmClusterUnavailable() }, …)`.
 */
export function slurmClusterUnavailable(): string | undefined {
  if (process.env.CI) return undefined;
  return missingBinariesReason();
}

function missingBinariesReason(): string | undefined {
  const missing = [...daemonBinaries, ...accountingBinaries, ...clientBinaries].filter((name) => findBinary(name) === undefined);
  if (missing.length > 0)
    return `Slurm test cluster unavailable: ${missing.join(', ')} not found (scripts/install-test-host.sh installs slurmctld, slurmd, slurm-client, slurmdbd, munge, mariadb-server)`;
  if (process.platform !== 'linux') return 'Slurm test cluster unavailable: needs Linux';
  return undefined;
}

/** Free TCP ports on 127.0.0.1, all held open together so that no two are the same. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) + (error && code === -1 ? `\n${error.message}` : '') });
    });
  });
}

function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function unixSocketAccepts(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    if (!existsSync(path)) {
      resolve(false);
      return;
    }
    const socket = connect({ path });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function logTail(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log written)';
  }
}

/** Every process whose environment names this cluster's config: daemons, job steps (slurmstepd) and job processes. */
function processesOf(conf: string): number[] {
  const marker = `SLURM_CONF=${conf}\0`;
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker)) pids.push(pid);
    } catch {
      // Gone already, or not ours to read.
    }
  }
  return pids;
}

function killAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already ended.
    }
  }
}

/** Clusters still running, ended synchronously if the test process exits, or is interrupted, without stopping them. */
const runningClusters = new Map<string, string>();
let exitHookInstalled = false;

function endRunningClusters(): void {
  for (const [conf, dir] of runningClusters) {
    killAll(processesOf(conf), 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  runningClusters.clear();
}

/**
 * Ends the cluster of `conf` (every process whose environment names it) and removes `dir` when the test process exits,
 * or when it gets SIGINT (Ctrl-C) or SIGTERM: a listener replaces Node's default of dying without an `exit` event.
 * When another listener is there too (node:test's own, which ends the process its way), that one decides; alone, the
 * process then ends with the code the signal would have given (130, 143).
 */
export function endClusterWithProcess(conf: string, dir: string): void {
  runningClusters.set(conf, dir);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', endRunningClusters);
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      endRunningClusters();
      if (process.listenerCount(signal) === 0) process.exit(code);
    });
  }
}

interface Daemon {
  name: string;
  child: ChildProcess;
  log: string;
  exited: boolean;
}

/**
 * Starts a one-node cluster and waits until its node is idle (a few seconds; up to a few minutes on a loaded machine).
 * Throws, naming the daemon and the tail of its log, when one does not come up; whatever did start is ended then.
 */
export async function startSlurmCluster(options: SlurmClusterOptions = {}): Promise<SlurmCluster> {
  try {
    return await startSlurmClusterOnce(options);
  } catch (error) {
    // Another process (another engineer's cluster, a test server) took one of the free ports between the look and
    // the daemon's bind: once more on fresh ports.
    if (!/Address already in use|EADDRINUSE|Can't start server: Bind/i.test((error as Error).message)) throw error;
    return await startSlurmClusterOnce(options);
  }
}

async function startSlurmClusterOnce(options: SlurmClusterOptions): Promise<SlurmCluster> {
  const missing = missingBinariesReason();
  if (missing !== undefined) throw new Error(missing);
  const accounting = options.accounting ?? true;
  const dir = scratchDir('slurm');
  const logDir = join(dir, 'log');
  for (const sub of ['log', 'run', 'state', 'spool', 'munge', 'db']) mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
  const conf = join(dir, 'slurm.conf');
  const [ctldPort, slurmdPort, dbdPort, mariadbPort] = (await freePorts(4)) as [number, number, number, number];
  const nodeName = hostname().split('.')[0] ?? 'localhost';
  const cpuCount = Math.max(1, cpus().length);
  const memoryMb = Math.max(256, Math.floor((Math.min(freemem(), totalmem()) / (1024 * 1024)) * 0.8));
  const user = userInfo().username;
  const isRoot = process.getuid?.() === 0;
  const mungeSocket = join(dir, 'munge', 'munge.sock');
  const env: NodeJS.ProcessEnv = { ...withoutSlurmJobVariables(process.env), PATH: searchPath.join(delimiter), SLURM_CONF: conf };

  const mungeKey = join(dir, 'munge', 'munge.key');
  writeFileSync(mungeKey, randomBytes(1024), { mode: 0o600 });
  const clusterName = `cw${randomBytes(3).toString('hex')}`;
  const slurmConf = [
    `ClusterName=${clusterName}`,
    `SlurmctldHost=${nodeName}(127.0.0.1)`,
    `SlurmctldPort=${ctldPort}`,
    `SlurmdPort=${slurmdPort}`,
    'AuthType=auth/munge',
    `AuthInfo=socket=${mungeSocket}`,
    `StateSaveLocation=${join(dir, 'state')}`,
    `SlurmdSpoolDir=${join(dir, 'spool', '%n')}`,
    `SlurmctldPidFile=${join(dir, 'run', 'slurmctld.pid')}`,
    `SlurmdPidFile=${join(dir, 'run', 'slurmd.pid')}`,
    `SlurmctldLogFile=${join(logDir, 'slurmctld.log')}`,
    `SlurmdLogFile=${join(logDir, 'slurmd.log')}`,
    `SlurmUser=${user}`,
    `SlurmdUser=${user}`,
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'JobAcctGatherType=jobacct_gather/linux',
    'JobAcctGatherFrequency=1',
    // No JobAcctGatherParams=OverMemoryKill: without cgroups it kills a step over its --mem, but the job then ends
    // FAILED (exit 9), never OUT_OF_MEMORY, so it would only surprise a test.
    ...(accounting
      ? ['AccountingStorageType=accounting_storage/slurmdbd', 'AccountingStorageHost=127.0.0.1', `AccountingStoragePort=${dbdPort}`, `AccountingStoragePass=${mungeSocket}`]
      : ['AccountingStorageType=accounting_storage/none']),
    'SchedulerType=sched/backfill',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_Core_Memory',
    'ReturnToService=2',
    'MpiDefault=none',
    'KillWait=5',
    `MinJobAge=${options.minJobAge ?? 300}`,
    // Without a default a job allocates the node's whole memory, and jobs that could share the node run one at a time.
    `DefMemPerCPU=${Math.max(64, Math.min(1024, Math.floor(memoryMb / cpuCount / 4)))}`,
    // A quick scheduler: the tests wait on state changes, not on Slurm's default once-a-minute passes.
    'SchedulerParameters=sched_interval=2,bf_interval=2',
    'SlurmctldTimeout=30',
    'SlurmdTimeout=60',
    `NodeName=${nodeName} NodeAddr=127.0.0.1 CPUs=${cpuCount} RealMemory=${memoryMb} State=UNKNOWN`,
    `PartitionName=debug Nodes=${nodeName} Default=YES MaxTime=5 State=UP`,
    `PartitionName=short Nodes=${nodeName} MaxTime=1 MaxNodes=1 State=UP`,
    ...(options.extraConfig ?? []),
  ];
  writeFileSync(conf, slurmConf.join('\n') + '\n');
  if (accounting) {
    const dbdConf = join(dir, 'slurmdbd.conf');
    const dbdLines = [
      'AuthType=auth/munge',
      `AuthInfo=socket=${mungeSocket}`,
      'DbdHost=localhost',
      'DbdAddr=127.0.0.1',
      `DbdPort=${dbdPort}`,
      `SlurmUser=${user}`,
      `LogFile=${join(logDir, 'slurmdbd.log')}`,
      `PidFile=${join(dir, 'run', 'slurmdbd.pid')}`,
      'StorageType=accounting_storage/mysql',
      'StorageHost=127.0.0.1',
      `StoragePort=${mariadbPort}`,
      'StorageLoc=slurm_acct',
      'StorageUser=root',
    ];
    writeFileSync(dbdConf, dbdLines.join('\n') + '\n', { mode: 0o600 });
    chmodSync(dbdConf, 0o600);
  }

  const daemons: Daemon[] = [];
  let stopped = false;
  endClusterWithProcess(conf, dir);

  const startDaemon = (name: string, binary: string, args: string[]): Daemon => {
    const log = join(logDir, `${name}.out`);
    const fd = openSync(log, 'a');
    const child = spawn(findBinary(binary) ?? binary, args, { env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const daemon: Daemon = { name, child, log, exited: false };
    child.once('exit', () => {
      daemon.exited = true;
    });
    child.once('error', () => {
      daemon.exited = true;
    });
    daemons.push(daemon);
    return daemon;
  };

  /** Polls `ready` until it holds; fails early when the daemon exits, naming its logs. */
  const waitUntil = async (daemon: Daemon, what: string, ready: () => Promise<boolean>, logFile: string, timeoutMs = 180_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await ready()) return;
      const ended = daemon.exited;
      if (ended || Date.now() > deadline) {
        const why = ended ? `exited (code ${String(daemon.child.exitCode)}, signal ${String(daemon.child.signalCode)})` : `did not become ready in ${timeoutMs / 1000} s`;
        throw new Error(
          `Slurm test cluster: ${daemon.name} ${why} while waiting for ${what}.\n` +
            `Log ${logFile}:\n${logTail(logFile)}\n` +
            (logFile !== daemon.log ? `Output ${daemon.log}:\n${logTail(daemon.log)}` : ''),
        );
      }
      await sleep(250);
    }
  };

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    const alive = (name: string): boolean => daemons.some((daemon) => daemon.name === name && !daemon.exited);
    if (alive('slurmctld')) {
      // End the jobs first, so that no job step outlives its slurmd.
      const queued = await run('squeue', ['-h', '-o', '%i'], env, 10_000);
      const ids = queued.stdout
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '');
      if (ids.length > 0) {
        await run('scancel', ids, env, 10_000);
        const deadline = Date.now() + 10_000;
        while (Date.now() < deadline) {
          const left = await run('squeue', ['-h', '-o', '%i'], env, 10_000);
          if (left.code !== 0 || left.stdout.trim() === '') break;
          await sleep(250);
        }
      }
      await run('scontrol', ['shutdown'], env, 10_000);
    }
    for (const name of ['slurmctld', 'slurmd', 'slurmdbd', 'mariadbd', 'munged']) {
      const daemon = daemons.find((candidate) => candidate.name === name);
      if (!daemon || daemon.exited) continue;
      if (name !== 'slurmctld' && name !== 'slurmd') daemon.child.kill('SIGTERM');
      const deadline = Date.now() + 5_000;
      while (!daemon.exited && Date.now() < deadline) await sleep(100);
      if (!daemon.exited) daemon.child.kill(daemon.name === 'slurmd' || daemon.name === 'slurmctld' ? 'SIGTERM' : 'SIGKILL');
      const killDeadline = Date.now() + 5_000;
      while (!daemon.exited && Date.now() < killDeadline) await sleep(100);
      if (!daemon.exited) daemon.child.kill('SIGKILL');
    }
    // Whatever is left (a job step, a job's process): everything whose environment names this cluster.
    killAll(processesOf(conf), 'SIGKILL');
    runningClusters.delete(conf);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const munged = startDaemon('munged', 'munged', [
      '-F',
      '-f',
      `--socket=${mungeSocket}`,
      `--key-file=${mungeKey}`,
      `--pid-file=${join(dir, 'run', 'munged.pid')}`,
      `--log-file=${join(logDir, 'munged.log')}`,
      `--seed-file=${join(dir, 'munge', 'munged.seed')}`,
    ]);
    await waitUntil(munged, 'its socket', () => unixSocketAccepts(mungeSocket), join(logDir, 'munged.log'));

    if (accounting) {
      const dataDir = join(dir, 'db', 'data');
      const installDb = await run(
        findBinary('mariadb-install-db') ?? 'mariadb-install-db',
        ['--no-defaults', `--datadir=${dataDir}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...(isRoot ? ['--user=root'] : [])],
        env,
        300_000,
      );
      if (installDb.code !== 0) throw new Error(`Slurm test cluster: mariadb-install-db failed (exit ${installDb.code}):\n${installDb.stdout}\n${installDb.stderr}`);
      const mariadbLog = join(logDir, 'mariadb.log');
      const mariadbd = startDaemon('mariadbd', 'mariadbd', [
        '--no-defaults',
        `--datadir=${dataDir}`,
        '--bind-address=127.0.0.1',
        `--port=${mariadbPort}`,
        `--socket=${join(dir, 'db', 'mariadb.sock')}`,
        `--pid-file=${join(dir, 'run', 'mariadb.pid')}`,
        `--log-error=${mariadbLog}`,
        `--tmpdir=${join(dir, 'db')}`,
        '--innodb-buffer-pool-size=32M',
        '--innodb-flush-log-at-trx-commit=0',
        '--skip-log-bin',
        ...(isRoot ? ['--user=root'] : []),
      ]);
      await waitUntil(mariadbd, `connections on 127.0.0.1:${mariadbPort}`, () => tcpAccepts(mariadbPort), mariadbLog);

      const slurmdbdLog = join(logDir, 'slurmdbd.log');
      const slurmdbd = startDaemon('slurmdbd', 'slurmdbd', ['-D']);
      await waitUntil(slurmdbd, `connections on 127.0.0.1:${dbdPort}`, () => tcpAccepts(dbdPort), slurmdbdLog);
      let lastAdd: CommandResult | undefined;
      await waitUntil(
        slurmdbd,
        `sacctmgr to add cluster ${clusterName}`,
        async () => {
          lastAdd = await run('sacctmgr', ['-i', 'add', 'cluster', clusterName], env, 30_000);
          return lastAdd.code === 0 || /already exists/i.test(lastAdd.stdout + lastAdd.stderr);
        },
        slurmdbdLog,
      ).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}\nLast sacctmgr output: ${lastAdd ? lastAdd.stdout + lastAdd.stderr : '(none)'}`);
      });
    }

    const ctldLog = join(logDir, 'slurmctld.log');
    const slurmctld = startDaemon('slurmctld', 'slurmctld', ['-D', '-i']);
    await waitUntil(
      slurmctld,
      'scontrol ping to answer UP',
      async () => {
        const ping = await run('scontrol', ['ping'], env, 15_000);
        return /\bUP\b/.test(ping.stdout);
      },
      ctldLog,
    );
    const slurmdLog = join(logDir, 'slurmd.log');
    const slurmd = startDaemon('slurmd', 'slurmd', ['-D', '-N', nodeName]);
    let lastState = '';
    await waitUntil(
      slurmd,
      `sinfo to show node ${nodeName} idle`,
      async () => {
        const info = await run('sinfo', ['-h', '-N', '-n', nodeName, '-o', '%T'], env, 15_000);
        lastState = info.stdout.trim();
        return info.code === 0 && lastState.split('\n').every((line) => line === 'idle') && lastState !== '';
      },
      slurmdLog,
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\nLast node state: ${lastState || '(none)'}\nslurmctld log:\n${logTail(ctldLog)}`);
    });
  } catch (error) {
    await stop();
    throw error;
  }

  return { env, dir, conf, partition: 'debug', nodeName, cpus: cpuCount, memoryMb, accounting, logDir, stop };
}

/** The test process may itself run inside a Slurm job: its SLURM_* variables would steer the commands elsewhere. */
function withoutSlurmJobVariables(source: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(source)) {
    if (
      key.startsWith('SLURM_') ||
      key.startsWith('SBATCH_') ||
      key.startsWith('SALLOC_') ||
      key.startsWith('SRUN_') ||
      key.startsWith('SQUEUE_') ||
      key.startsWith('SACCT_') ||
      key.startsWith('SINFO_')
    )
      continue;
    if (value !== undefined) result[key] = value;
  }
  return result;
}
