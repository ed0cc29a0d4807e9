/**
 * The Python GPU server (python/chatwright_serve) with its stand-in generator, driven by the official `openai` client
 * as an application would: models with their parent, chat, streaming with usage, an adapter as model id, cancel by
 * breaking the loop, the key, and SIGINT ending in `phase stopped`.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { scratchDir } from '../../support/scratchDir';

const repoRoot = resolve(__dirname, '../../..');
const base = 'org/base-model';

interface PythonServer {
  child: ChildProcessWithoutNullStreams;
  url: string;
  runDir: string;
  exited: Promise<number | null>;
}

async function startPythonServer(args: string[], env: NodeJS.ProcessEnv = {}): Promise<PythonServer> {
  const runDir = join(scratchDir('python-serve'), 'run');
  const { CHATWRIGHT_SERVE_API_KEY: _inherited, ...inherited } = process.env;
  const child = spawn('python3', ['-m', 'chatwright_serve', '--engine', 'standin', '--model', base, '--port', '0', '--run-dir', runDir, ...args], {
    cwd: repoRoot,
    env: { ...inherited, PYTHONPATH: join(repoRoot, 'python'), PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', ...env },
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const stderr: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const lines = createInterface({ input: child.stdout });
  const ready = await new Promise<{ url: string }>((done, fail) => {
    lines.once('line', (line) => done(JSON.parse(line) as { url: string }));
    void exited.then((code) => fail(new Error(`the server exited (${code}) before its ready line: ${stderr.join('')}`)));
  });
  return { child, url: ready.url, runDir, exited };
}

async function stopPythonServer(server: PythonServer): Promise<number | null> {
  if (server.child.exitCode === null) server.child.kill('SIGINT');
  return server.exited;
}

interface EventLine {
  event: string;
  phase?: string;
  requests?: number;
  active?: number;
  completion_tokens?: number;
}

function readEvents(runDir: string): EventLine[] {
  return readFileSync(join(runDir, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as EventLine);
}

async function waitFor<T>(read: () => T | undefined, what: string): Promise<T> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const value = read();
    if (value !== undefined) return value;
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function writeAdapter(folder: string): string {
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'adapter_config.json'), JSON.stringify({ peft_type: 'LORA', base_model_name_or_path: base, r: 8 }));
  writeFileSync(join(folder, 'adapter_model.safetensors'), Buffer.alloc(16));
  return folder;
}

const question = [{ role: 'user' as const, content: 'What is the capital of France?' }];

describe('the Python server driven by the openai client', () => {
  let server: PythonServer;
  let client: OpenAI;

  before(async () => {
    const adapter = writeAdapter(join(scratchDir('python-serve-adapter'), 'adapter'));
    server = await startPythonServer(['--adapter', `tuned=${adapter}`, '--standin-token-delay-ms', '40']);
    client = new OpenAI({ baseURL: server.url, apiKey: 'unused', maxRetries: 0 });
  });
  after(async () => {
    await stopPythonServer(server);
  });

  it('lists the base model and the adapter with the base as parent', async () => {
    const models = await client.models.list();
    const listed = models.data.map((model) => ({ id: model.id, parent: (model as unknown as { parent: string | null }).parent }));
    assert.deepEqual(listed, [
      { id: base, parent: null },
      { id: 'tuned', parent: base },
    ]);
  });

  it('answers a chat with text, a finish reason and usage', async () => {
    const completion = await client.chat.completions.create({ model: base, messages: question, max_tokens: 5 });
    const choice = completion.choices[0];
    assert.ok(choice);
    assert.equal(choice.message.role, 'assistant');
    assert.equal(choice.finish_reason, 'length');
    assert.equal(choice.message.content?.split(' ').length, 5);
    assert.equal(completion.usage?.completion_tokens, 5);
    assert.ok((completion.usage?.prompt_tokens ?? 0) > 0);
  });

  it('streams the same text as the whole answer, with a last usage chunk', async () => {
    const whole = await client.chat.completions.create({ model: base, messages: question });
    const stream = await client.chat.completions.create({ model: base, messages: question, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    let emptyChoicesChunks = 0;
    for await (const chunk of stream) {
      if (chunk.choices.length === 0) emptyChoicesChunks++;
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text, whole.choices[0]?.message.content);
    assert.equal(finish, 'stop');
    assert.equal(emptyChoicesChunks, 1);
    assert.deepEqual(usage, whole.usage);
  });

  it('serves the adapter as a model id of its own, with its own answer', async () => {
    const tuned = await client.chat.completions.create({ model: 'tuned', messages: question });
    const plain = await client.chat.completions.create({ model: base, messages: question });
    assert.equal(tuned.model, 'tuned');
    assert.notEqual(tuned.choices[0]?.message.content, plain.choices[0]?.message.content);
  });

  it('answers an unknown model with a 404 the client throws as NotFoundError', async () => {
    await assert.rejects(client.chat.completions.create({ model: 'nope', messages: question }), (error: unknown) => error instanceof OpenAI.NotFoundError && error.status === 404);
  });
});

describe('the Python server when a client breaks out of a stream', () => {
  it('cancels that generation: it stops well before the whole answer', async () => {
    const server = await startPythonServer(['--standin-token-delay-ms', '40']);
    try {
      const client = new OpenAI({ baseURL: server.url, apiKey: 'unused', maxRetries: 0 });
      const whole = await client.chat.completions.create({ model: base, messages: question });
      const fullLength = whole.usage?.completion_tokens ?? 0;
      const stream = await client.chat.completions.create({ model: base, messages: question, stream: true });
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) break;
      }
      // Both requests counted and nothing running any more: the abandoned row has left the batch.
      const settled = await waitFor(
        () => readEvents(server.runDir).find((event) => event.event === 'serving_stats' && event.requests === 2 && event.active === 0 && event.completion_tokens !== fullLength),
        'the cancelled row to leave the batch',
      );
      const streamedTokens = (settled.completion_tokens ?? 0) - fullLength;
      assert.ok(streamedTokens < fullLength, `the abandoned stream generated ${streamedTokens} of ${fullLength} tokens`);
    } finally {
      await stopPythonServer(server);
    }
  });
});

describe('the Python server with an API key', () => {
  it('answers 401 without the key and serves with it', async () => {
    const server = await startPythonServer([], { CHATWRIGHT_SERVE_API_KEY: 'test-key' });
    try {
      const wrong = new OpenAI({ baseURL: server.url, apiKey: 'wrong', maxRetries: 0 });
      await assert.rejects(wrong.models.list(), (error: unknown) => error instanceof OpenAI.AuthenticationError && error.status === 401);
      const right = new OpenAI({ baseURL: server.url, apiKey: 'test-key', maxRetries: 0 });
      assert.equal((await right.models.list()).data[0]?.id, base);
    } finally {
      await stopPythonServer(server);
    }
  });
});

describe('the Python server stopped by SIGINT', () => {
  it('writes phase stopped and exits 0', async () => {
    const server = await startPythonServer([]);
    assert.equal(await stopPythonServer(server), 0);
    const events = readEvents(server.runDir);
    assert.deepEqual(
      events.map((event) => [event.event, event.phase]),
      [
        ['phase', 'loading_model'],
        ['serving', undefined],
        ['serving_stats', undefined],
        ['phase', 'stopped'],
      ],
    );
  });
});
