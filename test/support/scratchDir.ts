import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, type TestContext } from 'node:test';

const removeWhenFileEnds = new Set<string>();
// Registered while the importing test file loads, so it belongs to the file's root and runs once all its tests have
// ended, pass or fail. A node:test `after` called later from inside a before/beforeEach hook would attach to that hook
// and remove the folder before the tests that use it run.
after(() => {
  for (const dir of removeWhenFileEnds) rmSync(dir, { recursive: true, force: true });
  removeWhenFileEnds.clear();
});

/**
 * A fresh `chatwright-<name>-*` folder in the temp directory that the tests never have to remove themselves: with the
 * test's context `t` it goes when that test ends, otherwise when the test file ends; both also on failure.
 */
export function scratchDir(name: string, t?: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), `chatwright-${name}-`));
  if (t) {
    t.after(() => rmSync(dir, { recursive: true, force: true }));
  } else {
    removeWhenFileEnds.add(dir);
  }
  return dir;
}
