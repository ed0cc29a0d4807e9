// Runs the unit suites (or the roots given as arguments) with TMPDIR set to a fresh empty folder, then fails listing
// any `chatwright-*` or `cw-*` entry the tests left there: every test must remove the scratch folders it creates,
// also when it fails. The suites' own exit code is kept, so a failing suite still fails this check.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const leakedNamePattern = /^(chatwright|cw)-/;
// The check's own folder is made in the real temp folder and is not one of the names it looks for.
const isolatedTempDir = mkdtempSync(join(tmpdir(), 'temp-leak-check-'));
let exitCode = 1;
try {
  const suites = spawnSync(process.execPath, ['scripts/run-unit-tests.mjs', ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, TMPDIR: isolatedTempDir, TMP: isolatedTempDir, TEMP: isolatedTempDir },
  });
  const leftovers = readdirSync(isolatedTempDir)
    .filter((name) => leakedNamePattern.test(name))
    .sort();
  if (leftovers.length > 0) {
    console.error(`\ntemp leak check: the tests left ${leftovers.length} folder(s) in the temp directory:`);
    for (const name of leftovers) console.error(`  ${name}`);
    exitCode = 1;
  } else {
    console.log('\ntemp leak check: no chatwright-* or cw-* entries left in the temp directory');
    exitCode = suites.status ?? 1;
  }
} finally {
  rmSync(isolatedTempDir, { recursive: true, force: true });
}
process.exit(exitCode);
