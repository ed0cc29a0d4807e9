// Starts the stand-in trainer on a run folder and exits at once, as a window that reloads does: the trainer runs on
// in its own process group, to be found again with attachJob. Prints the trainer's pid.
import { startJob } from '../../../src/core/jobs/jobRunner';
import { standinLaunch } from '../standinJobs';

const [runDir, envJson] = process.argv.slice(2);
if (!runDir) throw new Error('usage: startJobAndLeave <runDir> [env JSON]');
const run = startJob({ runDir, trainer: standinLaunch(JSON.parse(envJson ?? '{}') as Record<string, string>) });
process.stdout.write(`${run.pid}\n`);
process.exit(0);
