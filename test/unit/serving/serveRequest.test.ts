import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { firstFreePort, isPortFree } from '../../../src/core/serving/freePort';
import { builtinServeLaunch, chooseGpuEngine } from '../../../src/core/serving/serveRequest';

async function occupy(t: TestContext): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as { port: number }).port;
}

describe('the command line of a server', () => {
  it('runs `chatwright serve` with every model, template and the address; the key only in the environment', () => {
    const launch = builtinServeLaunch(
      { engine: 'builtin', models: ['org/chat', '/models/other'], embeddingModel: 'org/embed', templates: ['/w/a.prompty'], host: '0.0.0.0', port: 8765 },
      { node: '/usr/bin/electron', cliPath: '/ext/dist/cli.js', electron: true, apiKey: 'cw-secret' },
    );
    assert.equal(launch.command, '/usr/bin/electron');
    assert.deepEqual(launch.args, [
      '/ext/dist/cli.js',
      'serve',
      '--model',
      'org/chat',
      '--model',
      '/models/other',
      '--embedding-model',
      'org/embed',
      '--template',
      '/w/a.prompty',
      '--host',
      '0.0.0.0',
      '--port',
      '8765',
    ]);
    assert.deepEqual(launch.env, { ELECTRON_RUN_AS_NODE: '1', CHATWRIGHT_SERVE_API_KEY: 'cw-secret' });
    assert.ok(!launch.args.some((arg) => arg.includes('cw-secret')));
  });

  it('runs plain Node without the Electron switch, and no key on loopback', () => {
    const launch = builtinServeLaunch({ engine: 'builtin', models: ['m'], host: '127.0.0.1', port: 0 }, { node: '/usr/bin/node', cliPath: 'cli.js', electron: false });
    // The variable is named with no value: a key in the editor's own environment is taken out of the server's.
    const env = launch.env ?? {};
    assert.ok(Object.hasOwn(env, 'CHATWRIGHT_SERVE_API_KEY') && env.CHATWRIGHT_SERVE_API_KEY === undefined, JSON.stringify(env));
    assert.deepEqual(Object.keys(env), ['CHATWRIGHT_SERVE_API_KEY']);
    assert.throws(() => builtinServeLaunch({ engine: 'builtin', models: [], host: '127.0.0.1', port: 0 }, { node: 'node', cliPath: 'cli.js', electron: false }), /at least one chat model/);
  });
});

describe('a server port and key', () => {
  it('takes the next port when the preferred one is taken', async (t) => {
    const taken = await occupy(t);
    assert.equal(await isPortFree('127.0.0.1', taken), false);
    const port = await firstFreePort('127.0.0.1', taken);
    assert.ok(port !== undefined && port > taken, `a later port than ${taken}: ${port}`);
  });
});

describe('the engine a GPU server runs', () => {
  const ok = (version: string) => ({ ok: true, version });
  it('is vLLM when the interpreter has it', () => {
    assert.equal(chooseGpuEngine({ vllm: ok('0.11.0'), torch: ok('2.5'), transformers: ok('4.57'), peft: ok('0.17') }, 'python3').engine, 'vllm');
  });

  it('is transformers with PEFT otherwise', () => {
    const choice = chooseGpuEngine({ vllm: { ok: false, version: null }, torch: ok('2.5'), transformers: ok('4.57'), peft: ok('0.17') }, 'python3');
    assert.equal(choice.engine, 'transformers');
    assert.match(choice.reason, /not vLLM/);
  });

  it('is none, with the install command, when transformers or PEFT is missing', () => {
    const choice = chooseGpuEngine({ torch: ok('2.5') }, '/venv/bin/python');
    assert.equal(choice.engine, undefined);
    assert.equal(choice.engine === undefined && choice.installCommand, '"/venv/bin/python" -m pip install "transformers" "peft"');
  });

  it('is what the test hook names, named as a test hook', () => {
    const choice = chooseGpuEngine({}, 'python3', 'standin');
    assert.equal(choice.engine, 'standin');
    assert.match(choice.reason, /test hook/);
  });
});
