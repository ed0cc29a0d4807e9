import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { documentChurn } from '../../../src/core/eval/docChurn';
import { scratchDir } from '../../support/scratchDir';

const day = 86_400;
const now = 1_760_000_000; // seconds

function git(root: string, args: string[], at?: number): void {
  const date = at !== undefined ? { GIT_AUTHOR_DATE: `@${at} +0000`, GIT_COMMITTER_DATE: `@${at} +0000` } : {};
  execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: root, env: { ...process.env, ...date }, stdio: 'pipe' });
}

function commit(root: string, files: Record<string, string>, at: number): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  git(root, ['add', '-A']);
  git(root, ['commit', '-q', '-m', `change at ${at}`], at);
}

function repository(name: string, t: Parameters<typeof scratchDir>[1]): string {
  const root = scratchDir(name, t);
  git(root, ['init', '-q']);
  return root;
}

describe('documentChurn', () => {
  it('counts the tracked documents, the commits and files changed in the last 90 days, and the last change', async (t) => {
    const root = repository('churn', t);
    commit(root, { 'docs/a.md': '1', 'docs/b.md': '1', 'docs/guide/c.md': '1', 'src/app.ts': '1' }, now - 400 * day);
    commit(root, { 'docs/a.md': '2' }, now - 100 * day);
    commit(root, { 'docs/a.md': '3', 'src/app.ts': '2' }, now - 30 * day);
    commit(root, { 'docs/guide/c.md': '2' }, now - 5 * day);
    commit(root, { 'src/app.ts': '3' }, now - 1 * day);
    const churn = await documentChurn(root, ['docs/**/*.md'], now * 1000);
    assert.deepEqual(churn, { files: 3, commitsLast90Days: 2, filesChangedLast90Days: 2, lastChange: (now - 5 * day) * 1000 });
  });

  it('measures the window from the given time, not from today', async (t) => {
    const root = repository('churn', t);
    commit(root, { 'docs/a.md': '1' }, now - 200 * day);
    commit(root, { 'docs/a.md': '2' }, now - 150 * day);
    const then = (now - 120 * day) * 1000;
    assert.deepEqual(await documentChurn(root, ['docs/*.md'], then), { files: 1, commitsLast90Days: 2, filesChangedLast90Days: 1, lastChange: (now - 150 * day) * 1000 });
    assert.deepEqual(await documentChurn(root, ['docs/*.md'], now * 1000), { files: 1, commitsLast90Days: 0, filesChangedLast90Days: 0, lastChange: (now - 150 * day) * 1000 });
  });

  it('reads file names with spaces and quotes, one per file', async (t) => {
    const root = repository('churn', t);
    commit(root, { 'docs/release notes.md': '1', 'docs/"quoted".md': '1' }, now - 3 * day);
    const churn = await documentChurn(root, ['docs/*.md'], now * 1000);
    assert.equal(churn?.files, 2);
    assert.equal(churn?.filesChangedLast90Days, 2);
  });

  it('is undefined outside a repository, for untracked documents, and without globs', async (t) => {
    const plain = scratchDir('churn-plain', t);
    writeFileSync(join(plain, 'a.md'), 'x');
    assert.equal(await documentChurn(plain, ['*.md'], now * 1000), undefined);
    const root = repository('churn', t);
    commit(root, { 'src/app.ts': '1' }, now - day);
    writeFileSync(join(root, 'notes.md'), 'untracked');
    assert.equal(await documentChurn(root, ['*.md'], now * 1000), undefined);
    assert.equal(await documentChurn(root, [], now * 1000), undefined);
    assert.equal(await documentChurn(join(root, 'missing-folder'), ['*.md'], now * 1000), undefined);
  });
});
