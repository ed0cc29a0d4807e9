import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readRunState } from '../../../src/core/eval/evalRunState';
import { type EvalReport } from '../../../src/core/eval/evalTypes';
import { runCliCaptured, spawnCli } from '../../support/cli';
import { comparisonYaml, knownQuestions, scriptedModels, writeEvalWorkspace } from '../../support/evalComparison';
import { scratchDir } from '../../support/scratchDir';
import { startScriptedServer, type ScriptedServer } from '../../support/scriptedOpenAiServer';
import { waitFor } from '../../support/waitFor';

let server: ScriptedServer;

before(async () => {
  server = await startScriptedServer({ models: scriptedModels });
});
after(async () => {
  await server.close();
});

const threeStrategies = `  - { name: exact, model: fast/exact }
  - { name: paraphrase, model: fast/paraphrase }
  - { name: wrong, model: fast/wrong }`;

/** A workspace holding the known eval set and a comparison over `url`; returns the comparison's path. */
function workspace(name: string, options: { url?: string; strategies?: string; extra?: string; apiKeyEnv?: string } = {}): { root: string; file: string; outputDir: string } {
  const root = scratchDir(name);
  writeEvalWorkspace(root);
  const file = join(root, 'support.compare.yaml');
  writeFileSync(
    file,
    comparisonYaml({
      endpoints: [{ id: 'fast', url: options.url ?? server.url, ...(options.apiKeyEnv ? { apiKeyEnv: options.apiKeyEnv } : {}) }],
      strategies: options.strategies ?? threeStrategies,
      ...(options.extra !== undefined ? { extra: options.extra } : {}),
    }),
  );
  return { root, file, outputDir: join(root, '.chatwright', 'evals', 'support') };
}

function eval_(root: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return runCliCaptured(['eval', 'support.compare.yaml', ...args], { cwd: root, env });
}

/** The answers cached so far that finished (a torn last line after a kill is not one). */
function doneAnswers(outputDir: string): number {
  const file = join(outputDir, 'answers.jsonl');
  if (!existsSync(file)) return 0;
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => {
      try {
        return (JSON.parse(line) as { status?: string }).status === 'done';
      } catch {
        return false;
      }
    }).length;
}

describe('chatwright eval', () => {
  it('prints the Markdown summary with the recommendation and exits 0 without a threshold', async () => {
    const { root } = workspace('cli-eval-markdown');
    const run = await eval_(root, []);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /exact/);
    assert.match(run.stdout, /paraphrase/);
    assert.match(run.stdout, /\|/, 'a Markdown table of strategies');
    assert.match(run.stderr, /answering: 36\/36/, 'progress on stderr reaches the total');
  });

  it('prints the report as JSON with --json', async () => {
    const { root } = workspace('cli-eval-json');
    const run = await eval_(root, ['--json']);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as EvalReport;
    assert.equal(report.version, 1);
    assert.equal(report.recommendation.strategy, 'exact');
    assert.deepEqual(
      report.strategies.map((row) => row.name),
      ['exact', 'paraphrase', 'wrong'],
    );
  });

  it('exits 0 when a threshold holds and 1 when it does not, saying which strategy, metric, value and minimum', async () => {
    const { root } = workspace('cli-eval-threshold', { extra: 'threshold: { metric: token_f1, min: 0.5, strategy: wrong }\n' });
    const fromFile = await eval_(root, []);
    assert.equal(fromFile.code, 1, fromFile.stderr);
    assert.match(fromFile.stderr, /threshold NOT met: wrong token_f1 = [\d.]+ < 0\.5/);

    const holds = await eval_(root, ['--threshold', 'token_f1=0.9']);
    assert.equal(holds.code, 0, holds.stderr);
    assert.match(holds.stderr, /threshold met: exact \(recommended\) token_f1 = 1 ≥ 0\.9/);

    const fails = await eval_(root, ['--threshold', 'token_f1=0.99@paraphrase']);
    assert.equal(fails.code, 1);
    assert.match(fails.stderr, /paraphrase token_f1 = 0\.\d+ < 0\.99/);

    const bad = await eval_(root, ['--threshold', 'speed=3']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /'speed' is not a metric/);
  });

  it('runs and reports only the strategies named with --strategies', async () => {
    const { root } = workspace('cli-eval-subset');
    const before = server.requests.length;
    const run = await eval_(root, ['--strategies', 'exact,wrong', '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(
      (JSON.parse(run.stdout) as EvalReport).strategies.map((row) => row.name),
      ['exact', 'wrong'],
    );
    assert.equal(server.requests.length - before, knownQuestions.length * 2);
    const unknown = await eval_(root, ['--strategies', 'exact,nope']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no strategy named 'nope'/);
  });

  it('rebuilds the report with --report-only without contacting any server', async () => {
    const { root, file } = workspace('cli-eval-report-only');
    assert.equal((await eval_(root, [])).code, 0);
    // The endpoint now points nowhere: a report-only run must not need it.
    writeFileSync(file, readFileSync(file, 'utf8').replace(server.url, 'http://127.0.0.1:9/v1'));
    const before = server.requests.length;
    const run = await eval_(root, ['--report-only', '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(server.requests.length, before);
    assert.equal((JSON.parse(run.stdout) as EvalReport).recommendation.strategy, 'exact');
  });

  it('prints a comparison file’s problems located as file:line:col and exits 2', async () => {
    const { root } = workspace('cli-eval-problems', { strategies: `  - { name: exact, model: fast/exact, temperature: hot }` });
    const run = await eval_(root, []);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^support\.compare\.yaml:\d+:\d+: error: /m);
  });

  it('names the missing API key variable and exits 2 before contacting anything', async () => {
    const { root } = workspace('cli-eval-key', { apiKeyEnv: 'SUPPORT_EVAL_KEY' });
    const before = server.requests.length;
    const run = await eval_(root, []);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /SUPPORT_EVAL_KEY/);
    assert.equal(server.requests.length, before);
  });
});

describe('chatwright eval resumes after a kill', () => {
  let slow: ScriptedServer;
  before(async () => {
    slow = await startScriptedServer({ models: scriptedModels, delayMs: 100 });
  });
  after(async () => {
    await slow.close();
  });

  it('stops cleanly on Ctrl-C: the answers so far are kept, exit 130 with how to continue', { timeout: 120_000 }, async (t) => {
    const { root, file, outputDir } = workspace('cli-eval-sigint', { url: '' });
    writeFileSync(file, readFileSync(file, 'utf8').replace("url: ''", `url: '${slow.url}'`));
    const child = spawnCli(['eval', 'support.compare.yaml', '--concurrency', '1'], { cwd: root, env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' } });
    t.after(() => child.child.kill('SIGKILL'));
    await waitFor(() => (doneAnswers(outputDir) >= 2 ? true : undefined), 'two cached answers', 60_000);
    child.child.kill('SIGINT');
    assert.equal(await child.exited, 130, child.stderr());
    assert.match(child.stderr(), /continue with --resume/);
    assert.equal(readRunState(outputDir)?.state, 'cancelled');
    assert.ok(doneAnswers(outputDir) >= 2 && doneAnswers(outputDir) < knownQuestions.length * 3);
  });

  it('refuses to continue silently, resumes with --resume asking only what was not cached, and reruns only a changed strategy', { timeout: 120_000 }, async (t) => {
    const { root, file, outputDir } = workspace('cli-eval-kill', { url: '' });
    writeFileSync(file, readFileSync(file, 'utf8').replace("url: ''", `url: '${slow.url}'`));
    const total = knownQuestions.length * 3;
    const child = spawnCli(['eval', 'support.compare.yaml', '--concurrency', '1'], { cwd: root, env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' } });
    t.after(() => child.child.kill('SIGKILL'));
    await waitFor(() => (doneAnswers(outputDir) >= 4 ? true : undefined), 'four cached answers', 60_000);
    child.child.kill('SIGKILL');
    assert.equal(await child.exited, 'SIGKILL');
    // Whatever the killed run had sent has reached the server once its count stops changing.
    let settled = -1;
    await waitFor(
      () => {
        const now = slow.requests.length;
        const same = now === settled;
        settled = now;
        return same ? true : undefined;
      },
      'the server to see the last request of the killed run',
      10_000,
    );
    const cached = doneAnswers(outputDir);
    assert.ok(cached < total, 'the kill came before the end');

    const refused = await eval_(root, []);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /an earlier run stopped at \d+\/36 answers; continue it with --resume or start over with --fresh/);

    const before = slow.requests.length;
    const resumed = await eval_(root, ['--resume', '--json']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(slow.requests.length - before, total - cached, 'exactly the answers not cached were asked for');
    assert.equal(
      (JSON.parse(resumed.stdout) as EvalReport).strategies.every((row) => row.answered === knownQuestions.length),
      true,
    );

    // One strategy changed: only its answers are asked for again.
    writeFileSync(file, readFileSync(file, 'utf8').replace('{ name: wrong, model: fast/wrong }', '{ name: wrong, model: fast/wrong, max_tokens: 64 }'));
    const beforeChange = slow.requests.length;
    const rerun = await eval_(root, []);
    assert.equal(rerun.code, 0, rerun.stderr);
    const asked = slow.requests.slice(beforeChange);
    assert.equal(asked.length, knownQuestions.length);
    assert.ok(asked.every((request) => request.model === 'wrong'));
  });
});
