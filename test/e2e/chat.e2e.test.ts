import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type FrameLocator, type Page } from 'playwright-core';
import { repoRoot } from '../support/codeServer.mjs';
import { generateDecoderModel } from '../support/modelGenerator/index';
import { waitFor } from '../support/waitFor';
import { openChatwrightContainer, openWorkbench, runCommand, screenshot, webviewFrame, type Workbench } from '../support/workbench';
import { scratchDir } from '../support/scratchDir';

/**
 * The chat end to end in a real VS Code (code-server) with the packaged extension: a generated Qwen3-tokenizer
 * decoder in a Hugging Face cache (it answers a fixed script, so the citation is known), the sample workspace
 * indexed for RAG, and an OpenAI-compatible test server that streams slowly, to stop an answer mid-stream.
 */
const modelId = 'chatwright-test/tiny-qwen3';
/** A second runnable model in the cache: every one can be chosen per conversation. */
const secondModelId = 'chatwright-test/tiny-qwen3-second';
const scriptedAnswer = 'E42 means no heat call [1]. Check that the furnace switch is on, then clean its filter.';

function slowServer(): Promise<{ server: Server; baseUrl: string }> {
  const server = createServer((request, response) => {
    if (request.url?.endsWith('/models')) {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ data: [{ id: 'slow-model' }] }));
      return;
    }
    response.setHeader('content-type', 'text/event-stream');
    let i = 0;
    const timer = setInterval(() => {
      if (i >= 400 || response.destroyed) {
        clearInterval(timer);
        response.end('data: [DONE]\n\n');
        return;
      }
      response.write(`data: ${JSON.stringify({ choices: [{ delta: { content: `word${i++} ` } }] })}\n\n`);
    }, 40);
    // The response's close, not the request's: a request closes as soon as its body has been read.
    response.on('close', () => clearInterval(timer));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` })));
}

async function sendQuestion(chat: FrameLocator, text: string): Promise<void> {
  const input = chat.locator('#composer-input');
  await input.click();
  await input.fill(text);
  await input.press('Enter');
}

async function showSettings(chat: FrameLocator): Promise<void> {
  if (await chat.locator('#composer-settings').isHidden()) await chat.locator('.settings-toggle').click();
}

async function activeEditorTitle(page: Page): Promise<string> {
  return (await page.locator('.tabs-container .tab.active .label-name').first().textContent()) ?? '';
}

describe('UI: chat end to end in code-server', { timeout: 300_000 }, () => {
  let workbench: Workbench;
  let scratch: string;
  let slow: { server: Server; baseUrl: string };

  before(async () => {
    scratch = scratchDir('chat-e2e');
    for (const [id, script] of [
      [modelId, scriptedAnswer],
      [secondModelId, 'The second model.'],
    ] as const) {
      const repo = join(scratch, 'hf', 'hub', `models--${id.replace('/', '--')}`);
      const commit = 'c0ffee0000000000000000000000000000000001';
      generateDecoderModel(join(repo, 'snapshots', commit), { script, hiddenSize: 128 });
      mkdirSync(join(repo, 'refs'), { recursive: true });
      writeFileSync(join(repo, 'refs', 'main'), commit);
    }
    slow = await slowServer();
    workbench = await openWorkbench({
      workspace: join(repoRoot, 'examples', 'support-bot'),
      env: { HF_HOME: join(scratch, 'hf'), HF_HUB_OFFLINE: '1' },
      settings: { 'workbench.colorTheme': 'Default Dark Modern', 'chatwright.chat.endpoints': [{ id: 'slow', label: 'Slow test server', baseUrl: slow.baseUrl }] },
      viewport: { width: 1500, height: 950 },
    });
  });

  after(async () => {
    await workbench?.close();
    slow?.server.close();
  });

  it('picks the generated model through the command, which the open conversation then uses, and streams an answer', async () => {
    const { page } = workbench;
    await openChatwrightContainer(page);
    const chat = webviewFrame(page);
    await chat
      .locator('#composer-input')
      .waitFor({ timeout: 90_000 })
      .catch(async (error: unknown) => {
        await screenshot(page, 'chat-e2e-failed-open');
        throw error;
      });
    await chat.locator('#model-state[data-state="none"]').waitFor({ timeout: 30_000 });
    await runCommand(page, 'Chatwright: Pick Chat Model…');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: modelId }).first().click({ timeout: 60_000 });
    // No second step: the conversation shows the model at once, and sending works.
    await chat.locator('#model-state[data-state="selected"]', { hasText: modelId }).waitFor({ timeout: 30_000 });
    assert.match((await chat.locator('#settings-summary').textContent()) ?? '', new RegExp(`^${modelId}`));
    await showSettings(chat);
    await chat.locator(`#setting-model option[value="engine/${secondModelId}"]`).waitFor({ state: 'attached', timeout: 30_000 });
    assert.equal(await chat.locator('#setting-model option', { hasText: 'not available' }).count(), 0);
    await chat.locator('.settings-toggle').click();
    await sendQuestion(chat, 'What does E42 mean?');
    const answer = chat.locator('.message.assistant').last();
    await answer.locator('.stats').waitFor({ timeout: 120_000 });
    assert.equal(await answer.getAttribute('data-status'), 'done', (await answer.textContent()) ?? '');
    assert.equal((await answer.locator('.message-body').textContent())?.trim(), scriptedAnswer);
    assert.match((await answer.locator('.stats').textContent()) ?? '', /^\d+ prompt tokens · \d+ tokens · first token \d+(\.\d)? m?s · [\d.]+ tokens\/s/);
  });

  it('stops an answer mid-stream', async () => {
    const { page } = workbench;
    const chat = webviewFrame(page);
    await showSettings(chat);
    await chat.locator('#setting-model option[value="slow/slow-model"]').waitFor({ state: 'attached', timeout: 30_000 });
    await chat.locator('#setting-model').selectOption('slow/slow-model');
    await sendQuestion(chat, 'Count slowly.');
    const answer = chat.locator('.message.assistant').last();
    await answer.locator('.message-body', { hasText: 'word5 ' }).waitFor({ timeout: 30_000 });
    await chat.locator('#stop-button').click();
    await answer.locator('.stopped-note').waitFor({ timeout: 15_000 });
    const words = ((await answer.locator('.message-body').textContent()) ?? '').trim().split(/\s+/).length;
    assert.ok(words >= 5 && words < 400, `stopped after ${words} words`);
  });

  it('answers with a template, few-shot examples and RAG, and a citation opens the cited range', async () => {
    const { page } = workbench;
    await runCommand(page, 'Chatwright: Index Workspace Documents');
    // The Index view shows the counts once the folder is indexed (lexical only: no embedding model here).
    await page
      .locator('.monaco-list-row', { hasText: /\d+ files · \d+ chunks/ })
      .first()
      .waitFor({ timeout: 60_000 })
      .catch(() => page.waitForTimeout(5000));
    const chat = webviewFrame(page);
    await chat.locator('#new-conversation').click();
    // Settings chosen before the host's new, empty conversation arrives belong to the one still shown.
    await waitFor(async () => ((await chat.locator('.message').count()) === 0 ? true : undefined), 'the new conversation');
    await showSettings(chat);
    await chat.locator(`#setting-model option[value="engine/${modelId}"]`).waitFor({ state: 'attached' });
    await chat.locator('#setting-model').selectOption(`engine/${modelId}`);
    await chat.locator('#setting-template').selectOption('prompts/support.prompty');
    await chat.locator('#setting-few-shot').check();
    await chat.locator('#setting-examples-file').selectOption('data/examples.jsonl');
    await chat.locator('#setting-rag').check();
    await sendQuestion(chat, 'What does error E42 mean?');
    const answer = chat.locator('.message.assistant').last();
    await answer.locator('.stats').waitFor({ timeout: 120_000 });
    await answer.locator('details.model-input summary').click();
    const saw = (await answer.locator('details.model-input').textContent()) ?? '';
    assert.match(saw, /template prompts\/support\.prompty/);
    assert.match(saw, /data\/examples\.jsonl:\d+/);
    assert.match(saw, /\[1\] docs\/troubleshooting\.md:\d+-\d+/);
    // Each retrieved passage once: in the list, and as a pointer in the system message.
    const passageText = (await answer.locator('.passage-text').first().textContent()) ?? '';
    assert.ok(passageText.length > 0);
    assert.equal(saw.split(passageText).length - 1, 1, 'the first passage appears once in what the model saw');
    // The settings box takes most of a sidebar view shared with two others: closed, the answer shows.
    await chat.locator('.settings-toggle').click();
    await answer.locator('details.model-input .turn.system').first().scrollIntoViewIfNeeded();
    await screenshot(page, 'chat-answer-dark');
    await answer.locator('.message-body button.citation[data-citation="1"]').click();
    await page.locator('.tabs-container .tab.active', { hasText: 'troubleshooting.md' }).waitFor({ timeout: 20_000 });
    assert.equal(await activeEditorTitle(page), 'troubleshooting.md');
    const cited = readFileSync(join(workbench.workspace, 'docs', 'troubleshooting.md'), 'utf8');
    assert.ok(cited.includes('E42'));
    // The status bar shows the selection: the cited lines are selected.
    assert.match((await page.locator('.statusbar-item[id="status.editor.selection"]').textContent()) ?? '', /Ln \d+, Col \d+ \(\d+ selected\)/);
  });

  it('adds the answer to a dataset chosen in a quick pick', async () => {
    const { page } = workbench;
    const chat = webviewFrame(page);
    const before = readFileSync(join(workbench.workspace, 'data', 'train.jsonl'), 'utf8')
      .trimEnd()
      .split('\n').length;
    await chat.locator('.message.assistant').last().locator('[data-action="add-to-dataset"]').click();
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'data/train.jsonl' }).first().click({ timeout: 20_000 });
    await page.locator('.notifications-toasts', { hasText: 'Added the exchange to data/train.jsonl' }).waitFor({ timeout: 20_000 });
    const lines = readFileSync(join(workbench.workspace, 'data', 'train.jsonl'), 'utf8')
      .trimEnd()
      .split('\n');
    assert.equal(lines.length, before + 1);
    const row = JSON.parse(lines.at(-1)!) as { messages: { role: string; content: string }[] };
    assert.deepEqual(
      row.messages.map((m) => m.role),
      ['system', 'user', 'assistant'],
    );
    assert.equal(row.messages.at(-1)!.content, scriptedAnswer);
  });

  it('opens the conversation in an editor panel, and looks right in the dark and light themes (screenshots)', async () => {
    const { page } = workbench;
    const chat = webviewFrame(page);
    if (await chat.locator('#composer-settings').isVisible()) await chat.locator('.settings-toggle').click();
    await runCommand(page, 'Chatwright: Open Chat in Editor');
    // The tab is named after the conversation.
    await page.locator('.tabs-container .tab.active', { hasText: 'What does error E42 mean?' }).first().waitFor({ timeout: 30_000 });
    await page.waitForFunction(
      () => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('iframe.webview.ready').length >= 2,
      undefined,
      { timeout: 30_000 },
    );
    // Both webviews (the view and the panel) show the conversation before the screenshot is taken.
    for (const nth of [0, 1]) await page.frameLocator(`iframe.webview.ready >> nth=${nth}`).frameLocator('#active-frame').locator('.message.assistant').first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(500);
    await screenshot(page, 'chat-panel-dark');
    await page.keyboard.press('Control+K');
    await page.keyboard.press('Control+T');
    const rows = page.locator('.quick-input-widget .monaco-list-row');
    await rows
      .first()
      .waitFor({ timeout: 20_000 })
      .catch(async (error: unknown) => {
        await screenshot(page, 'chat-e2e-failed-theme');
        throw error;
      });
    await page.keyboard.type('Light Modern');
    await rows.filter({ hasText: 'Light Modern' }).first().waitFor({ timeout: 20_000 });
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 20_000 });
    // The workbench turns light (its editor background), then the webviews follow with the new theme variables.
    await page.locator('.monaco-workbench.vs').waitFor({ timeout: 20_000 });
    await page.waitForTimeout(2000);
    await screenshot(page, 'chat-panel-light');
  });
});
