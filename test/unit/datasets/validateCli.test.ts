import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCliCaptured, type CapturedCliRun } from '../../support/cli';

const fixtures = join(__dirname, '..', '..', 'fixtures', 'datasets');

function cli(args: string[]): Promise<CapturedCliRun> {
  return runCliCaptured(['validate', ...args], { cwd: fixtures });
}

describe('chatwright validate', () => {
  it('exits 0 when there are only warnings, and prints them as file:line:col: severity code message', async () => {
    const result = await cli(['duplicate-row.jsonl']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^duplicate-row\.jsonl:6:1: warning duplicate-row This row repeats line 3 exactly/m);
    assert.match(result.stderr, /duplicate-row\.jsonl: 11 lines \(11 messages\): 0 error\(s\), 1 warning\(s\)/);
  });

  it('exits 1 on an error and points at the value', async () => {
    const result = await cli(['unrecognized-role.jsonl']);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^unrecognized-role\.jsonl:3:24: error unrecognized-role Message 1 has the role "human"/m);
  });

  it('checks rows as --format says', async () => {
    const result = await cli(['--format', 'messages', 'format-mismatch.jsonl']);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /format-mismatch\.jsonl:3:1: error format-mismatch /);
  });

  it('counts tokens with --max-tokens and warns over it', async () => {
    const result = await cli(['--max-tokens', '100', '--json', 'too-many-tokens.jsonl']);
    const parsed = JSON.parse(result.stdout) as { findings: { code: string; line: number }[]; files: { stats: { tokens: { rows: number; max: number; counter: string } } }[] };
    assert.deepEqual(
      parsed.findings.map((f) => [f.code, f.line]),
      [['too-many-tokens', 3]],
    );
    const tokens = parsed.files[0]!.stats.tokens;
    assert.equal(tokens.rows, 11);
    assert.ok(tokens.max > 300 && tokens.max < 340, `max ${tokens.max}`);
    assert.match(tokens.counter, /Qwen3/);
  });

  it('compares with a sibling split', async () => {
    const result = await cli(['split-overlap/valid.jsonl']);
    assert.match(result.stdout, /split-overlap\/valid\.jsonl:10:1: warning split-overlap This row is also in train\.jsonl \(line 6\)/);
    assert.doesNotMatch((await cli(['--no-splits', 'split-overlap/valid.jsonl'])).stdout, /split-overlap /);
  });

  it('exits 2 on a bad option value or an unreadable tokenizer', async () => {
    assert.equal((await cli(['--format', 'csv', 'bom.jsonl'])).code, 2);
    assert.equal((await cli(['--max-tokens', 'lots', 'bom.jsonl'])).code, 2);
    const missing = await cli(['--tokenizer', 'nowhere/tokenizer.json', 'bom.jsonl']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Cannot load the tokenizer/);
  });

  it('names the byte offset of invalid UTF-8', async () => {
    const result = await cli(['invalid-utf8.jsonl']);
    assert.match(result.stdout, /invalid-utf8\.jsonl:3:\d+: error invalid-utf8 Invalid UTF-8 at byte offset \d+ \(byte 0xe9\)/);
  });
});
