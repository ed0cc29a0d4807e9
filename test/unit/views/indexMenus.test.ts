import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type IndexCommandState } from '../../../src/core/views/indexRows';

interface MenuEntry {
  command: string;
  when?: string;
}

const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { contributes: { menus: Record<string, MenuEntry[]> } };
const indexCommands = ['chatwright.rag.pauseIndexing', 'chatwright.rag.resumeIndexing', 'chatwright.rag.cancelIndexing'];

/** Evaluates the `when` clauses these menus use: terms joined by `&&`, each `key`, `!key` or `key == value`. */
function holds(when: string | undefined, context: Record<string, string | boolean>): boolean {
  if (when === undefined) return true;
  return when.split('&&').every((raw) => {
    const term = raw.trim();
    if (term === 'false') return false;
    const equality = /^([\w.]+)\s*==\s*([\w.]+)$/.exec(term);
    if (equality) return context[equality[1] ?? ''] === equality[2];
    if (!/^!?[\w.]+$/.test(term)) throw new Error(`unsupported when clause term: ${term}`);
    return term.startsWith('!') ? context[term.slice(1)] !== true : context[term] === true;
  });
}

/** The index commands a menu shows for the context keys the index manager sets from `state`. */
function shown(menu: string, state: IndexCommandState, extra: Record<string, string> = {}): string[] {
  const context = { 'chatwright.indexing': state.indexing, 'chatwright.indexPaused': state.paused, ...extra };
  const entries = manifest.contributes.menus[menu] ?? [];
  return indexCommands.filter((command) => {
    const forCommand = entries.filter((entry) => entry.command === command);
    // The palette lists every contributed command unless an entry hides it; other menus only what they name.
    if (forCommand.length === 0) return menu === 'commandPalette';
    return forCommand.some((entry) => holds(entry.when, context));
  });
}

const idle = { indexing: false, paused: false };
const running = { indexing: true, paused: false };
const paused = { indexing: true, paused: true };

describe('Pause, Resume and Cancel Indexing appear only when they apply', () => {
  it('in the Index view title bar', () => {
    const view = { view: 'chatwright.index' };
    assert.deepEqual(shown('view/title', idle, view), []);
    assert.deepEqual(shown('view/title', running, view), ['chatwright.rag.pauseIndexing', 'chatwright.rag.cancelIndexing']);
    assert.deepEqual(shown('view/title', paused, view), ['chatwright.rag.resumeIndexing', 'chatwright.rag.cancelIndexing']);
    assert.deepEqual(shown('view/title', running, { view: 'chatwright.models' }), [], 'not on other views');
  });

  it('in the command palette', () => {
    assert.deepEqual(shown('commandPalette', idle), []);
    assert.deepEqual(shown('commandPalette', running), ['chatwright.rag.pauseIndexing', 'chatwright.rag.cancelIndexing']);
    assert.deepEqual(shown('commandPalette', paused), ['chatwright.rag.resumeIndexing', 'chatwright.rag.cancelIndexing']);
  });
});
