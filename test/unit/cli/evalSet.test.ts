import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readEvalSet } from '../../../src/core/eval/evalSet';
import { runCliCaptured } from '../../support/cli';
import { scratchDir } from '../../support/scratchDir';

const chat = (i: number): string =>
  JSON.stringify({
    messages: [
      { role: 'user', content: `question ${i}` },
      { role: 'assistant', content: `answer ${i}` },
    ],
  });

function dataset(t: Parameters<typeof scratchDir>[1], rows = 20): { dir: string; text: string } {
  const dir = scratchDir('cli-evalset', t);
  const text = Array.from({ length: rows }, (_, i) => chat(i)).join('\n') + '\n';
  writeFileSync(join(dir, 'train.jsonl'), text);
  return { dir, text };
}

describe('chatwright eval-set', () => {
  it('writes <name>.eval.jsonl and <name>.heldout-train.jsonl beside the dataset and says to train on the rest', async (t) => {
    const { dir, text } = dataset(t);
    const result = await runCliCaptured(['eval-set', 'train.jsonl', '--count', '5'], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    const evalSet = readEvalSet(join(dir, 'train.eval.jsonl'));
    assert.deepEqual(evalSet.problems, []);
    assert.deepEqual(
      evalSet.questions.map((q) => q.id),
      [16, 17, 18, 19, 20].map((line) => `train.jsonl:${line}`),
    );
    assert.equal(readFileSync(join(dir, 'train.heldout-train.jsonl'), 'utf8'), text.split('\n').slice(0, 15).join('\n') + '\n');
    assert.match(result.stdout, /Wrote 5 eval row\(s\) to train\.eval\.jsonl and the other 15 row\(s\) to train\.heldout-train\.jsonl/);
    assert.match(result.stdout, /Train on train\.heldout-train\.jsonl, not on train\.jsonl/);
  });

  it('takes a seeded random fraction into the files named by --out and --rest', async (t) => {
    const { dir } = dataset(t, 40);
    const run = (suffix: string): Promise<{ code: number }> =>
      runCliCaptured(['eval-set', 'train.jsonl', '--fraction', '0.25', '--random', '--seed', '3', '--out', `e${suffix}.jsonl`, '--rest', `r${suffix}.jsonl`], { cwd: dir });
    assert.equal((await run('1')).code, 0);
    assert.equal((await run('2')).code, 0);
    const first = readFileSync(join(dir, 'e1.jsonl'), 'utf8');
    assert.equal(first.trim().split('\n').length, 10);
    assert.equal(readFileSync(join(dir, 'e2.jsonl'), 'utf8'), first);
    assert.equal(readFileSync(join(dir, 'r1.jsonl'), 'utf8').trim().split('\n').length, 30);
  });

  it('never overwrites an existing file: exits 2 and writes nothing', async (t) => {
    const { dir } = dataset(t);
    writeFileSync(join(dir, 'train.heldout-train.jsonl'), 'mine\n');
    const result = await runCliCaptured(['eval-set', 'train.jsonl', '--count', '5'], { cwd: dir });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /train\.heldout-train\.jsonl already exists; not overwriting it/);
    assert.equal(readFileSync(join(dir, 'train.heldout-train.jsonl'), 'utf8'), 'mine\n');
    assert.equal(existsSync(join(dir, 'train.eval.jsonl')), false);
  });

  it('exits 2 on a bad size, a missing dataset, or a slice that leaves nothing to train on', async (t) => {
    const { dir } = dataset(t, 3);
    for (const args of [[], ['--count', '2', '--fraction', '0.1'], ['--count', '0'], ['--fraction', '1'], ['--count', '1', '--seed', '2']]) {
      const result = await runCliCaptured(['eval-set', 'train.jsonl', ...args], { cwd: dir });
      assert.equal(result.code, 2, args.join(' '));
    }
    const missing = await runCliCaptured(['eval-set', 'nope.jsonl', '--count', '1'], { cwd: dir });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /does not exist/);
    const all = await runCliCaptured(['eval-set', 'train.jsonl', '--count', '3'], { cwd: dir });
    assert.equal(all.code, 2);
    assert.match(all.stderr, /would leave none to train on/);
    assert.equal(existsSync(join(dir, 'train.eval.jsonl')), false);
  });
});
