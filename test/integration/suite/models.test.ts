import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { type ChatwrightApi } from '../../../src/extension';
import { type HubServer, standardFixtures, startHubServer } from '../../support/hubServer';

/**
 * The Models feature inside a real extension host, against the local Hub server: search through the command the view
 * uses, a download into the cache layout, and the selection that chat, preview and indexing read.
 */
describe('Models (extension host, local Hub)', () => {
  let hub: HubServer;
  let cacheRoot: string;
  let api: ChatwrightApi;
  const previousCache = process.env.HF_HUB_CACHE;
  let previousSelection: { chat: string | undefined; embedding: string | undefined } = { chat: undefined, embedding: undefined };

  before(async () => {
    hub = await startHubServer({ models: standardFixtures() });
    cacheRoot = mkdtempSync(join(tmpdir(), 'chatwright-it-hub-'));
    // The extension reads the environment at each call, like huggingface_hub: point the cache at a scratch folder.
    process.env.HF_HUB_CACHE = cacheRoot;
    await vscode.workspace.getConfiguration('chatwright').update('models.hubEndpoint', hub.url, vscode.ConfigurationTarget.Global);
    const extension = vscode.extensions.getExtension<ChatwrightApi>('chatwright.chatwright');
    assert.ok(extension);
    api = await extension.activate();
    previousSelection = { chat: api.models.chatModel, embedding: api.models.embeddingModel };
  });

  after(async () => {
    // Other suites (chat, indexing) read the selection: leave it as it was.
    await api.models.select('chat', previousSelection.chat);
    await api.models.select('embedding', previousSelection.embedding);
    await vscode.workspace.getConfiguration('chatwright').update('models.hubEndpoint', undefined, vscode.ConfigurationTarget.Global);
    if (previousCache === undefined) delete process.env.HF_HUB_CACHE;
    else process.env.HF_HUB_CACHE = previousCache;
    await hub.close();
    rmSync(cacheRoot, { recursive: true, force: true });
  });

  it('searches the Hub with filters through the view command', async () => {
    const ids = await vscode.commands.executeCommand<string[]>('chatwright.models.searchHub', 'tiny task:text-generation format:onnx');
    assert.deepEqual(ids, ['chatwright-test/tiny-llama-onnx']);
    assert.ok(hub.requests.some((request) => request.url.startsWith('/api/models?') && request.url.includes('pipeline_tag=text-generation')));
  });

  it('downloads the chosen ONNX variant into the Hugging Face cache layout', async () => {
    const folder = await vscode.commands.executeCommand<string | undefined>('chatwright.models.download', 'chatwright-test/tiny-llama-onnx', { runtime: 'onnx', variant: 'q4', confirmed: true });
    const commit = hub.commitOf('chatwright-test/tiny-llama-onnx');
    assert.equal(folder, join(cacheRoot, 'models--chatwright-test--tiny-llama-onnx', 'snapshots', commit));
    assert.ok(readFileSync(join(folder, 'onnx', 'model_q4.onnx')).equals(hub.fileOf('chatwright-test/tiny-llama-onnx', 'onnx/model_q4.onnx').content));
    assert.ok(!existsSync(join(folder, 'onnx', 'model.onnx')), 'only the chosen variant');
    assert.equal(readFileSync(join(cacheRoot, 'models--chatwright-test--tiny-llama-onnx', 'refs', 'main'), 'utf8'), commit);
  });

  it('remembers the selection per workspace and tells the listeners', async () => {
    const changes: string[] = [];
    const subscription = api.models.onDidChange((change) => changes.push(`${change.kind}=${change.id ?? ''}`));
    try {
      await vscode.commands.executeCommand('chatwright.models.select', 'chat', 'chatwright-test/tiny-llama-onnx');
      await vscode.commands.executeCommand('chatwright.models.select', 'embedding', 'chatwright-test/tiny-minilm');
      await vscode.commands.executeCommand('chatwright.models.select', 'chat', 'chatwright-test/tiny-llama-onnx');
    } finally {
      subscription.dispose();
    }
    assert.equal(api.models.chatModel, 'chatwright-test/tiny-llama-onnx');
    assert.equal(api.models.embeddingModel, 'chatwright-test/tiny-minilm');
    assert.deepEqual(changes, ['chat=chatwright-test/tiny-llama-onnx', 'embedding=chatwright-test/tiny-minilm'], 'no event when nothing changes');
    await api.models.select('chat', undefined);
    assert.equal(api.models.chatModel, undefined);
    await api.models.select('embedding', undefined);
  });
});
