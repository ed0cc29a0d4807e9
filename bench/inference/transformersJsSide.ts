// The transformers.js side of the benchmark, in its own process so its peak memory is its own: its pipelines on the
// same local model folders with the same thread count. Loads once (argv: JSON setup), then answers one JSON job per
// stdin line with one JSON line on stdout, so rounds can alternate with Chatwright's on a shared machine.
import { basename, dirname } from 'node:path';
import { createInterface } from 'node:readline';

interface Setup {
  task: 'embed' | 'generate';
  dir: string;
  dtype: 'fp32' | 'q8';
  threads: number;
  /** false: a no-spin thread pool (transformers.js passes session_options through). */
  spinWait: boolean;
}
type Job = { texts: string[] } | { prompt: string; maxNewTokens: number };

async function main(): Promise<void> {
  const setup = JSON.parse(process.argv[2]!) as Setup;
  const { env, pipeline } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${dirname(setup.dir)}/`;
  const session_options = {
    intraOpNumThreads: setup.threads,
    interOpNumThreads: 1,
    ...(setup.spinWait ? {} : { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } }),
  };
  const loadStarted = performance.now();
  const extractor = setup.task === 'embed' ? await pipeline('feature-extraction', basename(setup.dir), { dtype: setup.dtype, session_options }) : undefined;
  const generator = setup.task === 'generate' ? await pipeline('text-generation', basename(setup.dir), { dtype: setup.dtype, session_options }) : undefined;
  console.log(JSON.stringify({ ready: true, loadMs: performance.now() - loadStarted }));
  for await (const line of createInterface({ input: process.stdin })) {
    const job = JSON.parse(line) as Job;
    if ('texts' in job) {
      const started = performance.now();
      // The pipeline pads a call's texts to the longest; callers batch like this (32 texts per call).
      let vectors: number[][] = [];
      for (let i = 0; i < job.texts.length; i += 32) vectors = vectors.concat((await extractor!(job.texts.slice(i, i + 32), { pooling: 'mean', normalize: true })).tolist() as number[][]);
      const seconds = (performance.now() - started) / 1000;
      console.log(JSON.stringify({ perSecond: job.texts.length / seconds, first: vectors[0], peakRssBytes: process.resourceUsage().maxRSS * 1024 }));
    } else {
      const stamps: number[] = [];
      // transformers.js calls put() once with the prompt, then once per generated token.
      const streamer = { put: () => stamps.push(performance.now()), end: () => undefined };
      const started = performance.now();
      const output = (await generator!(job.prompt, { max_new_tokens: job.maxNewTokens, do_sample: false, return_full_text: false, streamer: streamer as never })) as { generated_text: string }[];
      const finished = performance.now();
      const generated = stamps.length - 1;
      const firstToken = stamps[1] ?? finished;
      console.log(
        JSON.stringify({
          generated,
          timeToFirstTokenMs: firstToken - started,
          tokensPerSecond: generated > 1 ? (generated - 1) / ((finished - firstToken) / 1000) : 0,
          text: output[0]?.generated_text ?? '',
          peakRssBytes: process.resourceUsage().maxRSS * 1024,
        }),
      );
    }
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
