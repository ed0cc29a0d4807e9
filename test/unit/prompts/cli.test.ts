import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fixtures, qwen3ModelFolder, realPrompty, realPromptyFiles } from '../../support/promptFixtures';
import { runCliCaptured, type CapturedCliRun } from '../../support/cli';
import { scratchDir } from '../../support/scratchDir';

function cli(args: string[], cwd = process.cwd(), env: NodeJS.ProcessEnv = {}): Promise<CapturedCliRun> {
  return runCliCaptured(args, { cwd, env });
}

describe('chatwright validate <file.prompty>', () => {
  it('passes every real Prompty file (exit 0, warnings allowed)', async () => {
    const result = await cli(['validate', ...realPromptyFiles()], realPrompty, { HF_HUB_CACHE: '/nonexistent' });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.doesNotMatch(result.stdout, /: error /);
    assert.match(result.stderr, /15 file\(s\) checked: 0 error\(s\)/);
  });
  it('prints file:line:col findings and exits 1 on errors', async () => {
    const result = await cli(['validate', 'broken.prompty'], fixtures);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^broken\.prompty:6:18: error schema-type `model\.parameters\.temperature` must be a number/m);
    assert.match(result.stdout, /^broken\.prompty:16:1: error jinja-unclosed-block/m);
    assert.match(result.stderr, /broken\.prompty: prompt template \(jinja2/);
  });
  it('writes JSON with --json', async () => {
    const result = await cli(['validate', '--json', 'broken.prompty'], fixtures);
    const report = JSON.parse(result.stdout) as { findings: { code: string; line: number }[] };
    assert.ok(report.findings.some((finding) => finding.code === 'unknown-role' && finding.line === 19));
  });
});

describe('chatwright render', () => {
  const basic = join(realPrompty, 'microsoft__prompty_v1/runtime/prompty/tests/prompts/basic.prompty');
  it('prints the messages when no model is known', async () => {
    const result = await cli(['render', basic], realPrompty);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^system:\nYou are an AI assistant/);
    assert.match(result.stdout, /\nuser:\nWhat is the meaning of life\?\n/);
  });
  it('sets inputs with --input and prints the prompt string for --model', async () => {
    const model = qwen3ModelFolder();
    const result = await cli(['render', basic, '--input', 'question=Why is the sky blue?', '--input', 'firstName=Ada', '--model', model], realPrompty);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^<\|im_start\|>system\n/);
    assert.match(result.stdout, /You are helping Ada Doe/);
    assert.match(result.stdout, /<\|im_start\|>user\nWhy is the sky blue\?<\|im_end\|>\n<\|im_start\|>assistant\n$/);
    assert.match(result.stderr, /\d+ tokens of a 40960-token context window/);
  });
  it('prints JSON with --output json, few-shot examples included', async () => {
    const result = await cli(['render', 'support.prompty', '--output', 'json'], fixtures);
    const rendered = JSON.parse(result.stdout) as { messages: { source: string }[] };
    assert.equal(rendered.messages.filter((m) => m.source === 'example').length, 4);
  });
  it('stops a runaway template with an error (exit 1)', async () => {
    const folder = scratchDir('cli');
    writeFileSync(join(folder, 'loop.prompty'), '{% for i in range(1000000) %}{% for j in range(1000000) %}{{ j }}{% endfor %}{% endfor %}');
    const result = await cli(['render', 'loop.prompty', '--timeout', '500'], folder);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /cannot render: (Rendering stopped|The template used too much memory)/);
  });
  it('prints «env:NAME» for a `${env:…}` model id, and its value with --show-env', async () => {
    const folder = scratchDir('cli-env');
    try {
      writeFileSync(join(folder, 't.prompty'), '---\nmodel:\n  id: ${env:SECRET_MODEL}\n---\nuser:\nhello\n');
      const env = { HF_HUB_CACHE: folder, SECRET_MODEL: 'acme/s3cr3t-model' };
      const hidden = await cli(['render', 't.prompty', '--output', 'json'], folder, env);
      assert.equal(hidden.code, 0, hidden.stderr);
      assert.doesNotMatch(hidden.stdout + hidden.stderr, /s3cr3t/);
      assert.match(hidden.stdout, /"id": "«env:SECRET_MODEL»"/);
      assert.match(hidden.stderr, /read from the environment: SECRET_MODEL/);
      const shown = await cli(['render', 't.prompty', '--output', 'json', '--show-env'], folder, env);
      assert.match(shown.stdout, /"id": "acme\/s3cr3t-model"/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
  it('rejects a malformed --input', async () => {
    const result = await cli(['render', basic, '--input', 'novalue'], realPrompty);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /name=value/);
  });
});
