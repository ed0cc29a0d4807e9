import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultSourceOptions, scanSources, SourceFilter, type SourceOptions } from '../../../src/core/rag/sources';
import { scratchDir } from '../../support/scratchDir';

const created: string[] = [];
after(() => {
  for (const root of created) rmSync(root, { recursive: true, force: true });
});

/** A folder with its own README.md, a nested one, and other documents. */
function workspaceWithReadmes(): string {
  const root = scratchDir('source-globs');
  created.push(root);
  const files: Record<string, string> = { 'README.md': '# Project', 'docs/README.md': '# Docs', 'docs/guide.md': '# Guide', 'notes.txt': 'n' };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

function scanned(options: Partial<SourceOptions>): string[] {
  return scanSources(workspaceWithReadmes(), { ...defaultSourceOptions, ...options }).files.map((file) => file.path);
}

describe("the workspace's own README.md follows the include and exclude globs like any other file", () => {
  it('is indexed by the default globs, which take every Markdown file', () => {
    assert.deepEqual(scanned({}), ['README.md', 'docs/README.md', 'docs/guide.md', 'notes.txt']);
  });

  it('is left out when the include globs do not match it', () => {
    assert.deepEqual(scanned({ include: ['docs/**'] }), ['docs/README.md', 'docs/guide.md']);
    assert.deepEqual(scanned({ include: ['**/*.txt'] }), ['notes.txt']);
  });

  it('is indexed alone when an include glob names it, in any case', () => {
    assert.deepEqual(scanned({ include: ['README.md'] }), ['README.md']);
    assert.deepEqual(scanned({ include: ['readme.md'] }), ['README.md']);
  });

  it('is removed by an exclude glob written in another case, as include globs already match', () => {
    assert.deepEqual(scanned({ exclude: [...defaultSourceOptions.exclude, 'readme.md'] }), ['docs/README.md', 'docs/guide.md', 'notes.txt']);
    assert.deepEqual(scanned({ exclude: [...defaultSourceOptions.exclude, 'README.md'] }), ['docs/README.md', 'docs/guide.md', 'notes.txt']);
  });

  it('is removed everywhere by **/README.md, and only at the root by a root-anchored glob', () => {
    assert.deepEqual(scanned({ exclude: [...defaultSourceOptions.exclude, '**/README.md'] }), ['docs/guide.md', 'notes.txt']);
    assert.deepEqual(scanned({ exclude: [...defaultSourceOptions.exclude, '/README.md'] }), ['docs/README.md', 'docs/guide.md', 'notes.txt']);
    assert.deepEqual(scanned({ exclude: [...defaultSourceOptions.exclude, './README.md'] }), ['docs/README.md', 'docs/guide.md', 'notes.txt']);
  });

  it('reads "/" and "./" at the start of an include glob as the folder itself', () => {
    assert.deepEqual(scanned({ include: ['/README.md'] }), ['README.md']);
    assert.deepEqual(scanned({ include: ['./docs/*.md'] }), ['docs/README.md', 'docs/guide.md']);
  });

  it('gets the same answer from the filter the file watcher uses', () => {
    const filter = new SourceFilter({ ...defaultSourceOptions, include: ['docs/**'], exclude: ['readme.md'] });
    assert.equal(filter.matches('README.md'), false, 'not included');
    assert.equal(filter.matches('docs/README.md'), true);
    const excluding = new SourceFilter({ ...defaultSourceOptions, exclude: ['/readme.md'] });
    assert.equal(excluding.matches('README.md'), false);
    assert.equal(excluding.matches('docs/README.md'), true);
  });
});
