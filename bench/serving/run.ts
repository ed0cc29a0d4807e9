// Serving benchmark: the built-in OpenAI-compatible server (streaming through the official `openai` client over
// HTTP on loopback) against calling the engine directly (`InferenceEngine.generate`), same model, same prompts, greedy,
// in interleaved repetitions so that load from other users of a shared machine hits both alike. Then 8 concurrent
// streaming clients: all must complete; per-client tokens/s, their spread, and first-token times.
//   node --import tsx bench/serving/run.ts [--models /tmp/chatwright-bench] [--new-tokens 48] [--reps 5] [--clients 8] [--server-process]
// The server runs in this process over the same engine as the direct calls; --server-process runs `chatwright serve`
// in its own process instead (as clients meet it; on a 2-core machine the two processes then compete for the cores).
// Goals: server ≥ 0.95× the direct tokens/s at batch 1, time to first token within 5 ms of direct. Never asserts.
import { existsSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import { InferenceEngine } from '../../src/core/inference/inferenceEngine';
import { EngineServedModels } from '../../src/core/serving/engineServedModels';
import { startOpenAiServer } from '../../src/core/serving/openAiServer';
import { generateDecoderModel } from '../../test/support/modelGenerator/index';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: '/tmp/chatwright-bench' },
    'new-tokens': { type: 'string', default: '48' },
    reps: { type: 'string', default: '5' },
    clients: { type: 'string', default: '8' },
    'server-process': { type: 'boolean', default: false },
  },
});
const newTokens = Number(values['new-tokens']);
const reps = Number(values.reps);
const clients = Number(values.clients);
const log = (line: string): void => console.log(line);
const fmt = (value: number, digits = 1): string => value.toFixed(digits);
const median = (list: number[]): number => {
  const sorted = [...list].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/**
 * A decoder big enough that one token takes milliseconds (a Qwen-vocabulary LM head over hidden 256, 4 layers), so
 * the server's per-token cost shows against real work; generated once and reused.
 */
function ensureServingModel(root: string): string {
  const dir = join(root, 'serving-decoder-h256-l4');
  const marker = join(dir, '.complete.json');
  if (existsSync(marker)) return dir;
  const started = Date.now();
  const { parameters } = generateDecoderModel(dir, { layers: 4, hiddenSize: 256, heads: 8, kvHeads: 2, intermediateSize: 768, tieWordEmbeddings: true, maxPositions: 4096, seed: 5 });
  writeFileSync(marker, JSON.stringify({ parameters }));
  log(`generated ${dir} (${fmt(parameters / 1e6)}M parameters) in ${fmt((Date.now() - started) / 1000)} s`);
  return dir;
}

interface Sample {
  firstTokenMs: number;
  /** Decoding speed after the first token. */
  tokensPerSecond: number;
  /** Tokens over the whole call, first token included: what a caller waits for. */
  endToEndPerSecond: number;
  tokens: number;
  text: string;
}

const prompts = [
  'Summarise the release notes for the support team.',
  'Explain how to reset the router in three steps.',
  'Write a short status update about the build.',
  'List what to check before a deployment.',
  'Describe the on-call rota for next week.',
  'Draft a reply to a customer asking for a refund.',
  'What changed in the billing module?',
  'Give two reasons to rotate API keys.',
];

async function main(): Promise<void> {
  const model = ensureServingModel(values.models);
  const engine = new InferenceEngine({ executionProvider: 'cpu', threads: 0, idleUnloadMs: 0 });
  // `chatwright serve` lists a model under the id it was given; the in-process server names it `bench`.
  const servedId = values['server-process'] ? model : 'bench';
  const server = values['server-process'] ? await serverProcess(model) : await inProcessServer(engine, model);
  const client = new OpenAI({ baseURL: server.url, apiKey: 'bench', maxRetries: 0 });
  log(
    `cores ${availableParallelism()}, load ${loadavg()
      .map((value) => fmt(value, 2))
      .join(
        ' ',
      )}; ${newTokens} new tokens, greedy; server ${server.url} (${values['server-process'] ? '`chatwright serve` in its own process, as clients meet it' : 'in this process, beside the client: one engine for both sides'})`,
  );

  const direct = async (prompt: string): Promise<Sample> => {
    const started = performance.now();
    let first: number | undefined;
    const result = await engine.generate(model, [{ role: 'user', content: prompt }], { temperature: 0, maxNewTokens: newTokens }, () => (first ??= performance.now()));
    const finished = performance.now();
    const tokens = result.stats.generatedTokens;
    return {
      firstTokenMs: (first ?? finished) - started,
      tokensPerSecond: ((tokens - 1) * 1000) / (finished - (first ?? started)),
      endToEndPerSecond: (tokens * 1000) / (finished - started),
      tokens,
      text: result.text,
    };
  };
  const served = async (prompt: string): Promise<Sample> => {
    const started = performance.now();
    let first: number | undefined;
    let tokens = 0;
    let text = '';
    const stream = await client.chat.completions.create({
      model: servedId,
      messages: [{ role: 'user', content: prompt }],
      temperature: 0,
      max_tokens: newTokens,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta.content;
      if (delta) {
        first ??= performance.now();
        text += delta;
      }
      if (chunk.usage) tokens = chunk.usage.completion_tokens;
    }
    const finished = performance.now();
    return {
      firstTokenMs: (first ?? finished) - started,
      tokensPerSecond: ((tokens - 1) * 1000) / (finished - (first ?? started)),
      endToEndPerSecond: (tokens * 1000) / (finished - started),
      tokens,
      text,
    };
  };

  // Warm-up: the first runs after a load are slower on both sides.
  await direct(prompts[0]!);
  await served(prompts[0]!);

  log('\n## Batch 1: built-in server (openai client, streaming over HTTP) vs engine.generate directly');
  log('tok/s = tokens over the whole call (first token included); decode = after the first token');
  log('rep | direct tok/s | server tok/s | ratio | decode ratio | direct TTFT ms | server TTFT ms | TTFT diff ms');
  const rows: { direct: Sample; server: Sample }[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const prompt = prompts[rep % prompts.length]!;
    // Alternate which side goes first, so neither always runs on a warmer cache.
    const pair = rep % 2 === 0 ? { direct: await direct(prompt), server: await served(prompt) } : { server: await served(prompt), direct: await direct(prompt) };
    if (pair.direct.text !== pair.server.text) log(`  note: rep ${rep} texts differ (direct ${pair.direct.tokens} tokens, server ${pair.server.tokens})`);
    rows.push(pair);
    log(
      `${rep + 1} | ${fmt(pair.direct.endToEndPerSecond)} | ${fmt(pair.server.endToEndPerSecond)} | ${fmt(pair.server.endToEndPerSecond / pair.direct.endToEndPerSecond, 3)} | ${fmt(pair.server.tokensPerSecond / pair.direct.tokensPerSecond, 3)} | ${fmt(pair.direct.firstTokenMs)} | ${fmt(pair.server.firstTokenMs)} | ${fmt(pair.server.firstTokenMs - pair.direct.firstTokenMs)}`,
    );
  }
  const ratios = rows.map((row) => row.server.endToEndPerSecond / row.direct.endToEndPerSecond);
  const decodeRatios = rows.map((row) => row.server.tokensPerSecond / row.direct.tokensPerSecond);
  const ttftDiffs = rows.map((row) => row.server.firstTokenMs - row.direct.firstTokenMs);
  log(
    `median: direct ${fmt(median(rows.map((row) => row.direct.endToEndPerSecond)))} tok/s, server ${fmt(median(rows.map((row) => row.server.endToEndPerSecond)))} tok/s, ratio ${fmt(median(ratios), 3)} (goal ≥ 0.95), decode ratio ${fmt(median(decodeRatios), 3)}; TTFT direct ${fmt(median(rows.map((row) => row.direct.firstTokenMs)))} ms, server ${fmt(median(rows.map((row) => row.server.firstTokenMs)))} ms, diff ${fmt(median(ttftDiffs))} ms (goal ≤ 5)`,
  );

  log(`\n## ${clients} concurrent streaming clients (server maxConcurrent ${clients}: generations take turns token by token)`);
  const started = performance.now();
  const results = await Promise.allSettled(Array.from({ length: clients }, (_, i) => served(prompts[i % prompts.length]!)));
  const wallMs = performance.now() - started;
  const done = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  results.forEach((result, i) => {
    if (result.status === 'rejected') log(`client ${i + 1}: FAILED ${String(result.reason)}`);
    else log(`client ${i + 1}: ${result.value.tokens} tokens, first token after ${fmt(result.value.firstTokenMs)} ms, ${fmt(result.value.tokensPerSecond)} tok/s`);
  });
  const rates = done.map((sample) => sample.tokensPerSecond);
  const firsts = done.map((sample) => sample.firstTokenMs);
  const totalTokens = done.reduce((sum, sample) => sum + sample.tokens, 0);
  log(
    `${done.length}/${clients} complete; per-client tok/s min ${fmt(Math.min(...rates))}, max ${fmt(Math.max(...rates))}, spread (max/min) ${fmt(Math.max(...rates) / Math.min(...rates), 2)}; first token min ${fmt(Math.min(...firsts))} ms, max ${fmt(Math.max(...firsts))} ms; aggregate ${fmt((totalTokens * 1000) / wallMs)} tok/s over ${fmt(wallMs / 1000, 2)} s (batch 1 direct: ${fmt(median(rows.map((row) => row.direct.endToEndPerSecond)))} tok/s)`,
  );

  await server.close();
  await engine.dispose();
}

/** The server in this process: its event loop is shared with the client's stream parsing. */
async function inProcessServer(engine: InferenceEngine, model: string): Promise<{ url: string; close(): Promise<void> }> {
  const provider = new EngineServedModels(engine, { chat: [{ id: 'bench', model }] });
  await provider.load();
  return startOpenAiServer({ provider, host: '127.0.0.1', port: 0, maxConcurrent: clients, maxQueue: clients });
}

/** `chatwright serve` as users start it: its own process, its own engine, the model served under the id `bench`. */
async function serverProcess(model: string): Promise<{ url: string; close(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, '../../src/cli/main.ts'), 'serve', '--model', model, '--port', '0', '--json', '--max-concurrent', String(clients), '--max-queue', String(clients)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<{ url: string; models: string[] }>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const line = output.split('\n').find((candidate) => candidate.startsWith('{'));
      if (line) resolve(JSON.parse(line) as { url: string; models: string[] });
    });
    child.once('exit', (code) => reject(new Error(`chatwright serve exited with ${code} before it was ready`)));
  });
  return {
    url: ready.url,
    close: async () => {
      child.kill('SIGINT');
      await exited;
    },
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
