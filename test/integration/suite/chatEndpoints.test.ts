import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ConversationStore } from '../../../src/core/chat/conversationStore';
import { type ChatwrightApi } from '../../../src/extension';
import { startAwkwardOpenAiServer, type AwkwardOpenAiServer } from '../../support/awkwardOpenAiServer';

const extensionId = 'chatwright.chatwright';

async function api(): Promise<ChatwrightApi> {
  const extension = vscode.extensions.getExtension<ChatwrightApi>(extensionId)!;
  return extension.isActive ? extension.exports : extension.activate();
}

const userEndpoints = () => vscode.workspace.getConfiguration('chatwright').inspect<unknown>('chat.endpoints')?.globalValue;

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, describe: (value: T) => string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) assert.fail(`timed out: ${describe(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Chat endpoints (extension host)', () => {
  let server: AwkwardOpenAiServer;
  let before_: unknown;
  before(async () => {
    before_ = userEndpoints();
    server = await startAwkwardOpenAiServer({
      apiKey: 'sk-integration',
      models: [{ id: 'served-a', max_model_len: 4096 }, { id: 'served-b' }],
      reasoning: { field: 'reasoning_content', pieces: ['The user ', 'says hi.'] },
      answer: ['Hi', ' there.'],
    });
  });
  after(async () => {
    await vscode.workspace.getConfiguration('chatwright').update('chat.endpoints', before_, vscode.ConfigurationTarget.Global);
    await server.close();
  });

  it('adds an endpoint with its API key, offers its models in the chat, answers through it with the reasoning apart, and removes it', async () => {
    const { chat } = await api();
    // The URL without its /v1: the command finds the API there.
    const id = await vscode.commands.executeCommand<string | undefined>('chatwright.chat.addEndpoint', { baseUrl: server.origin, apiKey: 'sk-integration', label: 'Awkward IT' });
    assert.equal(id, 'awkward-it');
    const stored = userEndpoints();
    assert.ok(Array.isArray(stored));
    assert.deepEqual(stored.at(-1), { id: 'awkward-it', label: 'Awkward IT', baseUrl: server.url });
    assert.ok(!JSON.stringify(stored).includes('sk-integration'), 'the key is not in the settings');

    const options = await eventually(
      async () => {
        await chat.endpointsRegistered();
        return chat.service.backends.options();
      },
      (found) => found.some((o) => o.ref === 'awkward-it/served-a'),
      (found) => JSON.stringify(found),
    );
    assert.deepEqual(
      options.filter((o) => o.ref.startsWith('awkward-it/')).map((o) => [o.ref, o.backendLabel]),
      [
        ['awkward-it/served-a', 'Awkward IT'],
        ['awkward-it/served-b', 'Awkward IT'],
      ],
    );
    const listings = server.requests.filter((r) => r.path === '/v1/models');
    assert.ok(listings.length > 0 && listings.every((r) => r.headers.authorization === 'Bearer sk-integration'), JSON.stringify(listings.map((r) => r.headers.authorization)));

    const conversation = await chat.service.create();
    await chat.service.updateSettings(conversation.id, { ...conversation.settings, model: 'awkward-it/served-a' });
    await chat.service.send(conversation.id, 'hello');
    const saved = await new ConversationStore(chat.service.store.folder).load(conversation.id);
    const answer = saved?.messages.at(-1);
    assert.ok(answer?.role === 'assistant');
    assert.equal(answer.status, 'done', JSON.stringify(answer.error));
    assert.equal(answer.content, 'Hi there.');
    assert.equal(answer.reasoning, 'The user says hi.');
    assert.equal(typeof answer.reasoningMs, 'number');
    await chat.service.delete(conversation.id);

    assert.equal(await vscode.commands.executeCommand('chatwright.chat.removeEndpoint', 'awkward-it'), 'awkward-it');
    assert.ok(!JSON.stringify(userEndpoints() ?? []).includes('awkward-it'));
    await eventually(
      async () => {
        await chat.endpointsRegistered();
        return chat.service.backends.options();
      },
      (found) => !found.some((o) => o.ref.startsWith('awkward-it/')),
      (found) => JSON.stringify(found),
    );
  });
});
