// Starts the stand-in trainer on a run folder, detaches from it and ends, as an extension host does on a window
// reload: the trainer runs on in its own process group, to be found again with attachJob. Prints the trainer's pid.
// No process.exit: this process must end by itself once detached, with nothing of the run keeping it alive.
import { startJob } from '../../../src/core/jobs/jobRunner';
import { standinLaunch } from '../standinJobs';

const [runDir, envJson] = process.argv.slice(2);
if (!runDir) throw new Error('usage: startJobAndLeave <runDir> [env JSON]');
const run = startJob({ runDir, trainer: standinLaunch(JSON.parse(envJson ?? '{}') as Record<string, string>) });
process.stdout.write(`${run.pid}\n`);
run.detach();
