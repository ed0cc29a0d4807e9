import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type PromptFinding } from '../../../src/core/prompts/promptFinding';
import { fixesInRange, ModelIdCache, ReferencedFileWatcher, templateContext } from '../../../src/core/prompts/promptyEditing';
import { scratchDir } from '../../support/scratchDir';
import { waitFor } from '../../support/waitFor';

const at = (line: number, start: number, end: number) => ({ start: { line, character: start }, end: { line, character: end } });

describe('an open template in the editor', () => {
  it('reads files from the workspace folders, or from its own folder outside any', () => {
    assert.deepEqual(templateContext('/repo/prompts/a.prompty', ['/repo']), { templatePath: '/repo/prompts/a.prompty', workspaceRoots: ['/repo'] });
    assert.deepEqual(templateContext('/tmp/a.prompty', []), { templatePath: '/tmp/a.prompty', workspaceRoots: ['/tmp'] });
    assert.deepEqual(templateContext(undefined, []), { workspaceRoots: [] }, 'an unsaved template reads no file');
  });

  it('offers the fixes of the findings that touch the range, ends included', () => {
    const fix = { title: 'Fix', edits: [] };
    const findings: PromptFinding[] = [
      { range: at(2, 0, 4), severity: 'warning', code: 'a', message: 'a', fix },
      { range: at(2, 6, 8), severity: 'warning', code: 'b', message: 'b', fix },
      { range: at(2, 0, 8), severity: 'error', code: 'no-fix', message: 'c' },
      { range: at(5, 0, 1), severity: 'warning', code: 'elsewhere', message: 'd', fix },
    ];
    assert.deepEqual(
      fixesInRange(findings, at(2, 4, 6)).map((f) => f.code),
      ['a', 'b'],
    );
    assert.deepEqual(fixesInRange(findings, at(3, 0, 0)), []);
  });

  it('waits for the first scan of the model cache, then answers at once and refreshes in the background', async () => {
    let clock = 0;
    let scans = 0;
    let release: (ids: string[]) => void = () => undefined;
    const cache = new ModelIdCache(
      () => {
        scans++;
        return scans === 1 ? Promise.resolve(['a/one']) : new Promise<string[]>((resolve) => (release = resolve));
      },
      1000,
      () => clock,
    );
    assert.deepEqual(await cache.modelIds(), ['a/one']);
    clock = 500;
    assert.deepEqual(await cache.modelIds(), ['a/one']);
    assert.equal(scans, 1, 'a fresh list is not scanned again');
    clock = 2000;
    assert.deepEqual(await cache.modelIds(), ['a/one'], 'a stale list answers while the rescan runs');
    assert.deepEqual(await cache.modelIds(), ['a/one']);
    assert.equal(scans, 2, 'one rescan at a time');
    release(['a/one', 'b/two']);
    await waitFor(async () => ((await cache.modelIds()).length === 2 ? true : undefined), 'the rescanned list');
  });

  it('answers no model ids when the cache cannot be scanned', async () => {
    assert.deepEqual(await new ModelIdCache(() => Promise.reject(new Error('EACCES'))).modelIds(), []);
  });

  it('asks to re-check a template when a file it reads changes, and stops when it no longer reads it', async () => {
    const folder = scratchDir('watch');
    const file = join(folder, 'examples.jsonl');
    writeFileSync(file, '{}\n');
    const changed: string[] = [];
    const watcher = new ReferencedFileWatcher((uri) => changed.push(uri));
    try {
      watcher.watch('file:///t.prompty', [file, join(folder, 'missing.jsonl')]);
      writeFileSync(file, '{"a": 1}\n');
      await waitFor(() => changed[0], 'a change of the examples file');
      assert.deepEqual([...new Set(changed)], ['file:///t.prompty']);
      watcher.watch('file:///t.prompty', []);
      changed.length = 0;
      writeFileSync(file, '{"a": 2}\n');
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(changed, []);
    } finally {
      watcher.dispose();
    }
  });
});
