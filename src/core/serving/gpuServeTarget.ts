/**
 * Where "Serve on GPU" runs the Python server: this machine with one GPU, this machine with all its GPUs (vLLM's tensor
 * parallelism, or transformers splitting the model's layers across them when vLLM is missing), or a Slurm cluster with
 * the `target` of a job file. A server on a compute node must be reached from elsewhere, so it listens on every
 * interface and therefore needs an API key, like a server the user opens to the network. Pure: the command asks, this
 * says what each answer means.
 */
import { defaultTarget, type ResolvedJobTarget } from '../jobs/jobTarget';
import { slurmRequestText } from '../jobs/jobWhere';
import { type GpuEngineChoice } from './serveRequest';

export type GpuServeWhere = { kind: 'oneGpu' } | { kind: 'allGpus'; gpus: number } | { kind: 'slurm'; jobFile: string; target: ResolvedJobTarget };

export type GpuEngine = NonNullable<GpuEngineChoice['engine']>;

/** How a model is spread over several GPUs by this engine, in words for the question and the log. */
export function gpuSplitText(engine: GpuEngine, gpus: number): string {
  if (gpus <= 1) return 'one GPU';
  if (engine === 'vllm') return `vLLM tensor parallel over ${gpus} GPUs`;
  if (engine === 'transformers') return `transformers splitting the layers over ${gpus} GPUs (vLLM is not installed)`;
  return `the stand-in generator, told of ${gpus} GPUs (a test hook)`;
}

/** The choices of the Where step: this machine's one GPU, all of them when the probe sees more than one, and a cluster. */
export function gpuServeWhereChoices(args: { visibleGpus: number; engine: GpuEngine; slurmJobFiles: number }): { label: string; detail: string; where: 'oneGpu' | 'allGpus' | 'slurm' }[] {
  const choices: { label: string; detail: string; where: 'oneGpu' | 'allGpus' | 'slurm' }[] = [
    { label: 'This machine, one GPU', detail: args.visibleGpus === 0 ? 'No GPU was seen here: the engine runs on what it finds.' : 'The model on the first GPU.', where: 'oneGpu' },
  ];
  if (args.visibleGpus > 1) choices.push({ label: `This machine, all ${args.visibleGpus} GPUs`, detail: `${gpuSplitText(args.engine, args.visibleGpus)}.`, where: 'allGpus' });
  choices.push({
    label: 'A Slurm cluster…',
    detail:
      args.slurmJobFiles > 0
        ? `With the target of a job file (${args.slurmJobFiles} with type: slurm here); it listens on the compute node's network with an API key.`
        : 'Needs a job file with target type: slurm in this workspace (none yet).',
    where: 'slurm',
  });
  return choices;
}

/** The target the server runs on for an answer of the Where step. */
export function serveTargetOf(where: GpuServeWhere): ResolvedJobTarget {
  if (where.kind === 'slurm') return where.target;
  return { ...defaultTarget, gpus: where.kind === 'allGpus' ? where.gpus : 1 };
}

/** Whether the server must listen on every interface with an API key: on a compute node it is reached from the login node or further. */
export function requiresNetworkListen(where: GpuServeWhere): boolean {
  return where.kind === 'slurm';
}

/** Where it runs, in the words of the question before starting: "this machine, vLLM tensor parallel over 4 GPUs", "Slurm (partition gpu, 1 node × 2 GPUs, 04:00:00)". */
export function gpuServeWhereText(where: GpuServeWhere, engine: GpuEngine): string {
  if (where.kind === 'slurm') return `Slurm (${slurmRequestText(where.target)}), ${gpuSplitText(engine, Math.max(1, where.target.gpus))} on its first node`;
  return `this machine, ${gpuSplitText(engine, where.kind === 'allGpus' ? where.gpus : 1)}`;
}
