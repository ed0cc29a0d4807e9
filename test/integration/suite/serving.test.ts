import * as assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { type ChatBackendEvent } from '../../../src/core/chat/backend';
import { type JobSnapshot } from '../../../src/core/jobs/jobSnapshot';
import { createRunFolder, writeRunRecord } from '../../../src/core/jobs/runFolder';
import { gpuServeEngineVariable } from '../../../src/core/serving/serveRequest';
import { type ChatwrightApi } from '../../../src/extension';
import { servingCommands } from '../../../src/host/serving/servingFeature';
import { generateDecoderModel } from '../../support/modelGenerator';
import { snapshotWhen as waitForSnapshot } from '../../support/snapshotWhen';
import { waitFor } from '../../support/waitFor';

/**
 * Serving in a real extension host: "Serve Model" runs `chatwright serve` (dist/cli.js) on a generated decoder model
 * as a job; "Serve on GPU" runs `python -m chatwright_serve` with its stand-in engine (the test hook
 * CHATWRIGHT_SERVE_GPU_ENGINE=standin: no torch). Both must be health-checked to ready, join the chat as backends,
 * and stop on Stop Server with `phase stopped`.
 */
const extensionId = 'chatwright.chatwright';

async function api(): Promise<ChatwrightApi> {
  const extension = vscode.extensions.getExtension<ChatwrightApi>(extensionId)!;
  return extension.isActive ? extension.exports : extension.activate();
}

function workspaceFolder(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the tests run with the fixture workspace open');
  return folder.uri.fsPath;
}

describe('Serving', function () {
  this.timeout(120_000);
  let chatwright: ChatwrightApi;
  let folder: string;
  const savedEngine = process.env[gpuServeEngineVariable];

  before(async () => {
    chatwright = await api();
    folder = join(workspaceFolder(), 'serving-it');
    mkdirSync(folder, { recursive: true });
  });

  after(() => {
    if (savedEngine === undefined) delete process.env[gpuServeEngineVariable];
    else process.env[gpuServeEngineVariable] = savedEngine;
  });

  function snapshotWhen(runDir: string, what: string, test: (snapshot: JobSnapshot) => boolean, timeoutMs = 60_000): Promise<JobSnapshot> {
    return waitForSnapshot(chatwright.jobs.service, runDir, what, test, timeoutMs);
  }

  const ended = (snapshot: JobSnapshot): boolean => ['stopped', 'failed', 'done', 'cancelled'].includes(snapshot.status);

  it('serves a generated model: ready after its health check, answers through the chat backend registry, stops with phase stopped', async () => {
    const model = join(folder, 'tiny-qwen2');
    generateDecoderModel(model, { layers: 2, hiddenSize: 32, heads: 2, kvHeads: 1 });
    const runDir = await vscode.commands.executeCommand<string | undefined>(servingCommands.start, { model, port: 0 });
    assert.ok(runDir, 'Serve Model returns the run folder of the server');
    const ready = await snapshotWhen(runDir, 'the server to be ready', (snapshot) => snapshot.ready || ended(snapshot));
    assert.equal(ready.status, 'running', JSON.stringify(ready.error));
    assert.equal(ready.kind, 'serve');
    assert.equal(ready.serving?.engine, 'builtin');
    // The status bar follows the jobs' change events, which are throttled: it shows the port once they arrive.
    const statusText = await waitFor(() => chatwright.serving.statusBar.text || undefined, 'the status bar item');
    assert.match(statusText, new RegExp(`Serving .*:${ready.serving.port}`));

    const backendId = await waitFor(() => chatwright.serving.backends.backendIdOf(runDir), 'the served backend');
    const backend = chatwright.chat.backend(backendId);
    assert.ok(backend, `${backendId} is in the chat's backend registry`);
    assert.equal(backend.label, `Served: ${ready.name}`);
    const models = await backend.listModels(AbortSignal.timeout(10_000));
    assert.ok(models.length >= 1, 'the served model is listed');
    const events: ChatBackendEvent[] = [];
    await backend.generate(
      { model: models[0]!.id, messages: [{ role: 'user', content: 'Hello' }], options: { temperature: 0, maxTokens: 4 } },
      (event) => events.push(event),
      AbortSignal.timeout(30_000),
    );
    assert.ok(
      events.some((event) => event.type === 'stats'),
      `the served model answered: ${JSON.stringify(events)}`,
    );
    const item = chatwright.jobs.tree.getTreeItem({ runDir });
    assert.equal(item.contextValue, 'job.serving');
    assert.match(String(item.description), new RegExp(`^serving at ${ready.serving.url.replace(/[.]/g, '\\.')}`));

    await vscode.commands.executeCommand(servingCommands.stop, runDir);
    const stopped = await snapshotWhen(runDir, 'the server to stop', ended);
    assert.equal(stopped.status, 'stopped', JSON.stringify(stopped.error));
    assert.equal(stopped.phase, 'stopped');
    await waitFor(() => (chatwright.serving.backends.backendIdOf(runDir) === undefined ? true : undefined), 'the served backend to be removed');
    assert.equal(chatwright.chat.backend(backendId), undefined);
  });

  it('serves a finished run’s adapter on the Python server (stand-in engine): the adapter is a model id with its parent', async () => {
    process.env[gpuServeEngineVariable] = 'standin';
    const trained = createRunFolder(workspaceFolder(), 'persona-it');
    writeRunRecord(trained, { version: 1, name: 'persona-it', kind: 'train', createdAt: new Date().toISOString(), hostname: 'test' });
    writeFileSync(join(trained, 'events.jsonl'), `${JSON.stringify({ v: 1, seq: 1, time: Date.now() / 1000, event: 'phase', phase: 'done', adapter: join(trained, 'adapter') })}\n`);
    mkdirSync(join(trained, 'adapter'));
    writeFileSync(join(trained, 'adapter', 'adapter_config.json'), JSON.stringify({ peft_type: 'LORA', r: 8, base_model_name_or_path: 'base-model' }));
    writeFileSync(join(trained, 'adapter', 'adapter_model.safetensors'), '');

    const runDir = await vscode.commands.executeCommand<string | undefined>(servingCommands.startGpu, { model: 'base-model', adapters: [trained], port: 0 });
    assert.ok(runDir, 'Serve on GPU returns the run folder of the server');
    const ready = await snapshotWhen(runDir, 'the GPU server to be ready', (snapshot) => snapshot.ready || ended(snapshot));
    assert.equal(ready.status, 'running', JSON.stringify(ready.error));
    assert.equal(ready.serving?.engine, 'standin');
    assert.deepEqual(
      ready.serving?.models.map((model) => [model.id, model.parent ?? null]),
      [
        ['base-model', null],
        ['persona-it', 'base-model'],
      ],
    );
    const backendId = await waitFor(() => chatwright.serving.backends.backendIdOf(runDir), 'the served backend');
    const listed = await chatwright.chat.backend(backendId)!.listModels(AbortSignal.timeout(10_000));
    assert.ok(
      listed.some((model) => model.id === 'persona-it'),
      `the adapter is a chat model: ${JSON.stringify(listed)}`,
    );

    // "Chat with the result" of the fine-tuning run: its adapter is already served, so a conversation opens on it,
    // compared with its base model on the same server.
    const before = new Set((await chatwright.chat.service.list()).map((summary) => summary.id));
    await vscode.commands.executeCommand('chatwright.jobs.chatWithResult', trained);
    const opened = await waitFor(async () => (await chatwright.chat.service.list()).find((summary) => !before.has(summary.id)), 'the conversation with the adapter');
    const conversation = await chatwright.chat.service.get(opened.id);
    assert.equal(conversation?.settings.model, `${backendId}/persona-it`);
    assert.equal(conversation?.settings.compareModel, `${backendId}/base-model`);

    await vscode.commands.executeCommand(servingCommands.stop, runDir);
    const stopped = await snapshotWhen(runDir, 'the GPU server to stop', ended);
    assert.equal(stopped.status, 'stopped', JSON.stringify(stopped.error));
  });
});
