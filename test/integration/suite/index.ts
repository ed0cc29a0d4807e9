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
  const files = readdirSync(__dirname).filter((file) => file.endsWith('.test.js'));
  for (const file of files) mocha.addFile(join(__dirname, file));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => {
      console.log(`${mocha.suite.total() - failures} passed, ${failures} failed`);
      if (failures > 0) reject(new Error(`${failures} extension-host test(s) failed`));
      else resolve();
    });
  });
}
