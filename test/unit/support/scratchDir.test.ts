import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const userOfScratchDirs = join(__dirname, '..', '..', 'support', 'children', 'scratchDirUser.ts');

describe('scratchDir', () => {
  it('leaves nothing in the temp folder: not from hooks, subtests or the file level, and not when a test fails', (t) => {
    // Not scratchDir itself: this folder stands in for the temp directory that the child's folders must leave empty.
    const isolatedTemp = mkdtempSync(join(tmpdir(), 'chatwright-scratch-check-'));
    t.after(() => rmSync(isolatedTemp, { recursive: true, force: true }));
    // Without NODE_TEST_CONTEXT, which this runner sets: the child runs as a test run of its own, with its own exit code.
    const { NODE_TEST_CONTEXT: _runnerContext, ...environment } = process.env;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', userOfScratchDirs], {
      env: { ...environment, TMPDIR: isolatedTemp },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(run.status, 1, `the deliberate failure fails the child run:\n${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /# pass 3\n# fail 1\n/, run.stdout);
    // tsx keeps its compile cache there too (tsx-<uid>); only the tests' own folders count.
    assert.deepEqual(
      readdirSync(isolatedTemp).filter((name) => /^(chatwright|cw)-/.test(name)),
      [],
    );
  });
});
