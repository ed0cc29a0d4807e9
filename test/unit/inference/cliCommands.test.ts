import * as assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { scratchDir } from '../../support/scratchDir';
import { decoderModel, encoderModel } from '../../support/testModels';
import { runCliCaptured, type CapturedCliRun } from '../../support/cli';

function cli(args: string[], stdinText = '', env: NodeJS.ProcessEnv = {}): Promise<CapturedCliRun> {
  return runCliCaptured(args, { stdin: stdinText, env });
}

describe('chatwright run', () => {
  const scripted = decoderModel({ script: 'Bonjour, ça va? 🙂' });

  it('streams the answer to stdout and the stats to stderr', async () => {
    const result = await cli(['run', '--model', scripted.dir, '--temperature', '0', 'Say hello']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'Bonjour, ça va? 🙂\n');
    assert.match(result.stderr, /^\d+ prompt tokens, \d+ generated \(eos\); first token after \d+ ms, [\d.]+ tokens\/s on CPU\n$/);
  });

  it('reads the prompt from stdin, honours stop strings and prints JSON', async () => {
    const result = await cli(['run', '-m', scripted.dir, '--json', '--stop', 'a va', '--system', 'Be brief.'], 'Say hello\n');
    assert.equal(result.code, 0, result.stderr);
    const parsed = JSON.parse(result.stdout) as { text: string; stats: { finishReason: string } };
    assert.equal(parsed.text, 'Bonjour, ç');
    assert.equal(parsed.stats.finishReason, 'stop');
  });

  it('finds a model by Hub id in the Hugging Face cache', async () => {
    const cache = scratchDir('hub');
    const repo = join(cache, 'models--test-org--tiny-chat');
    mkdirSync(join(repo, 'refs'), { recursive: true });
    mkdirSync(join(repo, 'snapshots'), { recursive: true });
    writeFileSync(join(repo, 'refs', 'main'), `${'abc123'.padEnd(40, '0')}\n`);
    symlinkSync(scripted.dir, join(repo, 'snapshots', 'abc123'.padEnd(40, '0')));
    const result = await cli(['run', '-m', 'test-org/tiny-chat', '--max-tokens', '2', 'hi'], '', { HF_HUB_CACHE: cache });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /2 generated \(length\)/);
  });

  it('rejects bad options and unknown models with exit code 2', async () => {
    assert.match((await cli(['run', 'hi'])).stderr, /--model is required/);
    assert.match((await cli(['run', '-m', scripted.dir, '--temperature', 'hot', 'hi'])).stderr, /--temperature must be a number/);
    const missing = await cli(['run', '-m', 'no-org/no-model', 'hi']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /model 'no-org\/no-model' not found/);
  });
});

describe('chatwright embed', () => {
  const encoder = encoderModel();

  it('writes one JSON vector per input line, in order', async () => {
    const result = await cli(['embed', '--model', encoder, '--batch', '2'], 'first line\nsecond line\n\nfourth\n');
    assert.equal(result.code, 0, result.stderr);
    const vectors = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as number[]);
    assert.equal(vectors.length, 4);
    for (const vector of vectors) {
      assert.equal(vector.length, 32);
      assert.ok(Math.abs(Math.hypot(...vector) - 1) < 1e-4);
    }
    const single = await cli(['embed', '--model', encoder], 'second line\n');
    assert.deepEqual(JSON.parse(single.stdout) as number[], vectors[1]);
    assert.match(result.stderr, /4 text\(s\) embedded .* \(32 dimensions, CPU\)/);
  });

  it('rejects an unknown role', async () => {
    const result = await cli(['embed', '--model', encoder, '--role', 'answer'], 'x\n');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--role must be document or query/);
  });
});
