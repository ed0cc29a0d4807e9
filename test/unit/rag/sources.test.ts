import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodeSourceText, defaultSourceOptions, scanSources, SourceFilter } from '../../../src/core/rag/sources';
import { scratchDir } from '../../support/scratchDir';

function workspace(files: Record<string, string | Buffer>): string {
  const root = scratchDir('sources');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

describe('source discovery', () => {
  it('includes the default document formats and not code', () => {
    const root = workspace({ 'a.md': '# A', 'b.mdx': 'x', 'c.txt': 'x', 'd.rst': 'x', 'e.adoc': 'x', 'f.html': 'x', 'g.pdf': 'x', 'h.ts': 'x', 'i.png': 'x' });
    const paths = scanSources(root).files.map((file) => file.path);
    assert.deepEqual(paths, ['a.md', 'b.mdx', 'c.txt', 'd.rst', 'e.adoc', 'f.html', 'g.pdf']);
  });

  it('honours .gitignore at any depth, with negation', () => {
    const root = workspace({
      '.gitignore': 'drafts/\n*.tmp.md\n',
      'drafts/x.md': 'x',
      'docs/.gitignore': 'private.md\n!keep.tmp.md\n',
      'docs/private.md': 'x',
      'docs/public.md': 'x',
      'docs/keep.tmp.md': 'x',
      'other.tmp.md': 'x',
    });
    const paths = scanSources(root).files.map((file) => file.path);
    assert.deepEqual(paths, ['docs/keep.tmp.md', 'docs/public.md']);
  });

  it('honours .chatwrightignore even when .gitignore is turned off', () => {
    const root = workspace({ '.gitignore': 'a.md\n', '.chatwrightignore': 'b.md\n', 'a.md': 'x', 'b.md': 'x', 'c.md': 'x' });
    const paths = scanSources(root, { ...defaultSourceOptions, respectGitignore: false }).files.map((file) => file.path);
    assert.deepEqual(paths, ['a.md', 'c.md']);
  });

  it('applies exclude globs (files.exclude) and never enters node_modules', () => {
    const root = workspace({ 'node_modules/pkg/README.md': 'x', 'generated/api.md': 'x', 'guide.md': 'x' });
    const paths = scanSources(root, { ...defaultSourceOptions, exclude: [...defaultSourceOptions.exclude, 'generated/**'] }).files.map((file) => file.path);
    assert.deepEqual(paths, ['guide.md']);
  });

  it('skips files over the size cap with the reason', () => {
    const root = workspace({ 'big.md': 'x'.repeat(5000), 'small.md': 'x' });
    const scan = scanSources(root, { ...defaultSourceOptions, maxFileBytes: 1000 });
    assert.deepEqual(
      scan.files.map((file) => file.path),
      ['small.md'],
    );
    assert.equal(scan.skipped[0]?.path, 'big.md');
    assert.match(scan.skipped[0]?.reason ?? '', /too large: 4\.9 KiB \(limit 1000 B\)/);
  });

  it('follows symlinks inside the workspace but never out of it', () => {
    const outside = workspace({ 'secret.md': 'x', 'dir/secret2.md': 'x' });
    const root = workspace({ 'real/doc.md': 'x' });
    symlinkSync(join(outside, 'secret.md'), join(root, 'leak.md'));
    symlinkSync(join(outside, 'dir'), join(root, 'leakdir'));
    symlinkSync(join(root, 'real'), join(root, 'alias'));
    symlinkSync(root, join(root, 'real', 'loop'));
    const scan = scanSources(root);
    assert.ok(scan.files.every((file) => file.path.endsWith('/doc.md')));
    assert.ok(!scan.files.some((file) => file.path.includes('secret')));
    assert.equal(scan.files.length, 1, 'the real folder is visited once, whichever name reaches it first');
    assert.deepEqual(scan.skipped.map((entry) => entry.path).sort(), ['leak.md', 'leakdir']);
    assert.match(scan.skipped.find((entry) => entry.path === 'leak.md')?.reason ?? '', /outside the workspace/);
  });

  it('the filter used by the watcher agrees with the scan', () => {
    const root = workspace({ '.gitignore': 'out/\n', '.chatwrightignore': 'notes/*.txt\n', 'notes/a.txt': 'x' });
    const filter = new SourceFilter(defaultSourceOptions);
    assert.equal(filter.matches('docs/a.md'), true);
    assert.equal(filter.matches('node_modules/a/README.md'), false);
    assert.equal(filter.isIgnored(root, 'out/a.md'), true);
    assert.equal(filter.isIgnored(root, 'notes/a.txt'), true);
    assert.equal(filter.isIgnored(root, 'docs/a.md'), false);
  });
});

describe('content checks', () => {
  it('rejects binary content', () => {
    const result = decodeSourceText(Buffer.from([0x23, 0x20, 0x00, 0x01]), 'markdown');
    assert.deepEqual(result, { ok: false, reason: 'binary file (contains NUL bytes)' });
  });

  it('rejects invalid UTF-8 with advice', () => {
    const result = decodeSourceText(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]), 'text');
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.reason, /not valid UTF-8/);
  });

  it('decodes UTF-16 with a byte-order mark and strips a UTF-8 BOM', () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('héllo', 'utf16le')]);
    assert.deepEqual(decodeSourceText(utf16, 'text'), { ok: true, text: 'héllo' });
    assert.deepEqual(decodeSourceText(Buffer.from('\ufeffhi', 'utf8'), 'text'), { ok: true, text: 'hi' });
  });

  it('rejects minified code and huge lines, accepts long prose lines', () => {
    const minified = decodeSourceText(Buffer.from(`${'var a=1;'.repeat(1000)}\n`), 'code');
    assert.match(minified.ok ? '' : minified.reason, /minified/);
    const huge = decodeSourceText(Buffer.from('y'.repeat(200_001)), 'markdown');
    assert.match(huge.ok ? '' : huge.reason, /a line of 200,001 characters/);
    assert.equal(decodeSourceText(Buffer.from(`${'word '.repeat(2000)}\n`), 'markdown').ok, true);
  });
});
