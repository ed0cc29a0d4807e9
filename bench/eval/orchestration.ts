// Orchestration benchmark of comparison runs: N questions × 4 strategies through `runComparison` (the chat pipeline,
// the answer cache on disk, the OpenAI-compatible backend over HTTP on loopback) against the scripted test server,
// which answers each request after a fixed delay. With C requests in flight per backend, the ideal time is
// ceil(answers per backend / C) × delay; what the run takes beyond it is the orchestration's cost (prompt building,
// HTTP, streaming, cache writes, scheduling gaps).
//   node --import tsx bench/eval/orchestration.ts [--questions 500] [--delay 50] [--concurrency 8] [--in-process] [--out results.json]
// Each endpoint runs in a process of its own (bench/eval/delayedEndpoint.ts), as a real endpoint does; --in-process
// starts them in this process instead, where their CPU time is taken from the run's.
// Variants: all four strategies on ONE endpoint (one queue of 4N answers), and on TWO endpoints (two strategies each,
// two queues running side by side). Goal: ideal / measured ≥ 0.8 (the orchestration adds at most 25%). Never asserts.
// Writes nothing into the repository unless --out is given (the answer caches go to a temp folder, removed after).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { OpenAiCompatibleBackend } from '../../src/core/chat/openAiCompatibleBackend';
import { AnswerCache } from '../../src/core/eval/answerCache';
import { runComparison } from '../../src/core/eval/evalRunner';
import { type ComparisonSpec, type EvalQuestion, type StrategySpec } from '../../src/core/eval/evalTypes';
import { startScriptedServer } from '../../test/support/scriptedOpenAiServer';
import { benchModels } from './benchModels';

const { values } = parseArgs({
  options: {
    questions: { type: 'string', default: '500' },
    delay: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '8' },
    'in-process': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const questionCount = Number(values.questions);
const delayMs = Number(values.delay);
const concurrency = Number(values.concurrency);
const log = (line: string): void => console.log(line);
const fmt = (value: number, digits = 2): string => value.toFixed(digits);

const questions: EvalQuestion[] = Array.from({ length: questionCount }, (_, i) => ({
  id: `q${i}`,
  line: i + 1,
  question: `How do I configure feature number ${i} of the product, and what happens when it fails?`,
  reference: `Open the settings, enable feature ${i}, and check the log when it fails.`,
  history: [],
  sources: [],
}));

/** An endpoint of the benchmark: its URL, how many chat requests it got and the most it had in flight. */
interface BenchEndpoint {
  url: string;
  stats(): Promise<{ requests: number; peak: number }>;
  close(): Promise<void>;
}

async function inProcessEndpoint(): Promise<BenchEndpoint> {
  const server = await startScriptedServer({ models: benchModels, delayMs });
  return { url: server.url, stats: () => Promise.resolve({ requests: server.requests.length, peak: server.peak.overall }), close: () => server.close() };
}

/** The endpoint in a child process; it answers `stats` on stdin with a JSON line, and stops when stdin closes. */
async function childEndpoint(): Promise<BenchEndpoint> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'delayedEndpoint.ts'), '--delay', String(delayMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 1);
      const next = waiting.shift();
      if (next) next(line);
      else lines.push(line);
    }
  });
  const nextLine = (): Promise<string> => {
    const line = lines.shift();
    return line !== undefined ? Promise.resolve(line) : new Promise((resolve) => waiting.push(resolve));
  };
  const { url } = JSON.parse(await nextLine()) as { url: string };
  return {
    url,
    stats: async () => {
      child.stdin.write('stats\n');
      return JSON.parse(await nextLine()) as { requests: number; peak: number };
    },
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.stdin.end();
      }),
  };
}

const startEndpoint = values['in-process'] ? inProcessEndpoint : childEndpoint;

function strategiesOn(first: string, second: string): StrategySpec[] {
  return [
    { name: 'zero-shot', model: `${first}/plain`, temperature: 0, maxTokens: 128 },
    { name: 'warm', model: `${first}/plain`, temperature: 0.7, maxTokens: 128, seed: 1 },
    { name: 'tuned', model: `${second}/tuned`, temperature: 0, maxTokens: 128 },
    { name: 'tuned-warm', model: `${second}/tuned`, temperature: 0.7, maxTokens: 128, seed: 1 },
  ];
}

interface VariantResult {
  variant: string;
  answers: number;
  endpoints: number;
  measuredSeconds: number;
  idealSeconds: number;
  ratio: number;
  answersPerSecond: number;
  peakPerEndpoint: number[];
  failed: number;
  /** CPU time of this process per answer (with --in-process, the scripted servers' too): what a loaded machine stretches. */
  cpuMsPerAnswer: number;
}

async function runVariant(variant: string, servers: BenchEndpoint[], backendIds: [string, string]): Promise<VariantResult> {
  const outputDir = mkdtempSync(join(tmpdir(), 'chatwright-bench-eval-'));
  try {
    const backends = servers.map((server, i) => new OpenAiCompatibleBackend({ id: `endpoint${i}`, label: `Endpoint ${i}`, baseUrl: server.url }));
    const spec: ComparisonSpec = {
      file: join(outputDir, 'bench.compare.yaml'),
      root: outputDir,
      name: 'bench',
      evalSet: join(outputDir, 'bench.eval.jsonl'),
      strategies: strategiesOn(...backendIds),
      endpoints: [],
      concurrency,
      primaryMetric: 'token_f1',
      trainingData: [],
      documents: [],
      outputDir,
      seed: 0,
      bootstrapSamples: 0,
    };
    const before = await Promise.all(servers.map((server) => server.stats()));
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const result = await runComparison({
      spec,
      questions,
      sources: { backend: (id) => backends.find((backend) => backend.id === id) },
      cache: AnswerCache.open(outputDir),
      readText: () => Promise.resolve(undefined),
      signal: new AbortController().signal,
    });
    const measuredSeconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const after = await Promise.all(servers.map((server) => server.stats()));
    const perEndpoint = after.map((stats, i) => stats.requests - before[i]!.requests);
    const idealSeconds = Math.max(...perEndpoint.map((answers) => Math.ceil(answers / concurrency))) * (delayMs / 1000);
    return {
      variant,
      answers: result.answers.length,
      endpoints: servers.length,
      measuredSeconds,
      idealSeconds,
      ratio: idealSeconds / measuredSeconds,
      answersPerSecond: result.answers.length / measuredSeconds,
      peakPerEndpoint: after.map((stats) => stats.peak),
      failed: result.progress.failed,
      cpuMsPerAnswer: (cpu.user + cpu.system) / 1000 / result.answers.length,
    };
  } finally {
    rmSync(outputDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  log(`orchestration: ${questionCount} questions × 4 strategies, ${delayMs} ms per answer, concurrency ${concurrency} per backend`);
  log(
    `machine: ${availableParallelism()} cores, load ${loadavg()
      .map((l) => fmt(l))
      .join(' ')}`,
  );
  const results: VariantResult[] = [];
  log(`endpoints: ${values['in-process'] ? 'in this process' : 'each in a process of its own'}`);
  const one = await startEndpoint();
  try {
    results.push(await runVariant('one endpoint', [one], ['endpoint0', 'endpoint0']));
  } finally {
    await one.close();
  }
  const pair = [await startEndpoint(), await startEndpoint()];
  try {
    results.push(await runVariant('two endpoints', pair, ['endpoint0', 'endpoint1']));
  } finally {
    await Promise.all(pair.map((server) => server.close()));
  }
  for (const r of results) {
    log(
      `${r.variant.padEnd(14)} ${r.answers} answers (${r.failed} failed): measured ${fmt(r.measuredSeconds)} s, ideal ${fmt(r.idealSeconds)} s, ratio ${fmt(r.ratio)} (goal ≥ 0.8), ${fmt(r.answersPerSecond, 1)} answers/s, peak in flight per endpoint ${r.peakPerEndpoint.join(', ')}, CPU ${fmt(r.cpuMsPerAnswer)} ms per answer in the evaluating process`,
    );
  }
  if (values.out) writeFileSync(values.out, `${JSON.stringify({ questions: questionCount, delayMs, concurrency, results }, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
