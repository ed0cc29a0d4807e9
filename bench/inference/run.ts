// Inference benchmark: Chatwright's engine (its worker process, through its protocol) against transformers.js's
// pipelines on the same generated real-size models and thread count. Both stay loaded in their own processes and
// run in alternating rounds, so that load from other users of a shared machine hits both alike; the best round of
// each side is reported (the least disturbed), with the ratio of every round.
//   node --import tsx bench/inference/run.ts [--models /tmp/chatwright-bench] [--texts 192] [--new-tokens 128] [--rounds 3]
//     [--peer-no-spin]   give transformers.js a no-spin thread pool (its default spins), to show how much of a ratio
//                        is that setting
//     [--engine-spin]    turn on chatwright.engine.spinWhileGenerating (off by default) for Chatwright's generation
//     [--fused]          generate with the same weights in onnxruntime-genai's fused operators (GroupQueryAttention…),
//                        the layout of newer onnx-community exports, instead of the exported graph
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Tokenizer } from '@huggingface/tokenizers';
import { EngineClient } from '../../src/host/engine/engineClient';
import { loadOnnxRuntime } from '../../src/core/inference/onnxSession';
import { SeededRandom } from '../../src/core/inference/sampling';
import { cosine } from '../../src/core/text/cosine';
import { type EngineGenerationResult } from '../../src/shared/engineProtocol';
import { ensureBenchModels, ensureFusedQwenModel } from './benchModels';
import { measurePeakMacsPerSecond } from './peakCapability';
import { decoderMatricesOf, measureWeightStreamingMs, weightBytesPerToken, writeWeightStreamingGraph } from './weightStreaming';

const root = resolve(__dirname, '../..');
const { values } = parseArgs({
  options: {
    models: { type: 'string', default: '/tmp/chatwright-bench' },
    texts: { type: 'string', default: '192' },
    'new-tokens': { type: 'string', default: '128' },
    rounds: { type: 'string', default: '3' },
    skip: { type: 'string', multiple: true },
    'peer-no-spin': { type: 'boolean', default: false },
    'engine-spin': { type: 'boolean', default: false },
    fused: { type: 'boolean', default: false },
  },
});
const threads = availableParallelism();
const rounds = Number(values.rounds);
const peerSpinWait = !values['peer-no-spin'];
const log = (line: string): void => console.log(line);
const load = (): string =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const giga = (value: number): string => `${(value / 1e9).toFixed(1)} G`;
const mega = (value: number): string => `${(value / 1e6).toFixed(1)} M`;
const ratios = (pairs: [number, number][]): string => pairs.map(([a, b]) => `${(a / b).toFixed(2)}x`).join(', ');

function engine(): EngineClient {
  return new EngineClient({ workerPath: join(root, 'src/worker/engineWorker.ts'), settings: { executionProvider: 'cpu', threads, idleUnloadMs: 0, spinWhileGenerating: values['engine-spin'] } });
}

/** The transformers.js process: loaded once, then one job per line. */
class TransformersJs {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly waiting: ((line: string) => void)[] = [];

  private constructor(setup: object) {
    this.child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'transformersJsSide.ts'), JSON.stringify(setup)], { cwd: root, env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' } });
    this.child.stderr.pipe(process.stderr);
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on('line', (line) => {
      if (line.startsWith('{')) this.waiting.shift()?.(line);
    });
  }

  static async start(setup: object): Promise<TransformersJs> {
    const side = new TransformersJs(setup);
    await side.next();
    return side;
  }

  private next<T>(): Promise<T> {
    return new Promise((resolveLine, reject) => {
      this.child.once('exit', (code) => reject(new Error(`transformers.js side exited with code ${code}`)));
      this.waiting.push((line) => resolveLine(JSON.parse(line) as T));
    });
  }

  run<T>(job: object): Promise<T> {
    const answer = this.next<T>();
    this.child.stdin.write(`${JSON.stringify(job)}\n`);
    return answer;
  }

  stop(): void {
    this.child.kill();
  }
}

/** Real prose (the shared documentation corpus) cut into chunks of 10 to 256 tokens, uniformly, seeded. */
function chunkMix(tokenizer: Tokenizer, count: number): { texts: string[]; meanTokens: number } {
  const corpusDir = '/work/shared/data/corpus/rclone-docs';
  const words = readdirSync(corpusDir)
    .filter((file) => file.endsWith('.md'))
    .sort()
    .flatMap((file) => readFileSync(join(corpusDir, file), 'utf8').split(/\s+/).filter(Boolean));
  const random = new SeededRandom(2024);
  const texts: string[] = [];
  let tokens = 0;
  for (let i = 0; i < count; i++) {
    const target = 10 + Math.floor(random.next() * 247);
    let start = Math.floor(random.next() * (words.length - 400));
    const picked: string[] = [];
    let length = 2;
    while (length < target) {
      picked.push(words[start++]!);
      length = tokenizer.encode(picked.join(' ')).ids.length;
    }
    texts.push(picked.join(' '));
    tokens += Math.min(length, 256);
  }
  return { texts, meanTokens: tokens / count };
}

async function main(): Promise<void> {
  log(`# Chatwright inference benchmark — ${new Date().toISOString()}, ${threads} threads, ${rounds} alternating rounds, load average ${load()}`);
  log(
    `transformers.js 4.3.1 with ${peerSpinWait ? "onnxruntime's default thread pool (spinning)" : 'a no-spin thread pool'}; Chatwright ${values['engine-spin'] ? 'spins while generating (chatwright.engine.spinWhileGenerating on)' : 'without spinning (its default)'}`,
  );
  const models = ensureBenchModels(values.models, log);
  const peak = await measurePeakMacsPerSecond(threads);
  log(`cores' capability (onnxruntime GEMM 1024³, ${threads} threads): fp32 ${giga(peak.fp32)}MAC/s, int8 (dynamic quantization, as q8 models run) ${giga(peak.int8)}MAC/s`);

  if (!values.skip?.includes('embed')) {
    const tokenizer = new Tokenizer(JSON.parse(readFileSync(join(models.miniLm.dir, 'tokenizer.json'), 'utf8')) as object, {});
    const { texts, meanTokens } = chunkMix(tokenizer, Number(values.texts));
    const warmup = texts.slice(0, 16);
    log(`\n## Embeddings: all-MiniLM-L6-v2 shape (${(models.miniLm.parameters / 1e6).toFixed(1)}M parameters), ${texts.length} chunks of 10-256 tokens (mean ${meanTokens.toFixed(0)} tokens)`);
    for (const dtype of ['fp32', 'q8'] as const) {
      const client = engine();
      const theirs = await TransformersJs.start({ task: 'embed', dir: models.miniLm.dir, dtype, threads, spinWait: peerSpinWait });
      try {
        await client.request('embed', { model: models.miniLm.dir, dtype, texts: warmup, role: 'document' });
        await theirs.run({ texts: warmup });
        const pairs: [number, number][] = [];
        let similarity = 0;
        let theirPeak = 0;
        for (let round = 0; round < rounds; round++) {
          const started = performance.now();
          const ours = await client.request('embed', { model: models.miniLm.dir, dtype, texts, role: 'document' });
          const oursPerSecond = texts.length / ((performance.now() - started) / 1000);
          const result = await theirs.run<{ perSecond: number; first: number[]; peakRssBytes: number }>({ texts });
          pairs.push([oursPerSecond, result.perSecond]);
          similarity = cosine(ours.vectors[0]!, result.first);
          theirPeak = result.peakRssBytes;
        }
        const status = await client.request('status', {});
        const best = Math.max(...pairs.map(([a]) => a));
        const bestTheirs = Math.max(...pairs.map(([, b]) => b));
        const peakOf = dtype === 'fp32' ? peak.fp32 : peak.int8;
        const fraction = (perSecond: number): string => `${((100 * perSecond * meanTokens * models.miniLm.macsPerToken) / peakOf).toFixed(0)}%`;
        log(`${dtype}: Chatwright ${best.toFixed(1)} embeddings/s vs transformers.js ${bestTheirs.toFixed(1)}/s = ${(best / bestTheirs).toFixed(2)}x (best rounds; each round: ${ratios(pairs)})`);
        log(
          `  frame: ${mega(models.miniLm.macsPerToken)}MAC/token × ${(best * meanTokens).toFixed(0)} tokens/s = ${fraction(best)} of the cores' ${dtype === 'fp32' ? 'fp32' : 'int8'} GEMM rate (transformers.js ${fraction(bestTheirs)})`,
        );
        log(`  peak memory: Chatwright worker ${mb(status.peakRssBytes)}, transformers.js process ${mb(theirPeak)} | cosine of the first text's vectors ${similarity.toFixed(6)}`);
      } finally {
        client.dispose();
        theirs.stop();
      }
    }
  }

  if (!values.skip?.includes('generate')) {
    const newTokens = Number(values['new-tokens']);
    const qwen = values.fused ? ensureFusedQwenModel(values.models, log) : models.qwen;
    const qwenTokenizer = new Tokenizer(
      JSON.parse(readFileSync(join(qwen.dir, 'tokenizer.json'), 'utf8')) as object,
      JSON.parse(readFileSync(join(qwen.dir, 'tokenizer_config.json'), 'utf8')) as object,
    );
    const corpus = readFileSync('/work/shared/data/corpus/rclone-docs/bisync.md', 'utf8');
    const prompt = qwenTokenizer.decode(qwenTokenizer.encode(corpus).ids.slice(200, 232));
    log(
      `\n## Generation: Qwen2.5-0.5B shape, int8, ${values.fused ? "onnxruntime-genai's fused operators" : 'the exported graph'} (${(qwen.parameters / 1e6).toFixed(0)}M parameters), ${qwenTokenizer.encode(prompt).ids.length}-token prompt, ${newTokens} new tokens, greedy`,
    );
    const client = engine();
    const theirs = await TransformersJs.start({ task: 'generate', dir: qwen.dir, dtype: 'q8', threads, spinWait: peerSpinWait });
    const ort = await loadOnnxRuntime();
    const matrices = decoderMatricesOf(qwen.dir);
    const scratch = mkdtempSync(join(tmpdir(), 'chatwright-weight-streaming-'));
    const streamingGraph = join(scratch, 'weights.onnx');
    writeWeightStreamingGraph(streamingGraph, matrices);
    try {
      const request = { model: qwen.dir, dtype: 'q8' as const, messages: [], prompt };
      await client.request('generate', { ...request, options: { temperature: 0, maxNewTokens: 4 } });
      await theirs.run({ prompt, maxNewTokens: 4 });
      const ours: EngineGenerationResult[] = [];
      const their: { generated: number; timeToFirstTokenMs: number; tokensPerSecond: number; text: string; peakRssBytes: number }[] = [];
      const streamingMs: number[] = [];
      for (let round = 0; round < rounds; round++) {
        ours.push(await client.request('generate', { ...request, options: { temperature: 0, maxNewTokens: newTokens } }));
        their.push(await theirs.run({ prompt, maxNewTokens: newTokens }));
        streamingMs.push(await measureWeightStreamingMs(ort, streamingGraph, matrices, threads));
      }
      const status = await client.request('status', {});
      const best = ours.reduce((a, b) => (b.stats.tokensPerSecond > a.stats.tokensPerSecond ? b : a));
      const bestTheirs = their.reduce((a, b) => (b.tokensPerSecond > a.tokensPerSecond ? b : a));
      const ttft = Math.min(...ours.map((r) => r.stats.timeToFirstTokenMs));
      const theirTtft = Math.min(...their.map((r) => r.timeToFirstTokenMs));
      const fraction = (perSecond: number): string => `${((100 * perSecond * qwen.macsPerToken) / peak.int8).toFixed(1)}%`;
      log(
        `Chatwright ${best.stats.tokensPerSecond.toFixed(2)} tokens/s (${best.stats.generatedTokens} tokens, ${best.stats.finishReason}), first token ${ttft.toFixed(0)} ms` +
          ` vs transformers.js ${bestTheirs.tokensPerSecond.toFixed(2)} tokens/s (${bestTheirs.generated} tokens), first token ${theirTtft.toFixed(0)} ms` +
          ` = ${(best.stats.tokensPerSecond / bestTheirs.tokensPerSecond).toFixed(2)}x tokens/s, first token ${(theirTtft / ttft).toFixed(2)}x sooner` +
          ` (best rounds; each round: ${ratios(ours.map((r, i) => [r.stats.tokensPerSecond, their[i]!.tokensPerSecond]))})`,
      );
      log(`  frame (arithmetic): ${mega(qwen.macsPerToken)}MAC/token → ${fraction(best.stats.tokensPerSecond)} of the cores' int8 GEMM rate (transformers.js ${fraction(bestTheirs.tokensPerSecond)})`);
      // Memory bandwidth on a shared machine moves with its neighbours' load, so each round's floor is set against
      // the engines' speeds of the same round.
      const bytes = weightBytesPerToken(matrices);
      const perRound = (pick: (round: number) => number): string => streamingMs.map((ms, round) => `${((100 * pick(round) * ms) / 1000).toFixed(0)}%`).join(', ');
      log(
        `  frame (memory): a token reads ${(bytes / 1e6).toFixed(0)} MB of int8 weights; onnxruntime's int8 kernel alone streams them in ${streamingMs.map((ms) => `${ms.toFixed(2)} ms (${(bytes / ms / 1e6).toFixed(1)} GB/s)`).join(', ')} in the three rounds` +
          ` → no engine reading each weight once per token passes ${streamingMs.map((ms) => (1000 / ms).toFixed(1)).join(', ')} tokens/s. Share of that ceiling, round by round: Chatwright ${perRound((round) => ours[round]!.stats.tokensPerSecond)}, transformers.js ${perRound((round) => their[round]!.tokensPerSecond)};` +
          ` the highest ratio to transformers.js the machine allowed: ${streamingMs.map((ms, round) => `${(1000 / ms / their[round]!.tokensPerSecond).toFixed(2)}x`).join(', ')} (bench/inference/decodeProfile.ts: where the rest of a step goes)`,
      );
      log(
        `  peak memory: Chatwright worker ${mb(status.peakRssBytes)}, transformers.js process ${mb(bestTheirs.peakRssBytes)} | same greedy text in every round: ${ours.every((r, i) => r.text === their[i]!.text)}`,
      );
    } finally {
      client.dispose();
      theirs.stop();
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  log(`\nload average at the end: ${load()}`);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
