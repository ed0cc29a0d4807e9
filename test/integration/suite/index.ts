import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';

/**
 * Entry point the extension host calls (`--extensionTestsPath`). Runs every `*.test.js` bundle next to it, or only
 * those named in CHATWRIGHT_TEST_GREP's files filter, with mocha's spec reporter on the host's console.
 */
export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000, reporter: 'spec' });
  const grep = process.env.CHATWRIGHT_TEST_GREP;
  if (grep) mocha.grep(grep);
  // extension.test.js first: it checks that nothing activated the extension before it, which any other suite would.
  const files = readdirSync(__dirname)
    .filter((file) => file.endsWith('.test.js'))
    .sort((a, b) => Number(b === 'extension.test.js') - Number(a === 'extension.test.js') || a.localeCompare(b));
  for (const file of files) mocha.addFile(join(__dirname, file));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => {
      console.log(`${mocha.suite.total() - failures} passed, ${failures} failed`);
      if (failures > 0) reject(new Error(`${failures} extension-host test(s) failed`));
      else resolve();
    });
  });
}
