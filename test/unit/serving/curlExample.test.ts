import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { curlExample } from '../../../src/core/serving/curlExample';

/** The words a POSIX shell makes of the command (run through `sh`, which prints each argument on its own line). */
function shellWords(command: string, env: Record<string, string> = {}): string[] {
  const script = command.replace(/^curl /, 'printf "%s\\n" ');
  return execFileSync('sh', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } })
    .split('\n')
    .slice(0, -1);
}

describe('the curl example of a served model', () => {
  it('posts a streaming chat request to the URL, the model id quoted for the shell', () => {
    const words = shellWords(curlExample('http://127.0.0.1:8765/v1', "it's-a-model", false));
    assert.deepEqual(words.slice(0, 4), ['-N', 'http://127.0.0.1:8765/v1/chat/completions', '-H', 'Content-Type: application/json']);
    assert.deepEqual(JSON.parse(words.at(-1)!), { model: "it's-a-model", messages: [{ role: 'user', content: 'Hello!' }], stream: true });
  });

  it('sends the key from the environment variable, never written into the example', () => {
    const command = curlExample('http://0.0.0.0:8765/v1', 'm', true);
    assert.ok(!/cw-/.test(command));
    assert.ok(shellWords(command, { CHATWRIGHT_SERVE_API_KEY: 'cw-secret' }).includes('Authorization: Bearer cw-secret'));
  });
});
