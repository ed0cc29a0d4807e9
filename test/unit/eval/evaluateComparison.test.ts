import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { evaluateComparison, inProcessComputation, type EvalComputation, type EvaluateOptions } from '../../../src/core/eval/evaluateComparison';
import { InterruptedRunError, readRunState, writeRunState } from '../../../src/core/eval/evalRunState';
import { type ChatBackend } from '../../../src/core/chat/backend';
import { type ChatSources } from '../../../src/core/chat/chatRunner';
import { type ComparisonSpec, type EvalAnswer, type EvalReport, type MetricId } from '../../../src/core/eval/evalTypes';
import { FileChatSources, missingApiKeys } from '../../../src/core/eval/fileChatSources';
import { appendGrade } from '../../../src/core/eval/gradesFile';
import { runCliCaptured } from '../../support/cli';
import { comparisonSpec, knownQuestions, scriptedModels, strategy, writeEvalWorkspace } from '../../support/evalComparison';
import { scratchDir } from '../../support/scratchDir';
import { lastUserText, startScriptedServer, type ScriptedAnswer, type ScriptedServer } from '../../support/scriptedOpenAiServer';

const sample = join(__dirname, '..', '..', '..', 'examples', 'support-bot');

let fast: ScriptedServer;
let slow: ScriptedServer;

/** A judge that gives 5 to an answer that is the reference word for word, 1 to any other. */
function grader(messages: Parameters<ScriptedAnswer>[0]): string {
  const material = lastUserText(messages);
  const part = (tag: string) => new RegExp(`<${tag}>\\n([\\s\\S]*?)\\n</${tag}>`).exec(material)?.[1];
  const same = part('answer') !== undefined && part('answer') === part('reference');
  return `Reasoning: the answer ${same ? 'is' : 'is not'} the reference.\nScore: ${same ? 5 : 1}`;
}

before(async () => {
  fast = await startScriptedServer({ models: { ...scriptedModels, grader } });
  slow = await startScriptedServer({ models: scriptedModels, delayMs: 20 });
});
after(async () => {
  await fast.close();
  await slow.close();
});

function endpoints(): ComparisonSpec['endpoints'] {
  return [
    { id: 'fast', url: fast.url },
    { id: 'slow', url: slow.url },
  ];
}

/** A workspace with the known comparison: exact, exact with few-shot examples, paraphrase, wrong, exact behind a slower endpoint. */
function workspace(name: string): { root: string; spec: ComparisonSpec } {
  const root = scratchDir(name);
  const files = writeEvalWorkspace(root);
  const spec = comparisonSpec(
    root,
    [
      strategy('exact', 'fast/exact'),
      strategy('exact-few-shot', 'fast/exact', { fewShot: { k: 2, selection: 'first', examples: files.examples, seed: 0 } }),
      strategy('paraphrase', 'fast/paraphrase'),
      strategy('wrong', 'fast/wrong'),
      strategy('slow-exact', 'slow/exact'),
    ],
    endpoints(),
  );
  return { root, spec };
}

async function evaluate(spec: ComparisonSpec, extra: Partial<EvaluateOptions> = {}): Promise<{ report: EvalReport; cancelled: boolean }> {
  const sources = new FileChatSources({ root: spec.root, endpoints: spec.endpoints, env: {} });
  try {
    return await evaluateComparison({
      spec,
      sources,
      resume: false,
      readText: (path) => Promise.resolve(existsSync(join(spec.root, path)) ? readFileSync(join(spec.root, path), 'utf8') : undefined),
      signal: new AbortController().signal,
      ...extra,
    });
  } finally {
    await sources.dispose();
  }
}

function mean(report: EvalReport, name: string, metric: MetricId): number | undefined {
  return report.strategies.find((row) => row.name === name)?.metrics[metric]?.mean;
}

function requestsTo(server: ScriptedServer): number {
  return server.requests.length;
}

describe('evaluateComparison over scripted endpoints', () => {
  it('ranks the strategies as their scripted answers deserve, calls two equal strategies a tie, and recommends the cheapest of the best', async () => {
    const { spec } = workspace('eval-ranking');
    const { report, cancelled } = await evaluate(spec);
    assert.equal(cancelled, false);
    const total = knownQuestions.length;
    for (const row of report.strategies) assert.equal(row.answered, total, `${row.name} answered every question`);
    assert.equal(mean(report, 'exact', 'token_f1'), 1);
    assert.equal(mean(report, 'slow-exact', 'token_f1'), 1);
    const paraphrase = mean(report, 'paraphrase', 'token_f1')!;
    const wrong = mean(report, 'wrong', 'token_f1')!;
    assert.ok(paraphrase > 0.5 && paraphrase < 1, `paraphrase F1 ${paraphrase}`);
    assert.ok(wrong < 0.2, `wrong F1 ${wrong}`);

    const pair = (a: string, b: string) => report.pairwise.find((p) => (p.a === a && p.b === b) || (p.a === b && p.b === a));
    assert.equal(pair('exact', 'slow-exact')?.verdict, 'tie', 'identical answers are a tie');
    assert.equal(pair('exact', 'exact-few-shot')?.verdict, 'tie');
    const exactOverParaphrase = pair('exact', 'paraphrase')!;
    assert.equal(exactOverParaphrase.verdict, exactOverParaphrase.a === 'exact' ? 'a' : 'b', 'exact is significantly better than the paraphrase');
    assert.equal(report.recommendation.strategy, 'exact', 'the cheapest strategy not significantly below the best (zero-shot, listed first)');

    const written = JSON.parse(readFileSync(join(spec.outputDir, 'report.json'), 'utf8')) as EvalReport;
    assert.equal(written.recommendation.strategy, 'exact', 'report.json holds the same report');
    const state = readRunState(spec.outputDir);
    assert.equal(state?.state, 'finished');
    assert.equal(state?.done, total * spec.strategies.length);
  });

  it('answers nothing again on a second run, and reruns only the strategy that changed', async () => {
    const { spec } = workspace('eval-cache');
    await evaluate(spec);
    const before = requestsTo(fast) + requestsTo(slow);
    await evaluate(spec);
    assert.equal(requestsTo(fast) + requestsTo(slow), before, 'every answer came from the cache');

    const changed: ComparisonSpec = { ...spec, strategies: spec.strategies.map((s) => (s.name === 'paraphrase' ? { ...s, maxTokens: 256 } : s)) };
    const fastBefore = fast.requests.length;
    await evaluate(changed);
    const rerun = fast.requests.slice(fastBefore);
    assert.equal(rerun.length, knownQuestions.length, 'one request per question');
    assert.ok(
      rerun.every((request) => request.model === 'paraphrase'),
      'only the changed strategy reran',
    );
  });

  it('runs only the strategies asked for, and reports only those', async () => {
    const { spec } = workspace('eval-subset');
    const before = fast.requests.length;
    const { report } = await evaluate(spec, { strategies: ['exact', 'wrong'] });
    assert.deepEqual(
      report.strategies.map((row) => row.name),
      ['exact', 'wrong'],
    );
    assert.equal(fast.requests.length - before, knownQuestions.length * 2);
    await assert.rejects(evaluate(spec, { strategies: ['nope'] }), /no strategy named 'nope'/);
  });

  it('refuses to mix in an interrupted run unless told to resume or start fresh, and fresh keeps the hand grades', async () => {
    const { spec } = workspace('eval-interrupted');
    await evaluate(spec, { strategies: ['exact'] });
    appendGrade(spec.outputDir, { strategy: 'exact', questionId: 'q1', score: 4, gradedAt: 1 });
    // A run whose process is gone (no process has this pid) left its state `running` at 5 of 60.
    writeRunState(spec.outputDir, { version: 1, state: 'running', pid: 2 ** 31 - 2, startedAt: 1, strategies: ['exact'], done: 5, total: 60 });
    await assert.rejects(evaluate(spec, { strategies: ['exact'] }), (error: unknown) => {
      assert.ok(error instanceof InterruptedRunError);
      assert.match(error.message, /an earlier run stopped at 5\/60 answers; continue it with --resume or start over with --fresh/);
      return true;
    });
    const before = fast.requests.length;
    const resumed = await evaluate(spec, { strategies: ['exact'], resume: true });
    assert.equal(fast.requests.length, before, 'resuming a run whose answers are all cached asks nothing');
    assert.equal(mean(resumed.report, 'exact', 'manual_score'), 4, 'the hand grade is the manual score');

    writeRunState(spec.outputDir, { version: 1, state: 'cancelled', pid: process.pid, startedAt: 1, strategies: ['exact'], done: 5, total: 12 });
    const fresh = await evaluate(spec, { strategies: ['exact'], fresh: true });
    assert.equal(fast.requests.length - before, knownQuestions.length, 'fresh forgot the cached answers');
    assert.equal(mean(fresh.report, 'exact', 'manual_score'), 4, 'fresh never deletes grades.jsonl');
  });

  it('rebuilds the report from the cache alone in report mode, contacting no server', async () => {
    const { spec } = workspace('eval-report-only');
    await evaluate(spec, { strategies: ['exact', 'paraphrase'] });
    const before = requestsTo(fast) + requestsTo(slow);
    const { report } = await evaluate(spec, { mode: 'report' });
    assert.equal(requestsTo(fast) + requestsTo(slow), before);
    assert.equal(mean(report, 'exact', 'token_f1'), 1);
    assert.equal(report.strategies.find((row) => row.name === 'wrong')?.answered ?? 0, 0, 'a strategy never run has no answers in the report');
  });

  it('scores embedding similarity with the given embedder, and leaves it out with a note when the embedder fails', async () => {
    const { spec } = workspace('eval-embed');
    const withModel: ComparisonSpec = { ...spec, embeddingModel: 'fast/hash-embed', strategies: spec.strategies.slice(0, 1) };
    const sources = new FileChatSources({ root: spec.root, endpoints: spec.endpoints, env: {} });
    const embedded = await evaluate(withModel, { embed: sources.embedder('fast/hash-embed') });
    const similarity = mean(embedded.report, 'exact', 'embedding_similarity');
    assert.ok(similarity !== undefined && Math.abs(similarity - 1) < 1e-5, `identical texts embed alike (${similarity})`);

    const failed = await evaluate(withModel, { embed: () => Promise.reject(new Error('the model ran out of memory')) });
    assert.equal(mean(failed.report, 'exact', 'embedding_similarity'), undefined);
    assert.ok(
      failed.report.notes?.some((note) => note.includes('ran out of memory')),
      JSON.stringify(failed.report.notes),
    );
    assert.equal(mean(failed.report, 'exact', 'token_f1'), 1, 'the other metrics are still there');
  });

  it('judges each answer once with the judge model, merges its scores, and reuses the verdicts without asking again', async () => {
    const { spec } = workspace('eval-judge');
    const judged: ComparisonSpec = { ...spec, judge: { model: 'fast/grader', rubric: 'Grade against the reference.', maxScore: 5, passScore: 4 } };
    const graderRequests = () => fast.requests.filter((request) => request.model === 'grader').length;
    const before = graderRequests();
    const { report } = await evaluate(judged, { strategies: ['exact', 'wrong'] });
    assert.equal(graderRequests() - before, knownQuestions.length * 2, `one verdict per answer; notes: ${JSON.stringify(report.notes)}`);
    assert.equal(mean(report, 'exact', 'judge_score'), 5);
    assert.equal(mean(report, 'exact', 'judge_pass'), 1);
    assert.equal(mean(report, 'wrong', 'judge_score'), 1);
    assert.equal(mean(report, 'wrong', 'judge_pass'), 0);
    const verdict = report.questions[0]?.answers['exact']?.judge;
    assert.equal(verdict?.score, 5);
    assert.match(verdict?.reasoning ?? '', /is the reference/);

    const again = await evaluate(judged, { strategies: ['exact', 'wrong'] });
    const rebuilt = await evaluate(judged, { strategies: ['exact', 'wrong'], mode: 'report' });
    assert.equal(graderRequests() - before, knownQuestions.length * 2, 'cached verdicts are reused in both modes');
    assert.equal(mean(again.report, 'wrong', 'judge_score'), 1);
    assert.equal(mean(rebuilt.report, 'exact', 'judge_score'), 5);
  });

  it('does not send a stopped answer to the judge', async () => {
    const { spec } = workspace('eval-judge-stopped');
    const judged: ComparisonSpec = {
      ...spec,
      strategies: [strategy('exact', 'fast/exact'), strategy('cut', 'halting/any')],
      judge: { model: 'fast/grader', rubric: 'Grade against the reference.', maxScore: 5, passScore: 4 },
    };
    // A backend that streams a few words and then says it was stopped, as a server that cancels the request does.
    const halting: ChatBackend = {
      id: 'halting',
      label: 'Halting',
      listModels: () => Promise.resolve([]),
      generate: (_request, onEvent) => {
        onEvent({ type: 'token', text: 'The return' });
        return Promise.resolve({ promptTokens: 5, completionTokens: 2, timeToFirstTokenMs: 1, tokensPerSecond: 1, totalMs: 2, finishReason: 'cancelled' });
      },
    };
    const files = new FileChatSources({ root: spec.root, endpoints: spec.endpoints, env: {} });
    const graderRequests = () => fast.requests.filter((request) => request.model === 'grader').length;
    const before = graderRequests();
    try {
      const { report } = await evaluateComparison({
        spec: judged,
        sources: { backend: (id) => (id === 'halting' ? halting : files.backend(id)) },
        resume: false,
        readText: () => Promise.resolve(undefined),
        signal: new AbortController().signal,
      });
      assert.equal(report.questions[0]?.answers['cut']?.status, 'stopped');
      assert.equal(graderRequests() - before, knownQuestions.length, 'only the finished answers were judged');
      assert.equal(report.questions[0]?.answers['cut']?.judge, undefined);
    } finally {
      await files.dispose();
    }
  });

  it('finds an eval question among a few-shot strategy’s examples', async () => {
    const { root, spec } = workspace('eval-contamination');
    const leaked = knownQuestions[3]!;
    writeFileSync(
      join(root, 'data', 'examples.jsonl'),
      `${JSON.stringify({
        messages: [
          { role: 'user', content: leaked.question },
          { role: 'assistant', content: leaked.reference },
        ],
      })}\n`,
    );
    const { report } = await evaluate(spec, { strategies: ['exact-few-shot'] });
    assert.equal(report.contamination.examplesOverlap, 1);
    assert.equal(report.contamination.findings[0]?.questionId, leaked.id);
  });

  it('checks the training file a fine-tuned strategy’s run recorded, and reads the run for its training cost', async () => {
    const { root, spec } = workspace('eval-fine-tuned');
    const leaked = knownQuestions[5]!;
    const train = join(root, 'data', 'train.jsonl');
    writeFileSync(
      train,
      `${JSON.stringify({
        messages: [
          { role: 'user', content: leaked.question },
          { role: 'assistant', content: leaked.reference },
        ],
      })}\n`,
    );
    const runDir = join(root, '.chatwright', 'runs', 'support-lora');
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, 'datasets.json'), JSON.stringify({ train: { path: train, bytes: 1, sha256: 'x' } }));
    const tuned: ComparisonSpec = { ...spec, strategies: [strategy('tuned', 'fast/exact', { fineTuned: { run: '.chatwright/runs/support-lora' } })] };
    const { report } = await evaluate(tuned);
    assert.equal(report.contamination.trainingOverlap, 1);
    assert.equal(report.contamination.findings[0]?.questionId, leaked.id);
    assert.equal(report.strategies[0]?.training?.run, '.chatwright/runs/support-lora');
  });

  it('stops when cancelled, records the run as cancelled, and the next run continues it with resume', async () => {
    const { spec } = workspace('eval-cancel');
    const controller = new AbortController();
    let seen = 0;
    const result = await evaluate(
      { ...spec, strategies: [spec.strategies[4]!], concurrency: 1 },
      {
        signal: controller.signal,
        onProgress: (stage, progress) => {
          if (stage !== 'answering') return;
          seen = Math.max(seen, progress.done);
          if (progress.done >= 3) controller.abort();
        },
      },
    );
    assert.equal(result.cancelled, true);
    assert.ok(seen >= 3);
    assert.equal(readRunState(spec.outputDir)?.state, 'cancelled');
    await assert.rejects(evaluate({ ...spec, strategies: [spec.strategies[4]!] }), InterruptedRunError);
    const resumed = await evaluate({ ...spec, strategies: [spec.strategies[4]!] }, { resume: true });
    assert.equal(resumed.cancelled, false);
    assert.equal(resumed.report.strategies[0]?.answered, knownQuestions.length);
  });

  it('fails a retrieval strategy with ingredient-missing while there is no index, and answers it once the index exists', { timeout: 60_000 }, async () => {
    const { root, spec } = workspace('eval-no-index');
    const rag: ComparisonSpec = { ...spec, strategies: [strategy('rag', 'fast/exact', { retrieval: { k: 2 } })] };
    const before = requestsTo(fast);
    const missing = await evaluate(rag);
    assert.equal(requestsTo(fast), before, 'nothing was sent without the passages the strategy asks for');
    assert.equal(missing.report.strategies[0]?.answered, 0);
    assert.equal(missing.report.strategies[0]?.failed, knownQuestions.length);
    const cached = () =>
      readFileSync(join(spec.outputDir, 'answers.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as EvalAnswer);
    assert.ok(
      cached().every((answer) => answer.status === 'error' && answer.error?.code === 'ingredient-missing' && /no document index/.test(answer.error.message)),
      'each answer failed, naming what is missing, and none is cached as done',
    );

    cpSync(join(sample, 'docs'), join(root, 'docs'), { recursive: true });
    const indexed = await runCliCaptured(['index', '.'], { cwd: root, env: {} });
    assert.equal(indexed.code, 0, indexed.stderr);
    const answered = await evaluate(rag);
    assert.equal(answered.report.strategies[0]?.answered, knownQuestions.length, 'the failed answers were asked again');
    const latest = cached().slice(-knownQuestions.length);
    assert.ok(latest.every((answer) => answer.status === 'done'));
    assert.ok(
      latest.some((answer) => answer.passages.length > 0),
      'the index was searched',
    );
  });

  it('counts an answer of a retrieval strategy that retrieved nothing as a miss in retrieval_hit and MRR', async () => {
    const { spec } = workspace('eval-zero-passages');
    const evalSet = knownQuestions.map((q) => JSON.stringify({ id: q.id, question: q.question, answer: q.reference, sources: ['docs/warranty.md'] })).join('\n') + '\n';
    writeFileSync(spec.evalSet, evalSet);
    const rag: ComparisonSpec = { ...spec, strategies: [strategy('rag', 'fast/exact', { retrieval: { k: 2 } })] };
    const files = new FileChatSources({ root: spec.root, endpoints: spec.endpoints, env: {} });
    // Retrieval that works, finding the warranty page for the warranty question and nothing for the others.
    const sources: ChatSources = {
      backend: (id) => files.backend(id),
      retrieve: (query) => Promise.resolve(query.includes('warranty') ? [{ file: 'docs/warranty.md', startLine: 1, endLine: 2, headingPath: [], text: 'Two years for every device.', score: 1 }] : []),
    };
    try {
      const { report } = await evaluateComparison({ spec: rag, sources, resume: false, readText: () => Promise.resolve(undefined), signal: new AbortController().signal });
      assert.equal(report.strategies[0]?.answered, knownQuestions.length, 'finding no passage is a miss, not a missing index');
      assert.equal(mean(report, 'rag', 'retrieval_hit'), 1 / knownQuestions.length);
      assert.equal(mean(report, 'rag', 'retrieval_mrr'), 1 / knownQuestions.length);
    } finally {
      await files.dispose();
    }
  });

  it('rebuilds the report embedding nothing and running no git: the run’s embedding scores and document churn are kept', async () => {
    const { root, spec } = workspace('eval-report-pure');
    const runDir = join(root, '.chatwright', 'runs', 'tuned');
    mkdirSync(runDir, { recursive: true });
    const tuned: ComparisonSpec = {
      ...spec,
      embeddingModel: 'fast/hash-embed',
      strategies: [strategy('paraphrase', 'fast/paraphrase'), strategy('tuned', 'fast/exact', { fineTuned: { run: '.chatwright/runs/tuned' } })],
    };
    // A git that says one document changed, and leaves a mark each time it runs.
    const bin = join(root, 'bin');
    const marker = join(root, 'git-ran');
    mkdirSync(bin);
    writeFileSync(join(bin, 'git'), `#!/bin/sh\necho ran >> "${marker}"\nprintf 'docs/a.md\\0'\n`, { mode: 0o755 });
    const path = process.env['PATH'];
    process.env['PATH'] = `${bin}:${path ?? ''}`;
    const sources = new FileChatSources({ root: spec.root, endpoints: spec.endpoints, env: {} });
    let embedded = 0;
    const embedder = sources.embedder('fast/hash-embed');
    const counting: EvaluateOptions['embed'] = (texts, signal) => {
      embedded += texts.length;
      return embedder(texts, signal);
    };
    try {
      const run = await evaluate(tuned, { embed: counting });
      assert.ok(embedded > 0 && existsSync(marker), 'the run embeds and measures the churn with git');
      assert.deepEqual(run.report.documentChurn, { files: 1, commitsLast90Days: 0, filesChangedLast90Days: 1 });
      const similarity = mean(run.report, 'paraphrase', 'embedding_similarity');
      assert.ok(similarity !== undefined && similarity < 1);

      rmSync(marker);
      embedded = 0;
      const before = requestsTo(fast);
      const { report } = await evaluate(tuned, { mode: 'report', embed: counting });
      assert.equal(embedded, 0, 'nothing embedded');
      assert.equal(requestsTo(fast), before, 'no request');
      assert.equal(existsSync(marker), false, 'git never ran');
      assert.equal(mean(report, 'paraphrase', 'embedding_similarity'), similarity, 'the kept embedding score');
      assert.deepEqual(report.documentChurn, run.report.documentChurn, 'the last report’s churn');
      assert.deepEqual(report.notes ?? [], run.report.notes ?? []);

      // An answer the kept scores were not computed for (a changed reference) has none, and the report says so.
      writeFileSync(tuned.evalSet, readFileSync(tuned.evalSet, 'utf8').replace(knownQuestions[0]!.reference, `${knownQuestions[0]!.reference} Also on Sundays.`));
      await evaluate(tuned, { resume: true });
      const partial = await evaluate(tuned, { mode: 'report' });
      assert.ok(
        partial.report.notes?.some((note) => /Embedding scores of 2 answer\(s\) are left out/.test(note)),
        JSON.stringify(partial.report.notes),
      );
    } finally {
      process.env['PATH'] = path;
      await sources.dispose();
    }
  });

  it('does the contamination check and writes the report through the computation it is given', async () => {
    const { spec } = workspace('eval-computation');
    const calls: string[] = [];
    const inner = inProcessComputation(() => Promise.resolve(undefined));
    const computation: EvalComputation = {
      score: (input) => (calls.push('score'), inner.score(input)),
      contamination: (input) => (calls.push('contamination'), inner.contamination(input)),
      report: async (input) => {
        calls.push('report');
        return { ...(await inner.report(input)), notes: ['written by the computation'] };
      },
    };
    const { report } = await evaluate(spec, { strategies: ['exact'], computation });
    assert.deepEqual(calls, ['score', 'contamination', 'report']);
    assert.deepEqual(report.notes, ['written by the computation']);
    assert.equal((JSON.parse(readFileSync(join(spec.outputDir, 'report.json'), 'utf8')) as EvalReport).strategies[0]?.name, 'exact', 'the computation wrote report.json');
  });

  it('names an endpoint’s missing API key variable before anything runs', () => {
    const { spec } = workspace('eval-keys');
    const keyed: ComparisonSpec = { ...spec, endpoints: [{ id: 'fast', url: fast.url, apiKeyEnv: 'SUPPORT_BOT_KEY' }] };
    assert.deepEqual(missingApiKeys(keyed, keyed.strategies.slice(0, 1), {}), ["endpoint 'fast' needs its API key in the environment variable SUPPORT_BOT_KEY, which is not set"]);
    assert.deepEqual(missingApiKeys(keyed, keyed.strategies.slice(0, 1), { SUPPORT_BOT_KEY: 'k' }), []);
  });
});
