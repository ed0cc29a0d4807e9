/**
 * Stands in for a test process holding a Slurm test cluster: registers the cluster of `SLURM_CONF` (argv: conf, dir),
 * starts a process that carries that config in its environment as the daemons do, prints its pid and waits to be
 * signalled. `slurmClusterCleanup.test.ts` interrupts it and checks that the process and the folder are gone.
 */
import { spawn } from 'node:child_process';
import { endClusterWithProcess } from '../slurmCluster';

const [conf, dir] = process.argv.slice(2) as [string, string];
endClusterWithProcess(conf, dir);
const daemon = spawn('sleep', ['600'], { env: { ...process.env, SLURM_CONF: conf }, stdio: 'ignore' });
process.stdout.write(`${String(daemon.pid)}\n`);
setInterval(() => undefined, 1000);
