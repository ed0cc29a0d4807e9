import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { downloadToCache } from '../../src/core/hub/downloader';
import { selectFiles } from '../../src/core/hub/fileSelection';
import { getModelDetails, hubConnection } from '../../src/core/hub/hubClient';
import { repoRoot } from '../support/codeServer.mjs';
import { type HubServer, standardFixtures, startHubServer } from '../support/hubServer';
import { openChatwrightContainer, openWorkbench, runCommand, screenshot, type Workbench } from '../support/workbench';
import { scratchDir } from '../support/scratchDir';

describe('UI: the Models view and the model picker against a local Hub', { timeout: 240_000 }, () => {
  let hub: HubServer;
  let cache: string;
  let workbench: Workbench;

  before(async () => {
    hub = await startHubServer({ models: standardFixtures() });
    cache = scratchDir('e2e-hub');
    const env = { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache };
    // One model already in the cache, downloaded by the same core the extension uses.
    const connection = hubConnection(env);
    const details = await getModelDetails(connection, 'chatwright-test/tiny-minilm');
    await downloadToCache({ connection, repoId: details.id, revision: 'main', commit: details.commit, files: selectFiles(details.repoFiles, 'onnx').files, env });
    workbench = await openWorkbench({ workspace: join(repoRoot, 'examples', 'support-bot'), env });
  });

  after(async () => {
    await workbench?.close();
    await hub?.close();
  });

  it('shows the selection, the local cache and a Hub search in the Models view', async () => {
    const { page } = workbench;
    await openChatwrightContainer(page);
    const header = page.locator('.pane-header', { hasText: 'Models' }).first();
    await header.waitFor({ timeout: 60_000 });
    if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
    const tree = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Models' }) }).first();
    await tree.locator('.monaco-list-row', { hasText: 'chatwright-test/tiny-minilm' }).waitFor({ timeout: 60_000 });
    assert.ok(await tree.locator('.monaco-list-row', { hasText: /Chat model\s*not chosen$/ }).count(), 'short enough to read at the sidebar width; how to choose is in the tooltip');
    assert.ok(await tree.locator('.monaco-list-row', { hasText: /Local cache\s*1 model · / }).count(), 'the count says what it counts');
    // The search results go below the cache: give the Models view the Index view's room (the sidebar holds four views).
    const indexHeader = page.locator('.pane-header', { hasText: /^\s*Index/ }).first();
    if ((await indexHeader.getAttribute('aria-expanded')) === 'true') await indexHeader.click();
    await runCommand(page, 'Chatwright: Search Models on the Hugging Face Hub…');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor();
    await input.fill('tiny format:onnx');
    await page.keyboard.press('Enter');
    await tree
      .locator('.monaco-list-row', { hasText: 'chatwright-test/tiny-llama-onnx' })
      .waitFor({ timeout: 30_000 })
      .catch(async (error: unknown) => {
        await screenshot(page, 'models-view-search-failed');
        throw error;
      });
    assert.ok(await tree.locator('.monaco-list-row', { hasText: 'onnx fp32,fp16,q8,int8,q4' }).count(), 'formats and quantizations are listed');
    await screenshot(page, 'models-view');
  });

  it('offers Hub models for the role in the chat picker, with what Chatwright can do with each', async () => {
    const { page } = workbench;
    await runCommand(page, 'Chatwright: Pick Chat Model…');
    const rows = page.locator('.quick-input-widget .monaco-list-row');
    await rows.filter({ hasText: 'chatwright-test/tiny-llama-onnx' }).first().waitFor({ timeout: 30_000 });
    assert.ok(await rows.filter({ hasText: 'ONNX engine' }).count(), 'capabilities are shown');
    assert.ok(await rows.filter({ hasText: 'GGUF only' }).count(), 'and why a model cannot run');
    assert.equal(await rows.filter({ hasText: 'chatwright-test/tiny-minilm' }).count(), 0, 'the cached embedder is not offered as a chat model');
    await screenshot(page, 'models-picker');
    await page.keyboard.press('Escape');
  });

  it('offers the cached embedder first in the embedding picker', async () => {
    const { page } = workbench;
    await runCommand(page, 'Chatwright: Pick Embedding Model…');
    const rows = page.locator('.quick-input-widget .monaco-list-row');
    await rows.filter({ hasText: 'in the cache' }).first().waitFor({ timeout: 30_000 });
    assert.ok(await rows.filter({ hasText: 'chatwright-test/tiny-minilm' }).count());
    await screenshot(page, 'models-picker-embedding');
    await page.keyboard.press('Escape');
  });
});

describe('UI: the Models view without a Hub: welcome, the unreachable Hub as an error, offline mode, a local folder', { timeout: 300_000 }, () => {
  let cache: string;
  let modelFolder: string;
  let workbench: Workbench;

  before(async () => {
    cache = scratchDir('e2e-nohub');
    // A model in the Hugging Face layout, as someone would copy it from another machine.
    modelFolder = join(cache, 'my-local-chat');
    mkdirSync(join(modelFolder, 'onnx'), { recursive: true });
    writeFileSync(join(modelFolder, 'config.json'), '{"model_type":"llama"}');
    writeFileSync(join(modelFolder, 'tokenizer.json'), '{"version":"1.0","model":{"type":"WordLevel","vocab":{"a":0}}}');
    writeFileSync(join(modelFolder, 'generation_config.json'), '{}');
    writeFileSync(join(modelFolder, 'onnx', 'model_q4.onnx'), 'weights');
    // Port 9 (discard): nothing answers, as on a machine without network.
    workbench = await openWorkbench({ workspace: join(repoRoot, 'examples', 'support-bot'), env: { HF_ENDPOINT: 'http://127.0.0.1:9', HF_HUB_CACHE: join(cache, 'hub') } });
  });

  after(async () => {
    await workbench?.close();
  });

  const modelsPane = (workbench: Workbench) => workbench.page.locator('.pane', { has: workbench.page.locator('.pane-header', { hasText: 'Models' }) }).first();

  it('welcomes with the next steps when no model is on the machine', async () => {
    const { page } = workbench;
    await openChatwrightContainer(page);
    const header = page.locator('.pane-header', { hasText: 'Models' }).first();
    await header.waitFor({ timeout: 60_000 });
    if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
    // The Chat view is a webview and has nothing to do with this; collapsed, the Models view gets the room.
    const chatHeader = page.locator('.pane-header', { hasText: 'Chat' }).first();
    if ((await chatHeader.getAttribute('aria-expanded')) === 'true') await chatHeader.click();
    const welcome = modelsPane(workbench).locator('.welcome-view-content');
    await welcome.getByText('No model on this machine yet', { exact: false }).waitFor({ timeout: 60_000 });
    assert.ok(await welcome.getByRole('button', { name: 'Pick a Chat Model…' }).count());
    assert.ok(await welcome.getByRole('button', { name: 'Use a Local Model Folder…' }).count());
    await screenshot(page, 'models-welcome');
  });

  it('shows an unreachable Hub as an error notification with Retry, Work Offline and Use a Local Model Folder…', async () => {
    const { page } = workbench;
    await runCommand(page, 'Chatwright: Search Models on the Hugging Face Hub…');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor();
    await input.fill('qwen');
    await page.keyboard.press('Enter');
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'Cannot reach the Hub at http://127.0.0.1:9' }).first();
    await toast.waitFor({ timeout: 30_000 });
    for (const action of ['Retry', 'Work Offline', 'Use a Local Model Folder…']) assert.ok(await toast.getByRole('button', { name: action }).count(), `the notification offers ${action}`);
    assert.equal(await modelsPane(workbench).locator('.monaco-list-row', { hasText: 'Cannot reach' }).count(), 0, 'the error is not a row of the view');
    await modelsPane(workbench).locator('.welcome-view-content').getByText('The Hugging Face Hub cannot be reached', { exact: false }).waitFor({ timeout: 20_000 });
    await screenshot(page, 'models-hub-unreachable');
    await toast.getByRole('button', { name: 'Work Offline' }).click();
    await modelsPane(workbench).locator('.welcome-view-content').getByText('Offline mode is on', { exact: false }).waitFor({ timeout: 20_000 });
    await screenshot(page, 'models-offline-welcome');
  });

  it('uses a local model folder for chat and lists it in the Models view', async () => {
    const { page } = workbench;
    await runCommand(page, 'Chatwright: Use a Local Model Folder…');
    // code-server's folder dialog is VS Code's simple file dialog: a quick input that takes a path, and an OK button.
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor();
    // The dialog fills in its starting folder asynchronously and can overwrite what was typed first: type until it stays.
    for (let attempt = 0; attempt < 20 && (await input.inputValue()) !== `${modelFolder}/`; attempt++) {
      await input.fill(`${modelFolder}/`);
      await page.waitForTimeout(500);
    }
    assert.equal(await input.inputValue(), `${modelFolder}/`, 'the folder dialog took the path');
    await page.waitForTimeout(500);
    const ok = page.locator('.quick-input-widget .monaco-button', { hasText: 'Use This Folder' }).first();
    if (await ok.isVisible()) await ok.click();
    else await page.keyboard.press('Enter');
    const role = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Use for Chat' }).first();
    try {
      await role.waitFor({ timeout: 30_000 });
    } catch (error) {
      await screenshot(page, 'models-local-folder-dialog-failed');
      throw error;
    }
    await role.click();
    const pane = modelsPane(workbench);
    await pane.locator('.monaco-list-row', { hasText: 'Local folders' }).waitFor({ timeout: 30_000 });
    await pane.locator('.monaco-list-row', { hasText: 'my-local-chat (local folder)' }).waitFor({ timeout: 30_000 });
    await screenshot(page, 'models-local-folder');
  });

  it('offline, the chat picker lists the local folder first and the suggestion after it, marked as needing a download', async () => {
    const { page } = workbench;
    await runCommand(page, 'Chatwright: Pick Chat Model…');
    const rows = page.locator('.quick-input-widget .monaco-list-row');
    await rows.filter({ hasText: 'needs a download' }).first().waitFor({ timeout: 30_000 });
    const texts = await rows.allInnerTexts();
    const local = texts.findIndex((text) => text.includes('my-local-chat'));
    const suggestion = texts.findIndex((text) => text.includes('Qwen2.5-0.5B-Instruct'));
    assert.ok(local >= 0 && suggestion > local, `the local folder (${local}) comes before the suggestion (${suggestion}): ${texts.join(' | ')}`);
    assert.match(texts[suggestion] ?? '', /needs a download/);
    assert.ok(await rows.filter({ hasText: 'Offline mode is on' }).count(), 'the picker says why');
    await screenshot(page, 'models-picker-offline');
    await page.keyboard.press('Escape');
  });
});
