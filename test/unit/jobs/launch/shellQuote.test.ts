import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { shellCommandLine, shellQuote } from '../../../../src/core/jobs/launch/shellQuote';

/** What bash makes of a command line: each word it passes to printf, one per line between markers. */
function wordsAsBashReadsThem(commandLine: string): string[] {
  const output = execFileSync('bash', ['-c', `printf '<%s>\\n' ${commandLine}`], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/should-not-appear' } });
  return [...output.matchAll(/<([\s\S]*?)>\n/g)].map((match) => match[1]!);
}

describe('shellQuote', () => {
  it('leaves plain words bare so generated scripts read like hand-written ones', () => {
    assert.equal(
      shellCommandLine(['/usr/bin/python3', '-m', 'chatwright_train', '--main_process_port', '29500', 'a=b,c:d@e%f+g']),
      '/usr/bin/python3 -m chatwright_train --main_process_port 29500 a=b,c:d@e%f+g',
    );
  });

  it('gives bash back exactly the words it was given, whatever they hold', () => {
    const words = [
      '/home/ada/my run',
      "it's",
      '"quoted"',
      '$HOME',
      '$(touch /tmp/x)',
      '`id`',
      'a\\b',
      '*',
      '#not a comment',
      'tab\there',
      'line\nbreak',
      '',
      '~',
      'semi;colon',
      'a|b',
      '!bang',
      '{a,b}',
    ];
    assert.deepEqual(wordsAsBashReadsThem(shellCommandLine(words)), words);
  });

  it('quotes a word that is empty or starts like an option of the shell', () => {
    assert.equal(shellQuote(''), "''");
    assert.equal(shellQuote("a'b"), `'a'\\''b'`);
  });
});
