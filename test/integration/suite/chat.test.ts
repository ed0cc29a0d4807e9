import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { ConversationStore } from '../../../src/core/chat/conversationStore';
import { type ChatwrightApi } from '../../../src/extension';
import { appendExchangeToDataset } from '../../../src/host/chat/datasetAppend';
import { openChatLink, openCitation } from '../../../src/host/chat/linkOpener';
import { generateDecoderModel } from '../../support/modelGenerator/index';
import { ScriptedBackend } from '../../support/scriptedBackend';

const extensionId = 'chatwright.chatwright';

function workspacePath(relative: string): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the tests run with the fixture workspace open');
  return join(folder.uri.fsPath, relative);
}

async function waitUntil(condition: () => boolean, describe: () => string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function api(): Promise<ChatwrightApi> {
  const extension = vscode.extensions.getExtension<ChatwrightApi>(extensionId)!;
  return extension.isActive ? extension.exports : extension.activate();
}

describe('Chat (extension host)', () => {
  const disposables: vscode.Disposable[] = [];
  after(() => {
    for (const d of disposables) d.dispose();
  });

  it('streams an answer from a registered backend, with the template, examples and passages, and saves it', async () => {
    const { chat, rag } = await api();
    const backend = new ScriptedBackend('it-scripted', { tokens: ['Hold ', 'the reset ', 'button ', '[1].'], delayMs: 5 });
    disposables.push(chat.registerBackend(backend));
    // The passages come from the workspace's real index (lexical: no embedding model is selected).
    await rag.indexAll();
    const conversation = await chat.service.create();
    await chat.service.updateSettings(conversation.id, {
      ...conversation.settings,
      model: 'it-scripted/tiny',
      template: 'chat/support.prompty',
      fewShot: { enabled: true, k: 1, examplesFile: 'chat/examples.jsonl' },
      rag: { enabled: true, k: 3 },
    });
    await chat.service.send(conversation.id, 'How do I reset the widget?');
    const saved = await new ConversationStore(chat.service.store.folder).load(conversation.id);
    const answer = saved?.messages.at(-1);
    assert.ok(answer?.role === 'assistant');
    assert.equal(answer.status, 'done', JSON.stringify(answer.error));
    assert.equal(answer.content, 'Hold the reset button [1].');
    assert.equal(answer.stats?.completionTokens, 4);
    assert.deepEqual(
      backend.requests[0]!.messages.map((m) => m.role),
      ['system', 'user', 'assistant', 'user'],
    );
    assert.match(
      backend.requests[0]!.messages[0]!.content,
      /widget's support assistant[\s\S]*\[1\] chat\/docs\/guide\.md:8-11 \(Widget guide > Resetting\)\n## Resetting\n\nHold the reset button for ten seconds\./,
    );
    assert.equal(backend.requests[0]!.messages.at(-1)!.content, 'Customer question: How do I reset the widget?');
    assert.equal(answer.input?.passages[0]?.file, 'chat/docs/guide.md');
    assert.equal(saved?.title, 'How do I reset the widget?');
  });

  it('stops an answer mid-stream and keeps what came', async () => {
    const { chat } = await api();
    const backend = new ScriptedBackend('it-slow', { tokens: Array.from({ length: 200 }, (_, i) => `t${i} `), delayMs: 10 });
    disposables.push(chat.registerBackend(backend));
    const conversation = await chat.service.create();
    const { template: _template, ...withoutTemplate } = conversation.settings;
    await chat.service.updateSettings(conversation.id, { ...withoutTemplate, model: 'it-slow/tiny', rag: { enabled: false, k: 3 }, fewShot: { enabled: false, k: 0 } });
    const sending = chat.service.send(conversation.id, 'Count');
    await new Promise((resolve) => setTimeout(resolve, 150));
    await chat.service.stop(conversation.id);
    await sending;
    const answer = (await chat.service.get(conversation.id))!.messages.at(-1)!;
    assert.ok(answer.role === 'assistant' && answer.status === 'stopped');
    assert.ok(answer.content.length > 0 && answer.content.split(' ').length < 200, answer.content);
  });

  it('shows a missing backend as an error with its code, not a crash', async () => {
    const { chat } = await api();
    const conversation = await chat.service.create();
    await chat.service.updateSettings(conversation.id, { ...conversation.settings, model: 'nowhere/model' });
    await chat.service.send(conversation.id, 'Hello?');
    const answer = (await chat.service.get(conversation.id))!.messages.at(-1)!;
    assert.ok(answer.role === 'assistant');
    assert.equal(answer.status, 'error');
    assert.equal(answer.error?.code, 'backend-unavailable');
  });

  it('renames, exports as Markdown and deletes conversations', async () => {
    const { chat } = await api();
    const conversation = await chat.service.create();
    await chat.service.rename(conversation.id, '  Widget   questions ');
    assert.equal((await chat.service.list()).find((c) => c.id === conversation.id)?.title, 'Widget questions');
    assert.match(await chat.service.exportMarkdown(conversation.id), /^# Widget questions\n/);
    await chat.service.delete(conversation.id);
    assert.equal(
      (await chat.service.list()).some((c) => c.id === conversation.id),
      false,
    );
  });

  it('adds an edited answer to a dataset as a messages row the validator accepts, and refuses an empty one', async () => {
    const { chat } = await api();
    const conversation = (await chat.service.list()).find((c) => c.title === 'How do I reset the widget?');
    assert.ok(conversation, 'the first test left a conversation');
    const full = (await chat.service.get(conversation.id))!;
    const answerId = full.messages.at(-1)!.id;
    const target = vscode.Uri.file(workspacePath('chat/dataset.jsonl'));
    const result = await appendExchangeToDataset(full, answerId, target, 'Hold the reset button for ten seconds.', () => Promise.resolve(true));
    assert.deepEqual(result, { file: 'chat/dataset.jsonl', line: 2 });
    const lines = readFileSync(target.fsPath, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.deepEqual(JSON.parse(lines[1]!), {
      messages: [
        { role: 'system', content: "You are the widget's support assistant. Be brief." },
        { role: 'user', content: 'How do I reset the widget?' },
        { role: 'assistant', content: 'Hold the reset button for ten seconds.' },
      ],
    });
    await assert.rejects(appendExchangeToDataset(full, answerId, target, '   '), /empty/);
  });

  it('opens a cited passage at its range, and refuses links that could run something', async () => {
    const { chat } = await api();
    const conversation = (await chat.service.list()).find((c) => c.title === 'How do I reset the widget?')!;
    const passage = (await chat.service.get(conversation.id))!.messages.at(-1)!;
    assert.ok(passage.role === 'assistant' && passage.input?.passages[0]);
    const p = passage.input.passages[0];
    await openCitation(p.file, p.startLine, p.endLine);
    const editor = vscode.window.activeTextEditor;
    assert.ok(editor && editor.document.uri.fsPath.endsWith(join('chat', 'docs', 'guide.md')));
    assert.equal(editor.selection.start.line, 7);
    assert.equal(editor.selection.end.line, 10);
    for (const href of ['javascript:alert(1)', 'command:workbench.action.terminal.new', 'file:///etc/passwd', 'vscode://settings', 'data:text/html,x', '../../outside.md', '//evil.example/x']) {
      assert.equal(await openChatLink(href, () => Promise.resolve(true)), 'refused', href);
    }
    assert.equal(await openChatLink('https://example.com/', () => Promise.resolve(false)), 'declined');
    assert.equal(await openChatLink('chat/docs/guide.md#L3-L4', () => Promise.resolve(true)), 'opened');
    assert.equal(vscode.window.activeTextEditor?.selection.start.line, 2);
  });

  it('applies a chat model picked through the command to the open conversation, which then answers with it', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'chatwright-chat-it-'));
    const { chat, models } = await api();
    const previous = models.chatModel;
    try {
      const modelFolder = join(scratch, 'tiny-chat');
      generateDecoderModel(modelFolder, { script: 'Picked, and answering.' });
      await models.select('chat', undefined);
      const conversation = await chat.service.create();
      const panel = chat.panels.open(conversation.id);
      assert.equal(chat.service.modelFor(conversation), undefined, 'no model yet');
      await vscode.commands.executeCommand('chatwright.models.select', 'chat', modelFolder);
      assert.equal(chat.service.modelFor(conversation), `engine/${modelFolder}`, 'the conversation uses the picked model');
      assert.ok(
        (await chat.service.backends.options()).some((option) => option.ref === `engine/${modelFolder}`),
        'the model list offers it',
      );
      await chat.service.send(conversation.id, 'Say something');
      const answer = (await chat.service.get(conversation.id))!.messages.at(-1)!;
      assert.ok(answer.role === 'assistant');
      assert.equal(answer.status, 'done', JSON.stringify(answer.error));
      assert.equal(answer.content, 'Picked, and answering.');
      assert.equal(answer.model, `engine/${modelFolder}`);
      assert.equal((await chat.service.get(conversation.id))!.settings.model, undefined, 'it keeps following the workspace choice');
      // The editor tab is named after the conversation, and follows a rename.
      await waitUntil(
        () => panel.title === 'Say something',
        () => `tab title: ${panel.title}`,
      );
      await chat.service.rename(conversation.id, 'Tiny model check');
      await waitUntil(
        () => panel.title === 'Tiny model check',
        () => `tab title: ${panel.title}`,
      );
      panel.dispose();
    } finally {
      await models.select('chat', previous);
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('opens the chat in an editor panel', async () => {
    const { chat } = await api();
    const before = chat.panels.openCount;
    await vscode.commands.executeCommand('chatwright.chat.openInEditor');
    assert.equal(chat.panels.openCount, before + 1);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });
});
