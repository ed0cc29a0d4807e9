// Orchestration benchmark of comparison runs: N questions × 4 strategies through `runComparison` (the chat pipeline,
// the answer cache on disk, the OpenAI-compatible backend over HTTP on loopback) against the scripted test server,
// which answers each request after a fixed delay. With C requests in flight per backend, the ideal time is
// ceil(answers per backend / C) × delay; what the run takes beyond it is the orchestration's cost (prompt building,
// HTTP, streaming, cache writes, scheduling gaps).
//   node --import tsx bench/eval/orchestration.ts [--questions 500] [--delay 50] [--concurrency 8] [--out results.json]
// Variants: all four strategies on ONE endpoint (one queue of 4N answers), and on TWO endpoints (two strategies each,
// two queues running side by side). Goal: ideal / measured ≥ 0.8 (the orchestration adds at most 25%). Never asserts.
// Writes nothing into the repository unless --out is given (the answer caches go to a temp folder, removed after).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { OpenAiCompatibleBackend } from '../../src/core/chat/openAiCompatibleBackend';
import { AnswerCache } from '../../src/core/eval/answerCache';
import { runComparison } from '../../src/core/eval/evalRunner';
import { type ComparisonSpec, type EvalQuestion, type StrategySpec } from '../../src/core/eval/evalTypes';
import { lastUserText, startScriptedServer, type ScriptedServer } from '../../test/support/scriptedOpenAiServer';

const { values } = parseArgs({
  options: {
    questions: { type: 'string', default: '500' },
    delay: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '8' },
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

const scriptedModels = {
  plain: (messages: Parameters<typeof lastUserText>[0]) => `To answer "${lastUserText(messages)}": open the settings, enable it, and read the log when it fails.`,
  tuned: (messages: Parameters<typeof lastUserText>[0]) => `Enable it in the settings (${lastUserText(messages).length} characters asked).`,
};

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
  /** CPU time of this process (the run and the scripted servers together) per answer: what a loaded machine stretches. */
  cpuMsPerAnswer: number;
}

async function runVariant(variant: string, servers: ScriptedServer[], backendIds: [string, string]): Promise<VariantResult> {
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
    const requestsBefore = servers.map((server) => server.requests.length);
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
    const perEndpoint = servers.map((server, i) => server.requests.length - requestsBefore[i]!);
    const idealSeconds = Math.max(...perEndpoint.map((answers) => Math.ceil(answers / concurrency))) * (delayMs / 1000);
    return {
      variant,
      answers: result.answers.length,
      endpoints: servers.length,
      measuredSeconds,
      idealSeconds,
      ratio: idealSeconds / measuredSeconds,
      answersPerSecond: result.answers.length / measuredSeconds,
      peakPerEndpoint: servers.map((server) => server.peak.overall),
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
  const one = await startScriptedServer({ models: scriptedModels, delayMs });
  try {
    results.push(await runVariant('one endpoint', [one], ['endpoint0', 'endpoint0']));
  } finally {
    await one.close();
  }
  const pair = [await startScriptedServer({ models: scriptedModels, delayMs }), await startScriptedServer({ models: scriptedModels, delayMs })];
  try {
    results.push(await runVariant('two endpoints', pair, ['endpoint0', 'endpoint1']));
  } finally {
    await Promise.all(pair.map((server) => server.close()));
  }
  for (const r of results) {
    log(
      `${r.variant.padEnd(14)} ${r.answers} answers (${r.failed} failed): measured ${fmt(r.measuredSeconds)} s, ideal ${fmt(r.idealSeconds)} s, ratio ${fmt(r.ratio)} (goal ≥ 0.8), ${fmt(r.answersPerSecond, 1)} answers/s, peak in flight per endpoint ${r.peakPerEndpoint.join(', ')}, CPU ${fmt(r.cpuMsPerAnswer)} ms per answer (client and server)`,
    );
  }
  if (values.out) writeFileSync(values.out, `${JSON.stringify({ questions: questionCount, delayMs, concurrency, results }, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
