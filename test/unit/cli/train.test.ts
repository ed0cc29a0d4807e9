import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isProcessAlive } from '../../../src/core/process/processGroup';
import { readRunRecord } from '../../../src/core/jobs/runFolder';
import { runCliCaptured, spawnCli } from '../../support/cli';
import { jobWorkspace, standinEnv, trainingModelFolder } from '../../support/jobWorkspace';
import { scratchDir } from '../../support/scratchDir';

function onlyRun(runsDir: string): string {
  const runs = readdirSync(runsDir);
  assert.equal(runs.length, 1, `one run folder expected, found ${runs.join(', ')}`);
  return join(runsDir, runs[0]!);
}

describe('chatwright train', () => {
  it('trains to done, printing plain lines when not on a terminal, and leaves a complete run folder', { timeout: 120_000 }, async (t) => {
    const workspace = jobWorkspace(t);
    const result = await runCliCaptured(['train', 'persona.job.yaml'], { cwd: workspace.dir, env: standinEnv(6, 0.01) });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Workspace: .* \(holds \.git\)$/m);
    assert.match(result.stdout, /^phase training/m);
    assert.match(result.stdout, /^step 6\/6 {2}loss \d/m, 'the last step is printed even when throttled');
    assert.match(result.stdout, /^Done in .*: 6 step\(s\), final loss \d/m);
    assert.ok(!result.stdout.includes('\r') && !result.stdout.includes('\u001b['), 'no bar or escape codes in plain output');
    const runDir = onlyRun(workspace.runsDir);
    assert.match(result.stdout, new RegExp(`^Run folder: ${runDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    for (const file of ['config.json', 'events.jsonl', 'run.json', 'job.yaml', join('adapter', 'adapter_config.json')]) assert.ok(existsSync(join(runDir, file)), `${file} in the run folder`);
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as { data: { train: string } };
    assert.equal(config.data.train, join(workspace.dir, 'persona-train.jsonl'));
  });

  it('prints the trainer’s events as JSON lines, exactly as written to events.jsonl, with --json', { timeout: 120_000 }, async (t) => {
    const workspace = jobWorkspace(t);
    const result = await runCliCaptured(['train', '--json', 'persona.job.yaml'], { cwd: workspace.dir, env: standinEnv(4, 0.01) });
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    const events = lines.map((line) => JSON.parse(line) as { v: number; seq: number; event: string; phase?: string });
    assert.ok(events.every((event) => event.v === 1 && Number.isInteger(event.seq)));
    assert.deepEqual(
      events.map((event) => event.seq),
      events.map((_, index) => index + 1),
    );
    assert.equal(events.filter((event) => event.event === 'step').length, 4);
    assert.deepEqual(events.at(-1), { ...events.at(-1), event: 'phase', phase: 'done' });
    const written = readFileSync(join(onlyRun(workspace.runsDir), 'events.jsonl'), 'utf8')
      .trimEnd()
      .split('\n');
    assert.deepEqual(lines, written);
    assert.match(result.stderr, /^Run folder: /m, 'messages for people go to stderr');
  });

  it('locates a problem in the job file as file:line:col: field: message and exits 2 without a run', { timeout: 120_000 }, async (t) => {
    const workspace = jobWorkspace(t, 'training:\n  learning_rat: 0.001\n');
    const result = await runCliCaptured(['train', 'persona.job.yaml'], { cwd: workspace.dir, env: standinEnv(2, 0.01) });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^persona\.job\.yaml:6:3: training\.learning_rat: .*learning_rate/m);
    assert.equal(existsSync(workspace.runsDir), false);
  });

  it('refuses a dataset with no assistant turn at preflight (loss-mask-empty), exits 2 and creates no run folder', { timeout: 120_000 }, async (t) => {
    const workspace = jobWorkspace(t, '  eval: null\n');
    const rows = Array.from({ length: 12 }, (_, index) => JSON.stringify({ messages: [{ role: 'user', content: `question ${index}?` }] }));
    writeFileSync(join(workspace.dir, 'persona-train.jsonl'), `${rows.join('\n')}\n`);
    const result = await runCliCaptured(['train', 'persona.job.yaml'], { cwd: workspace.dir, env: standinEnv(2, 0.01) });
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.match(result.stdout, /^error loss-mask-empty: /m);
    assert.match(result.stdout, /^error loss-mask-empty: .*\n {2}→ \S/m, 'the action follows the finding');
    assert.match(result.stderr, /preflight refused the job/);
    assert.equal(existsSync(join(workspace.dir, '.chatwright')), false);
  });

  it('runs only the checks with --preflight-only', { timeout: 120_000 }, async (t) => {
    const workspace = jobWorkspace(t);
    const result = await runCliCaptured(['train', '--preflight-only', 'persona.job.yaml'], { cwd: workspace.dir, env: standinEnv(2, 0.01) });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^warning train-eval-overlap: /m);
    assert.match(result.stdout, /^Preflight: 0 error\(s\), \d+ warning\(s\); 52 row\(s\)/m);
    assert.equal(existsSync(join(workspace.dir, '.chatwright')), false);
  });

  it('reads a Hub id in model.path from its snapshot in the Hugging Face cache, and names the download when it is not there', { timeout: 120_000 }, async (t) => {
    const workspace = jobWorkspace(t);
    writeFileSync(workspace.jobFile, 'model:\n  path: chatwright-test/tiny-trainable\ndata:\n  train: persona-train.jsonl\n');
    const cache = scratchDir('train-hub-cache', t);
    const commit = 'a'.repeat(40);
    const snapshot = join(cache, 'models--chatwright-test--tiny-trainable', 'snapshots', commit);
    mkdirSync(snapshot, { recursive: true });
    mkdirSync(join(cache, 'models--chatwright-test--tiny-trainable', 'refs'));
    writeFileSync(join(cache, 'models--chatwright-test--tiny-trainable', 'refs', 'main'), commit);
    for (const name of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(trainingModelFolder(), name), join(snapshot, name));

    const cached = await runCliCaptured(['train', '--preflight-only', 'persona.job.yaml'], { cwd: workspace.dir, env: standinEnv(2, 0.01, { HF_HUB_CACHE: cache }) });
    assert.equal(cached.code, 0, cached.stdout + cached.stderr);
    assert.match(cached.stdout, /^Preflight: 0 error\(s\), \d+ warning\(s\); 52 row\(s\), \d+ token\(s\) in 52 checked row\(s\)/m);

    const empty = scratchDir('train-hub-cache-empty', t);
    const missing = await runCliCaptured(['train', '--preflight-only', 'persona.job.yaml'], { cwd: workspace.dir, env: standinEnv(2, 0.01, { HF_HUB_CACHE: empty }) });
    assert.equal(missing.code, 2, missing.stdout + missing.stderr);
    assert.match(missing.stdout, /^error model-unreadable: chatwright-test\/tiny-trainable is a Hugging Face Hub id that is not in the local Hugging Face cache/m);
    assert.match(missing.stdout, /^ {2}→ .*chatwright models download chatwright-test\/tiny-trainable --runtime python/m);
    assert.match(missing.stdout, /^Preflight: 1 error\(s\), \d+ warning\(s\); 52 row\(s\), not tokenized/m, 'no token counts of zero for rows that were never tokenized');
  });

  it('stops and saves on Ctrl-C (SIGINT to the CLI), waits for the trainer and exits 3 with a checkpoint', { timeout: 120_000 }, async (t) => {
    const workspace = jobWorkspace(t);
    const cli = spawnCli(['train', 'persona.job.yaml'], { cwd: workspace.dir, env: standinEnv(2000, 0.05) });
    t.after(() => cli.child.kill('SIGKILL'));
    await cli.waitForOutput(/^step \d+\/2000/m);
    cli.child.kill('SIGINT');
    assert.equal(await cli.exited, 3, cli.stderr());
    assert.match(cli.stdout(), /^Stopping: /m);
    assert.match(cli.stdout(), /^checkpoint at step \d+ \(stop\): /m);
    assert.match(cli.stdout(), /^Stopped at step \d+.*; checkpoint: /m);
    const runDir = onlyRun(workspace.runsDir);
    assert.ok(readdirSync(join(runDir, 'checkpoints')).some((name) => /^checkpoint-\d+$/.test(name)));
    const pid = readRunRecord(runDir)?.pid;
    assert.ok(pid !== undefined && !isProcessAlive(pid), 'the trainer has ended');
  });

  it('reports the real trainer’s missing packages with the install command and exits 1', { timeout: 120_000 }, async (t) => {
    const workspace = jobWorkspace(t);
    const env = { ...process.env };
    delete env.CHATWRIGHT_TRAINER_SCRIPT;
    const result = await runCliCaptured(['train', '--python', 'python3', 'persona.job.yaml'], { cwd: workspace.dir, env });
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stderr, /^Failed: PACKAGES_MISSING: /m);
    assert.match(result.stderr, /^ {2}Install: .*pip install .*torch/m);
    assert.match(result.stdout, /^phase failed: PACKAGES_MISSING/m);
  });
});
