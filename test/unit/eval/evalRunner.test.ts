import assert from 'node:assert/strict';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ChatBackendError, type ChatBackend, type ChatBackendEvent, type ChatGenerateRequest, type GenerationStats } from '../../../src/core/chat/backend';
import { type ChatSources } from '../../../src/core/chat/chatRunner';
import { chooseFewShotExamples } from '../../../src/core/chat/fewShotExamples';
import { OpenAiCompatibleBackend } from '../../../src/core/chat/openAiCompatibleBackend';
import { AnswerCache } from '../../../src/core/eval/answerCache';
import { runComparison, unreachableAfterFailures, type RunComparisonInput } from '../../../src/core/eval/evalRunner';
import { type ComparisonSpec, type EvalAnswer, type EvalProgress, type EvalQuestion, type StrategySpec } from '../../../src/core/eval/evalTypes';
import { scratchDir } from '../../support/scratchDir';
import { ScriptedBackend } from '../../support/scriptedBackend';
import { lastUserText, startScriptedServer } from '../../support/scriptedOpenAiServer';

const examplesFile = [
  '{"messages":[{"role":"user","content":"How do I reset my password?"},{"role":"assistant","content":"Use the reset link."}]}',
  '{"messages":[{"role":"user","content":"Where are invoices?"},{"role":"assistant","content":"Under Billing."}]}',
].join('\n');
const documentPassages = [
  { file: 'docs/install.md', startLine: 1, endLine: 4, headingPath: ['Install'], text: 'Download the installer and run it.', score: 0.9 },
  { file: 'docs/billing.md', startLine: 10, endLine: 12, headingPath: ['Billing'], text: 'Invoices are under Billing.', score: 0.5 },
];

function questions(count: number): EvalQuestion[] {
  return Array.from({ length: count }, (_, i) => ({ id: `q${i}`, line: i + 1, question: `Question number ${i}?`, reference: `Answer ${i}.`, history: [], sources: [] }));
}

function strategy(name: string, model: string, more: Partial<StrategySpec> = {}): StrategySpec {
  return { name, model, temperature: 0, maxTokens: 64, ...more };
}

function comparison(outputDir: string, strategies: StrategySpec[], concurrency = 2): ComparisonSpec {
  return {
    file: join(outputDir, 'support.compare.yaml'),
    root: outputDir,
    name: 'support',
    evalSet: join(outputDir, 'support.eval.jsonl'),
    strategies,
    endpoints: [],
    concurrency,
    primaryMetric: 'token_f1',
    trainingData: [],
    documents: [],
    outputDir,
    seed: 0,
    bootstrapSamples: 100,
  };
}

/** The workspace's files as the sources and the keys read them. */
type Files = Record<string, string>;

/** The chat's sources over these backends: templates are their text as a system prompt, examples chosen from files, retrieval a fixed list. */
function sourcesOver(backends: readonly ChatBackend[], files: Files): ChatSources {
  return {
    backend: (id) => backends.find((backend) => backend.id === id),
    renderTemplate: (path) => {
      const text = files[path];
      if (text === undefined) return Promise.reject(new Error(`No template ${path}`));
      return Promise.resolve({ messages: [{ role: 'system', content: text }], examples: [] });
    },
    readExamples: async (path, k, choice) => {
      const text = files[path];
      if (text === undefined) return { examples: [], notes: [`No examples file ${path}`] };
      const chosen = await chooseFewShotExamples(text, path, k, choice);
      return { examples: chosen.examples, notes: [] };
    },
    retrieve: (_query, k) => Promise.resolve(documentPassages.slice(0, k)),
  };
}

/** A backend whose answer is a function of the request; counts requests and what runs at once. */
class FunctionBackend implements ChatBackend {
  readonly label = 'Function backend';
  readonly requests: ChatGenerateRequest[] = [];
  running = 0;
  peak = 0;
  constructor(
    readonly id: string,
    private readonly answer: (request: ChatGenerateRequest, signal: AbortSignal) => string | Promise<string>,
  ) {}

  listModels() {
    return Promise.resolve([]);
  }

  async generate(request: ChatGenerateRequest, onEvent: (event: ChatBackendEvent) => void, signal: AbortSignal): Promise<GenerationStats> {
    this.requests.push(request);
    this.running += 1;
    this.peak = Math.max(this.peak, this.running);
    try {
      const text = await this.answer(request, signal);
      const stats: GenerationStats = { promptTokens: 10, completionTokens: 1, timeToFirstTokenMs: 1, tokensPerSecond: 1, totalMs: 1, finishReason: signal.aborted ? 'cancelled' : 'stop' };
      if (!signal.aborted) onEvent({ type: 'token', text });
      onEvent({ type: 'stats', stats });
      return stats;
    } finally {
      this.running -= 1;
    }
  }
}

/** Wraps backends to count the requests in flight across all of them. */
function countingAcross(backends: ChatBackend[]): { backends: ChatBackend[]; peak: () => number } {
  let running = 0;
  let peak = 0;
  const wrapped = backends.map((backend): ChatBackend => ({
    id: backend.id,
    label: backend.label,
    listModels: (signal) => backend.listModels(signal),
    generate: async (request, onEvent, signal) => {
      running += 1;
      peak = Math.max(peak, running);
      try {
        return await backend.generate(request, onEvent, signal);
      } finally {
        running -= 1;
      }
    },
  }));
  return { backends: wrapped, peak: () => peak };
}

function run(spec: ComparisonSpec, qs: EvalQuestion[], sources: ChatSources, files: Files, more: Partial<RunComparisonInput> = {}) {
  return runComparison({
    spec,
    questions: qs,
    sources,
    cache: AnswerCache.open(spec.outputDir),
    readText: (path) => Promise.resolve(files[path]),
    signal: new AbortController().signal,
    ...more,
  });
}

const echo = (request: ChatGenerateRequest) => `Answer to ${lastUserText(request.messages)}`;

describe('runComparison', () => {
  it('records every answer with what the model saw: examples for few-shot, passages for retrieval, the history, the template', async (t) => {
    const outputDir = scratchDir('eval-run', t);
    const files: Files = { 'prompts/support.prompty': 'You answer support questions.', 'data/examples.jsonl': examplesFile };
    const backend = new ScriptedBackend('local', { tokens: (request) => [echo(request)] });
    const spec = comparison(outputDir, [
      strategy('zero-shot', 'local/tiny'),
      strategy('few-shot', 'local/tiny', { fewShot: { k: 2, selection: 'first', examples: 'data/examples.jsonl', seed: 0 } }),
      strategy('rag', 'local/tiny', { retrieval: { k: 2 }, template: 'prompts/support.prompty' }),
    ]);
    const qs: EvalQuestion[] = [
      {
        ...questions(1)[0]!,
        history: [
          { role: 'user', content: 'Hello there' },
          { role: 'assistant', content: 'Hi, how can I help?' },
        ],
      },
    ];
    const result = await run(spec, qs, sourcesOver([backend], files), files);

    assert.equal(result.cancelled, false);
    assert.deepEqual(
      result.answers.map((a) => [a.strategy, a.status, a.content]),
      [
        ['zero-shot', 'done', 'Answer to Question number 0?'],
        ['few-shot', 'done', 'Answer to Question number 0?'],
        ['rag', 'done', 'Answer to Question number 0?'],
      ],
    );
    const [zero, few, rag] = result.answers as [EvalAnswer, EvalAnswer, EvalAnswer];
    assert.deepEqual(zero.examples, []);
    assert.deepEqual(zero.passages, []);
    assert.deepEqual(
      zero.messages.map((m) => m.content),
      ['Hello there', 'Hi, how can I help?', 'Question number 0?'],
    );
    assert.deepEqual(
      few.examples.map((e) => e.source),
      ['data/examples.jsonl:1', 'data/examples.jsonl:2'],
    );
    assert.ok(few.messages.some((m) => m.content === 'Use the reset link.'));
    assert.deepEqual(
      rag.passages.map((p) => [p.index, p.file]),
      [
        [1, 'docs/install.md'],
        [2, 'docs/billing.md'],
      ],
    );
    assert.match(rag.messages[0]!.content, /^You answer support questions\.[\s\S]*Download the installer and run it\./);
    assert.ok(zero.stats && zero.stats.finishReason === 'stop');
    // What the run returned is what the cache holds.
    const reopened = AnswerCache.open(outputDir);
    assert.deepEqual(reopened.all(), result.answers);
  });

  it('passes a strategy seed to the backend, and none when the strategy has none', async (t) => {
    const outputDir = scratchDir('eval-run', t);
    const backend = new ScriptedBackend('local', { tokens: ['ok'] });
    const spec = comparison(outputDir, [strategy('seeded', 'local/tiny', { seed: 7 }), strategy('unseeded', 'local/tiny')], 1);
    await run(spec, questions(1), sourcesOver([backend], {}), {});
    assert.deepEqual(
      backend.requests.map((r) => r.options.seed),
      [7, undefined],
    );
    assert.equal('seed' in backend.requests[1]!.options, false);
  });

  it('over OpenAI-compatible endpoints: at most `concurrency` requests per endpoint, that many reached, both endpoints at once; a second run asks nothing', async (t) => {
    const outputDir = scratchDir('eval-run', t);
    const alpha = await startScriptedServer({ models: { plain: (m) => `alpha says ${lastUserText(m)}` }, delayMs: 20 });
    const beta = await startScriptedServer({
      models: { plain: (m) => `beta says ${lastUserText(m)}`, grounded: (m) => `grounded: ${m[0]?.content.includes('Download the installer') ? 'yes' : 'no'}` },
      delayMs: 20,
    });
    t.after(async () => {
      await alpha.close();
      await beta.close();
    });
    const endpoints = [new OpenAiCompatibleBackend({ id: 'alpha', label: 'Alpha', baseUrl: alpha.url }), new OpenAiCompatibleBackend({ id: 'beta', label: 'Beta', baseUrl: beta.url })];
    const counting = countingAcross(endpoints);
    const files: Files = { 'data/examples.jsonl': examplesFile, 'prompts/support.prompty': 'Be brief.' };
    const spec = comparison(
      outputDir,
      [
        strategy('zero-shot', 'alpha/plain'),
        strategy('few-shot', 'alpha/plain', { fewShot: { k: 1, selection: 'first', examples: 'data/examples.jsonl', seed: 0 } }),
        strategy('rag', 'beta/grounded', { retrieval: { k: 1 } }),
        strategy('template', 'beta/plain', { template: 'prompts/support.prompty' }),
      ],
      2,
    );
    const qs = questions(8);
    const first = await run(spec, qs, sourcesOver(counting.backends, files), files);

    assert.equal(alpha.requests.length, 16);
    assert.equal(beta.requests.length, 16);
    assert.equal(alpha.peak.overall, 2);
    assert.equal(beta.peak.overall, 2);
    assert.equal(counting.peak(), 4, 'both endpoints had requests in flight at once');
    assert.equal(first.answers.length, 32);
    assert.ok(first.answers.every((a) => a.status === 'done'));
    const byStrategy = (name: string) => first.answers.filter((a) => a.strategy === name);
    assert.ok(byStrategy('zero-shot').every((a, i) => a.content === `alpha says Question number ${i}?` && a.examples.length === 0));
    assert.ok(byStrategy('few-shot').every((a) => a.examples.length === 1 && a.messages.some((m) => m.content === 'Use the reset link.')));
    assert.ok(byStrategy('rag').every((a) => a.content === 'grounded: yes' && a.passages.length === 1));
    assert.ok(byStrategy('template').every((a) => a.messages[0]?.content === 'Be brief.'));
    assert.ok(alpha.requests.filter((r) => r.messages.some((m) => m.content === 'Use the reset link.')).length === 8, 'the endpoint received the examples');
    assert.deepEqual(first.progress, { total: 32, done: 32, cached: 0, failed: 0, running: 0, etaSeconds: 0, perStrategy: first.progress.perStrategy });

    const second = await run(spec, qs, sourcesOver(counting.backends, files), files);
    assert.equal(alpha.requests.length + beta.requests.length, 32, 'the second run sent no request');
    assert.equal(second.progress.cached, 32);
    assert.deepEqual(second.answers, first.answers);
  });

  it('interleaves strategies question by question on one backend', async (t) => {
    const outputDir = scratchDir('eval-run', t);
    const backend = new FunctionBackend('local', echo);
    const spec = comparison(outputDir, [strategy('a', 'local/one', { temperature: 0.1 }), strategy('b', 'local/one', { temperature: 0.2 })], 1);
    await run(spec, questions(3), sourcesOver([backend], {}), {});
    assert.deepEqual(
      backend.requests.map((r) => `${lastUserText(r.messages)} ${r.options.temperature}`),
      ['Question number 0? 0.1', 'Question number 0? 0.2', 'Question number 1? 0.1', 'Question number 1? 0.2', 'Question number 2? 0.1', 'Question number 2? 0.2'],
    );
  });

  it('reruns only the strategy whose template text changed', async (t) => {
    const outputDir = scratchDir('eval-run', t);
    const files: Files = { 'a.prompty': 'Style A.', 'b.prompty': 'Style B.' };
    const backend = new FunctionBackend('local', (request) => `${request.messages[0]!.content} ${lastUserText(request.messages)}`);
    const spec = comparison(outputDir, [strategy('a', 'local/one', { template: 'a.prompty' }), strategy('b', 'local/one', { template: 'b.prompty' })]);
    await run(spec, questions(4), sourcesOver([backend], files), files);
    assert.equal(backend.requests.length, 8);

    files['b.prompty'] = 'Style B, revised.';
    const fresh: EvalAnswer[] = [];
    const rerun = await run(spec, questions(4), sourcesOver([backend], files), files, { onAnswer: (answer) => fresh.push(answer) });
    assert.equal(backend.requests.length, 12);
    assert.deepEqual(new Set(fresh.map((a) => a.strategy)), new Set(['b']));
    assert.equal(rerun.progress.cached, 4);
    assert.ok(rerun.answers.filter((a) => a.strategy === 'b').every((a) => a.content.startsWith('Style B, revised.')));
    assert.ok(rerun.answers.filter((a) => a.strategy === 'a').every((a) => a.content.startsWith('Style A.')));
  });

  it('retries a failed answer on the next run, and only it', async (t) => {
    const outputDir = scratchDir('eval-run', t);
    let failing = true;
    const backend = new FunctionBackend('local', (request) => {
      if (failing && lastUserText(request.messages) === 'Question number 1?') throw new ChatBackendError('engine-failure', 'The model crashed.');
      return echo(request);
    });
    const spec = comparison(outputDir, [strategy('a', 'local/one')]);
    const first = await run(spec, questions(3), sourcesOver([backend], {}), {});
    assert.deepEqual(
      first.answers.map((a) => [a.questionId, a.status, a.error?.code]),
      [
        ['q0', 'done', undefined],
        ['q1', 'error', 'engine-failure'],
        ['q2', 'done', undefined],
      ],
    );
    assert.equal(first.progress.failed, 1);
    assert.equal(first.progress.done, 3);

    failing = false;
    const second = await run(spec, questions(3), sourcesOver([backend], {}), {});
    assert.equal(backend.requests.length, 4);
    assert.equal(lastUserText(backend.requests[3]!.messages), 'Question number 1?');
    assert.ok(second.answers.every((a) => a.status === 'done'));
    assert.equal(second.progress.failed, 0);
  });

  it('fails with ingredient-missing, sending nothing, a strategy whose template, examples file or index these sources cannot give', async (t) => {
    const outputDir = scratchDir('eval-run', t);
    const backend = new FunctionBackend('local', echo);
    const spec = comparison(outputDir, [
      strategy('templated', 'local/one', { template: 'missing.prompty' }),
      strategy('few-shot', 'local/one', { fewShot: { k: 1, selection: 'first', examples: 'examples.jsonl', seed: 0 } }),
      strategy('rag', 'local/one', { retrieval: { k: 2 } }),
      strategy('rag-elsewhere', 'local/one', { retrieval: { k: 2, index: 'handbook' } }),
      strategy('plain', 'local/one'),
    ]);
    const sources = sourcesOver([backend], { 'examples.jsonl': examplesFile });
    sources.readExamples = () => Promise.reject(new Error('examples.jsonl: permission denied'));
    sources.retrieve = (_query, k, index) => (index === 'handbook' ? Promise.reject(new Error('no index named handbook')) : Promise.resolve(documentPassages.slice(0, k)));
    const first = await run(spec, questions(1), sources, {});
    const byStrategy = new Map(first.answers.map((answer) => [answer.strategy, answer]));
    assert.deepEqual(byStrategy.get('templated')?.error, { code: 'ingredient-missing', message: 'The template could not be used: No template missing.prompty' });
    assert.deepEqual(byStrategy.get('few-shot')?.error, { code: 'ingredient-missing', message: 'The few-shot examples could not be used: examples.jsonl: permission denied' });
    assert.deepEqual(byStrategy.get('rag-elsewhere')?.error, { code: 'ingredient-missing', message: 'Retrieval could not be used: no index named handbook' });
    assert.equal(byStrategy.get('rag')?.status, 'done');
    assert.equal(byStrategy.get('plain')?.status, 'done');
    assert.equal(backend.requests.length, 2, 'only the strategies with their ingredients were sent');

    // Without a retriever at all, nothing is sent for the retrieval strategies; once there is one, they are answered.
    const withoutIndex = sourcesOver([backend], {});
    delete withoutIndex.retrieve;
    const ragOnly = comparison(scratchDir('eval-run', t), [strategy('rag', 'local/one', { retrieval: { k: 2 } })]);
    const missing = await run(ragOnly, questions(2), withoutIndex, {});
    assert.ok(missing.answers.every((answer) => answer.status === 'error' && answer.error?.code === 'ingredient-missing' && /no document index/.test(answer.error.message)));
    assert.equal(missing.progress.failed, 2);
    assert.equal(backend.requests.length, 2);
    const indexed = await run(ragOnly, questions(2), sourcesOver([backend], {}), {});
    assert.ok(indexed.answers.every((answer) => answer.status === 'done' && answer.passages.length === 2));
    assert.equal(backend.requests.length, 4);
  });

  it('on cancel stops launching, records the answers in flight as stopped (not reused), and a rerun completes the rest', async (t) => {
    const outputDir = scratchDir('eval-run', t);
    const cancel = new AbortController();
    let answered = 0;
    let hanging = 0;
    // The first four answers come at once; later ones wait until the run is cancelled, which happens once two wait.
    const backend = new FunctionBackend('local', (request, signal) => {
      if (answered < 4) {
        answered += 1;
        return echo(request);
      }
      hanging += 1;
      if (hanging === 2) queueMicrotask(() => cancel.abort());
      return new Promise<string>((resolve) => signal.addEventListener('abort', () => resolve(''), { once: true }));
    });
    const spec = comparison(outputDir, [strategy('a', 'local/one'), strategy('b', 'local/two')], 2);
    const qs = questions(5);
    const first = await run(spec, qs, sourcesOver([backend], {}), {}, { signal: cancel.signal });

    assert.equal(first.cancelled, true);
    assert.equal(backend.requests.length, 6);
    assert.deepEqual(
      first.answers.map((a) => a.status),
      ['done', 'done', 'done', 'done', 'stopped', 'stopped'],
    );
    assert.equal(first.progress.done, 4);
    assert.equal(first.progress.running, 0);
    const cache = AnswerCache.open(outputDir);
    const stopped = first.answers.filter((a) => a.status === 'stopped');
    for (const answer of stopped) {
      assert.equal(cache.get(answer.strategyKey, answer.questionKey), undefined);
      assert.equal(cache.latest(answer.strategyKey, answer.questionKey)?.status, 'stopped');
    }

    const rerunBackend = new FunctionBackend('local', echo);
    const rerun = await run(spec, qs, sourcesOver([rerunBackend], {}), {});
    assert.equal(rerunBackend.requests.length, 6);
    assert.equal(rerun.progress.cached, 4);
    assert.equal(rerun.answers.length, 10);
    assert.ok(rerun.answers.every((a) => a.status === 'done'));
  });

  it('tolerates a torn last line in the cache: only that answer is asked again', async (t) => {
    const outputDir = scratchDir('eval-run', t);
    const backend = new FunctionBackend('local', echo);
    const spec = comparison(outputDir, [strategy('a', 'local/one'), strategy('b', 'local/two')]);
    await run(spec, questions(3), sourcesOver([backend], {}), {});
    const file = join(outputDir, 'answers.jsonl');
    truncateSync(file, readFileSync(file).length - 20);

    const rerun = await run(spec, questions(3), sourcesOver([backend], {}), {});
    assert.equal(backend.requests.length, 7);
    assert.equal(rerun.progress.cached, 5);
    assert.ok(rerun.answers.every((a) => a.status === 'done'));
    assert.equal(AnswerCache.open(outputDir).skippedLines, 1);
    assert.equal(AnswerCache.open(outputDir).all().length, 6);
  });

  it('reports progress with done only growing, an ETA from this run’s own answers, and a final report of everything', async (t) => {
    const outputDir = scratchDir('eval-run', t);
    let clock = 0;
    // Each answer takes one second of the test's clock.
    const backend = new FunctionBackend('local', (request) => {
      clock += 1000;
      return echo(request);
    });
    const spec = comparison(outputDir, [strategy('a', 'local/one'), strategy('b', 'local/two')], 1);
    await run(spec, questions(2), sourcesOver([backend], {}), {}, { now: () => clock });

    const reports: EvalProgress[] = [];
    const result = await run(spec, questions(5), sourcesOver([backend], {}), {}, { now: () => clock, onProgress: (p) => reports.push(p) });
    assert.equal(reports[0]!.cached, 4);
    assert.equal(reports[0]!.etaSeconds, undefined, 'no ETA before this run has answered anything');
    for (let i = 1; i < reports.length; i++) assert.ok(reports[i]!.done >= reports[i - 1]!.done);
    // Six answers to go at one second each: the ETA counts down 5, 4, … 0, whatever the cached answers were.
    const etas = reports.filter((p) => p.etaSeconds !== undefined).map((p) => [p.done, p.etaSeconds]);
    assert.deepEqual(etas.at(-1), [10, 0]);
    for (const [done, eta] of etas) assert.equal(eta, 10 - done!);
    assert.deepEqual(result.progress, reports.at(-1));
    assert.deepEqual(result.progress, {
      total: 10,
      done: 10,
      cached: 4,
      failed: 0,
      running: 0,
      etaSeconds: 0,
      perStrategy: { a: { total: 5, done: 5, failed: 0 }, b: { total: 5, done: 5, failed: 0 } },
    });
  });

  it('fails the rest of an unreachable backend’s answers at once, says so, and keeps the other backend going', async (t) => {
    const outputDir = scratchDir('eval-run', t);
    const down = new FunctionBackend('down', () => {
      throw new ChatBackendError('backend-unavailable', 'Down at http://127.0.0.1:9 cannot be reached (connect ECONNREFUSED).');
    });
    const up = new FunctionBackend('up', echo);
    const spec = comparison(outputDir, [strategy('remote', 'down/big'), strategy('local', 'up/small')], 1);
    const reports: EvalProgress[] = [];
    const result = await run(spec, questions(6), sourcesOver([down, up], {}), {}, { onProgress: (p) => reports.push(p) });

    assert.equal(down.requests.length, unreachableAfterFailures);
    assert.equal(up.requests.length, 6);
    const remote = result.answers.filter((a) => a.strategy === 'remote');
    assert.equal(remote.length, 6);
    assert.ok(remote.every((a) => a.status === 'error' && a.error?.code === 'backend-unavailable' && a.error.message.includes('ECONNREFUSED')));
    assert.ok(remote.slice(unreachableAfterFailures).every((a) => a.notes.some((n) => n.startsWith('Not sent'))));
    assert.ok(result.answers.filter((a) => a.strategy === 'local').every((a) => a.status === 'done'));
    assert.deepEqual(result.progress.unavailableBackends, [{ backend: 'down', message: 'Down at http://127.0.0.1:9 cannot be reached (connect ECONNREFUSED).' }]);
    assert.equal(result.progress.failed, 6);
    assert.equal(result.progress.done, 12);
  });

  it('stops sending to an endpoint that refuses connections after a few answers', async (t) => {
    const outputDir = scratchDir('eval-run', t);
    const closed = await startScriptedServer({ models: { plain: () => 'never' } });
    await closed.close();
    let fetches = 0;
    const endpoint = new OpenAiCompatibleBackend({
      id: 'gone',
      label: 'Gone',
      baseUrl: closed.url,
      fetch: (input, init) => {
        fetches += 1;
        return fetch(input, init);
      },
    });
    const spec = comparison(outputDir, [strategy('remote', 'gone/plain')], 1);
    const result = await run(spec, questions(10), sourcesOver([endpoint], {}), {});
    assert.equal(fetches, unreachableAfterFailures);
    assert.ok(result.answers.every((a) => a.status === 'error' && a.error?.code === 'backend-unavailable'));
    assert.equal(result.progress.unavailableBackends?.[0]?.backend, 'gone');
  });

  it('rejects when the cache cannot be written, and stops sending', async (t) => {
    const outputDir = join(scratchDir('eval-run', t), 'evals');
    const cache = AnswerCache.open(outputDir);
    writeFileSync(outputDir, 'a file where the folder should be');
    const backend = new FunctionBackend('local', echo);
    const spec = comparison(outputDir, [strategy('a', 'local/one')], 1);
    await assert.rejects(
      runComparison({ spec, questions: questions(5), sources: sourcesOver([backend], {}), cache, readText: () => Promise.resolve(undefined), signal: new AbortController().signal }),
      /EEXIST|ENOTDIR/,
    );
    assert.equal(backend.requests.length, 1);
  });
});
