import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Passage } from '../../../src/core/chat/chatTypes';
import { normalizeSourcePath, retrievalHit, retrievalMrr, sourceMatcher } from '../../../src/core/eval/metrics/retrievalMatch';

const passage = (index: number, file: string): Passage => ({ index, file, startLine: 1, endLine: 5, headingPath: [], text: `text of ${file}`, score: 1 / index });

describe('source matching', () => {
  it('matches an exact workspace-relative path, whatever the separators and a leading ./', () => {
    const matches = sourceMatcher(['./docs/install.md'], true);
    assert.equal(matches('docs/install.md'), true);
    assert.equal(matches('docs\\install.md'), true);
    assert.equal(matches('docs/install.mdx'), false);
    assert.equal(matches('other/docs/install.md'), false);
    assert.equal(normalizeSourcePath('.\\docs//a.md'), 'docs/a.md');
  });

  it('matches every file under a folder that ends with /', () => {
    const matches = sourceMatcher(['docs/api/'], true);
    assert.equal(matches('docs/api/auth.md'), true);
    assert.equal(matches('docs/api/v2/keys.md'), true);
    assert.equal(matches('docs/apis.md'), false);
  });

  it('matches globs', () => {
    const matches = sourceMatcher(['guides/**/*.md', 'faq/{billing,refunds}.md'], true);
    assert.equal(matches('guides/setup/linux.md'), true);
    assert.equal(matches('guides/setup/linux.txt'), false);
    assert.equal(matches('faq/refunds.md'), true);
    assert.equal(matches('faq/shipping.md'), false);
  });

  it('is case-sensitive where paths are, and not where they are not', () => {
    assert.equal(sourceMatcher(['docs/README.md'], true)('docs/readme.md'), false);
    assert.equal(sourceMatcher(['docs/README.md'], false)('docs/readme.md'), true);
    assert.equal(sourceMatcher(['Docs/'], false)('docs/a.md'), true);
    assert.equal(sourceMatcher(['**/README.md'], false)('x/readme.md'), true);
  });
});

describe('retrieval hit and MRR', () => {
  const passages = [passage(1, 'docs/a.md'), passage(2, 'docs/b.md'), passage(3, 'docs/c.md'), passage(4, 'docs/c.md')];

  it('scores 1/rank of the first passage from an expected source', () => {
    // docs/c.md is retrieved third (and fourth): hit 1, MRR 1/3
    const matches = sourceMatcher(['docs/c.md'], true);
    assert.equal(retrievalHit(passages, matches), 1);
    assert.equal(retrievalMrr(passages, matches), 1 / 3);
    assert.equal(retrievalMrr(passages, sourceMatcher(['docs/b.md', 'docs/a.md'], true)), 1);
  });

  it('scores 0 when no passage, or no expected one, was retrieved', () => {
    const matches = sourceMatcher(['docs/z.md'], true);
    assert.equal(retrievalHit(passages, matches), 0);
    assert.equal(retrievalMrr(passages, matches), 0);
    assert.equal(retrievalHit([], matches), 0);
    assert.equal(retrievalMrr([], matches), 0);
  });
});
