import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { OpenAiCompatibleBackend } from '../../../src/core/chat/openAiCompatibleBackend';
import { AnswerCache } from '../../../src/core/eval/answerCache';
import { parseComparison } from '../../../src/core/eval/comparisonFile';
import { readEvalSet } from '../../../src/core/eval/evalSet';
import { type EvalReport } from '../../../src/core/eval/evalTypes';
import { questionKey, strategyKey } from '../../../src/core/eval/strategyKey';
import { type ChatwrightApi } from '../../../src/extension';
import { lastUserText, startScriptedServer, type ScriptedServer } from '../../support/scriptedOpenAiServer';

const extensionId = 'chatwright.chatwright';

async function api(): Promise<ChatwrightApi> {
  const extension = vscode.extensions.getExtension<ChatwrightApi>(extensionId)!;
  return extension.isActive ? extension.exports : extension.activate();
}

async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const questions = Array.from({ length: 12 }, (_, i) => ({
  id: `q${i + 1}`,
  question: `What is the opening time of branch number ${i + 1}?`,
  answer: `Branch ${i + 1} opens at ${7 + (i % 4)} in the morning on weekdays.`,
}));
const referenceOf = new Map(questions.map((q) => [q.question, q.answer]));

/**
 * A comparison run from the editor: answers from an endpoint of the comparison file (its key from the environment)
 * and from a backend registered through the extension's API, scored in the worker, the report written with the
 * expected recommendation; a stopped run continues without redoing its answers; a hand grade rebuilds the report;
 * an eval set made from a dataset slice, never over existing files.
 */
describe('Strategy comparison (extension host)', () => {
  const disposables: vscode.Disposable[] = [];
  let keyed: ScriptedServer;
  let open: ScriptedServer;
  let folder: string;
  let comparison: vscode.Uri;
  const registeredId = `it-eval-${Math.random().toString(36).slice(2, 8)}`;

  before(async () => {
    folder = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    // Answers take a moment, so a run can be stopped half-way; the outcome does not depend on it.
    keyed = await startScriptedServer({ models: { exact: (messages) => referenceOf.get(lastUserText(messages)) ?? 'no idea' }, apiKey: 'it-secret', delayMs: 60 });
    open = await startScriptedServer({ models: { vague: () => 'Please check the website for opening hours.' }, delayMs: 60 });
    process.env['CHATWRIGHT_IT_EVAL_KEY'] = 'it-secret';
    const { chat } = await api();
    disposables.push(chat.registerBackend(new OpenAiCompatibleBackend({ id: registeredId, label: 'registered', baseUrl: open.url })));
    mkdirSync(join(folder, 'evals'), { recursive: true });
    writeFileSync(join(folder, 'evals', 'branches.eval.jsonl'), questions.map((q) => JSON.stringify(q)).join('\n') + '\n');
    writeFileSync(
      join(folder, 'evals', 'branches.compare.yaml'),
      [
        'name: branches',
        'eval_set: evals/branches.eval.jsonl',
        'strategies:',
        '  - name: exact',
        '    model: keyed/exact',
        '  - name: vague',
        `    model: ${registeredId}/vague`,
        'endpoints:',
        `  - { id: keyed, url: "${keyed.url}", api_key_env: CHATWRIGHT_IT_EVAL_KEY }`,
        'concurrency: 2',
        'primary_metric: token_f1',
        'bootstrap_samples: 500',
        '',
      ].join('\n'),
    );
    comparison = vscode.Uri.file(join(folder, 'evals', 'branches.compare.yaml'));
  });

  after(async () => {
    for (const d of disposables) d.dispose();
    delete process.env['CHATWRIGHT_IT_EVAL_KEY'];
    await Promise.all([keyed?.close(), open?.close()]);
  });

  const outputDir = () => join(folder, '.chatwright', 'evals', 'branches');
  const readReport = () => JSON.parse(readFileSync(join(outputDir(), 'report.json'), 'utf8')) as EvalReport;
  const cachedDone = () =>
    readFileSync(join(outputDir(), 'answers.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { status: string; strategy: string; questionId: string })
      .filter((a) => a.status === 'done');

  it('stops a run half-way, then continues it without asking again for the answers it has', async () => {
    const running = vscode.commands.executeCommand<{ reportFile: string; cancelled: boolean } | undefined>('chatwright.eval.run', comparison);
    await waitFor(() => keyed.requests.length + open.requests.length >= 6 || undefined, 'six answers asked for');
    const { eval: evaluation } = await api();
    assert.equal(evaluation.runs.isRunning(comparison.fsPath), true);
    await vscode.commands.executeCommand('chatwright.eval.stop', comparison);
    const stopped = await running;
    assert.equal(stopped?.cancelled, true);
    assert.equal(evaluation.runs.isRunning(comparison.fsPath), false);

    const kept = new Set(cachedDone().map((a) => `${a.strategy}/${a.questionId}`));
    assert.ok(kept.size > 0 && kept.size < 24, `some answers are kept: ${kept.size}`);
    const before = keyed.requests.length + open.requests.length;
    const finished = await vscode.commands.executeCommand<{ reportFile: string; cancelled: boolean } | undefined>('chatwright.eval.run', comparison, { resume: true });
    assert.equal(finished?.cancelled, false);
    assert.equal(keyed.requests.length + open.requests.length - before, 24 - kept.size, 'only the answers not kept were asked for');
    assert.equal(cachedDone().length, 24);
  });

  it('wrote the report: every answer of both backends scored, the exact strategy recommended', () => {
    const report = readReport();
    assert.deepEqual(
      report.strategies.map((s) => [s.name, s.answered, s.failed]),
      [
        ['exact', 12, 0],
        ['vague', 12, 0],
      ],
    );
    const f1 = Object.fromEntries(report.strategies.map((s) => [s.name, s.metrics.token_f1?.mean]));
    assert.equal(f1['exact'], 1);
    assert.ok((f1['vague'] ?? 1) < 0.3, `vague scores low: ${f1['vague']}`);
    assert.equal(report.recommendation.strategy, 'exact');
    assert.ok(keyed.requests.every((r) => r.model === 'exact'));
  });

  it('a hand grade is stored and the report is rebuilt from the cache, asking no model', async () => {
    const { eval: evaluation } = await api();
    const asked = keyed.requests.length + open.requests.length;
    const reportFile = join(outputDir(), 'report.json');
    await evaluation.grade(reportFile, { strategy: 'vague', questionId: 'q3', score: 2, note: 'does not answer' });
    const report = readReport();
    assert.equal(report.questions.find((q) => q.id === 'q3')?.answers['vague']?.manual?.score, 2);
    assert.equal(report.strategies.find((s) => s.name === 'vague')?.metrics.manual_score?.mean, 2);
    assert.equal(keyed.requests.length + open.requests.length, asked);
  });

  it('two grades given at once both land in the rebuilt report', async () => {
    const { eval: evaluation } = await api();
    const reportFile = join(outputDir(), 'report.json');
    await Promise.all([
      evaluation.grade(reportFile, { strategy: 'exact', questionId: 'q1', score: 5 }),
      evaluation.grade(reportFile, { strategy: 'vague', questionId: 'q2', score: 1 }),
      evaluation.grade(reportFile, { strategy: 'exact', questionId: 'q4', score: 4 }),
    ]);
    const report = readReport();
    const manual = (id: string, strategy: string) => report.questions.find((q) => q.id === id)?.answers[strategy]?.manual?.score;
    assert.deepEqual([manual('q1', 'exact'), manual('q2', 'vague'), manual('q4', 'exact'), manual('q3', 'vague')], [5, 1, 4, 2]);
    assert.equal(evaluation.runs.anyRunning, false, 'a rebuild is not a run');
  });

  it('grades only a report of a comparison of this workspace that writes it', async () => {
    const { eval: evaluation } = await api();
    const elsewhere = join(folder, 'elsewhere', 'report.json');
    mkdirSync(join(folder, 'elsewhere'), { recursive: true });
    writeFileSync(elsewhere, JSON.stringify({ comparison: { file: comparison.fsPath } }));
    await assert.rejects(evaluation.grade(elsewhere, { strategy: 'exact', questionId: 'q1', score: 3 }), /writes its report to/);
    writeFileSync(elsewhere, JSON.stringify({ comparison: { file: '/etc/outside.compare.yaml' } }));
    await assert.rejects(evaluation.grade(elsewhere, { strategy: 'exact', questionId: 'q1', score: 3 }), /not a comparison file of this workspace/);
  });

  it('makes an eval set and a held-out training file from a dataset slice, and never overwrites them', async () => {
    const rows = Array.from({ length: 20 }, (_, i) =>
      JSON.stringify({
        messages: [
          { role: 'user', content: `question ${i}` },
          { role: 'assistant', content: `answer ${i}` },
        ],
      }),
    );
    const dataset = join(folder, 'evals', 'support.jsonl');
    writeFileSync(dataset, rows.join('\n') + '\n');
    const files = await vscode.commands.executeCommand<{ evalFile: string; trainFile: string } | undefined>('chatwright.eval.createEvalSet', vscode.Uri.file(dataset), { count: 5, selection: 'last' });
    assert.deepEqual(files, { evalFile: join(folder, 'evals', 'support.eval.jsonl'), trainFile: join(folder, 'evals', 'support.heldout-train.jsonl') });
    const evalText = readFileSync(files.evalFile, 'utf8');
    const trainText = readFileSync(files.trainFile, 'utf8');
    assert.equal(evalText.trim().split('\n').length, 5);
    assert.equal(trainText, rows.slice(0, 15).join('\n') + '\n', 'the training rows kept byte for byte');
    assert.match(evalText, /question 19/);

    const again = await vscode.commands.executeCommand('chatwright.eval.createEvalSet', vscode.Uri.file(dataset), { count: 3, selection: 'random', name: 'support' });
    assert.equal(again, undefined);
    assert.equal(readFileSync(files.evalFile, 'utf8'), evalText);
    assert.equal(readFileSync(files.trainFile, 'utf8'), trainText);
    assert.ok(!existsSync(join(folder, 'evals', 'support-2.eval.jsonl')));
  });
});

/**
 * Runs only in the Restricted Mode run (test/integration/run.mjs): grading a report rebuilds it from the cache in an
 * untrusted workspace without a request to the comparison's endpoint (its embedding model included), and without
 * starting a process (no git for the document churn), even with the endpoint's API key variable unset.
 */
(process.env.CHATWRIGHT_RESTRICTED_RUN === '1' ? describe : describe.skip)('Restricted Mode: grading a comparison report', () => {
  it('rebuilds the report asking nothing of any endpoint and running no process', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    const root = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const recorder = process.env.CHATWRIGHT_RECORDER_URL!;
    mkdirSync(join(root, 'evals'), { recursive: true });
    const evalFile = join(root, 'evals', 'graded.eval.jsonl');
    writeFileSync(
      evalFile,
      questions
        .slice(0, 3)
        .map((q) => JSON.stringify(q))
        .join('\n') + '\n',
    );
    const comparisonFile = join(root, 'evals', 'graded.compare.yaml');
    const text = [
      'name: graded',
      'eval_set: evals/graded.eval.jsonl',
      'embedding_model: hostile/embed',
      'strategies:',
      '  - name: tuned',
      '    model: hostile/m',
      '    fine_tuned: { run: runs/tuned }',
      'output: graded-output',
      'endpoints:',
      `  - { id: hostile, url: "${recorder}/hostile/v1", api_key_env: CHATWRIGHT_IT_UNSET_KEY }`,
      '',
    ].join('\n');
    writeFileSync(comparisonFile, text);
    mkdirSync(join(root, 'runs', 'tuned'), { recursive: true });
    const { spec, problems } = parseComparison(text, comparisonFile, { workspaceRoot: root });
    assert.ok(spec, JSON.stringify(problems));
    // Answers a run made before: the rebuild has texts to embed if it were to embed.
    const cache = AnswerCache.open(spec.outputDir);
    for (const question of readEvalSet(spec.evalSet).questions) {
      cache.append({
        strategy: 'tuned',
        strategyKey: strategyKey(spec.strategies[0]!, {}),
        questionId: question.id,
        questionKey: questionKey(question),
        status: 'done',
        content: question.reference,
        messages: [],
        passages: [],
        examples: [],
        notes: [],
        startedAt: 1,
        finishedAt: 2,
      });
    }
    const reportFile = join(spec.outputDir, 'report.json');
    writeFileSync(reportFile, JSON.stringify({ comparison: { file: comparisonFile } }));
    // A git that leaves a mark if anything runs it.
    const bin = join(root, 'fake-bin');
    const marker = join(root, 'git-ran');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'git'), `#!/bin/sh\ntouch "${marker}"\n`, { mode: 0o755 });
    const path = process.env['PATH'];
    process.env['PATH'] = `${bin}:${path ?? ''}`;
    try {
      const asked = (await (await fetch(`${recorder}/__requests`)).json()) as unknown[];
      const { eval: evaluation } = await api();
      await evaluation.grade(reportFile, { strategy: 'tuned', questionId: 'q2', score: 4 });
      const report = JSON.parse(readFileSync(reportFile, 'utf8')) as EvalReport;
      assert.equal(report.questions.find((q) => q.id === 'q2')?.answers['tuned']?.manual?.score, 4);
      assert.equal(report.strategies[0]?.answered, 3);
      const after = (await (await fetch(`${recorder}/__requests`)).json()) as unknown[];
      const hostile = (requests: unknown[]) => requests.filter((r) => (r as { url: string }).url.startsWith('/hostile'));
      assert.deepEqual(hostile(after.slice(asked.length)), [], 'no request to the comparison’s endpoint');
      assert.equal(existsSync(marker), false, 'no process (git) ran');
    } finally {
      process.env['PATH'] = path;
    }
  });
});
