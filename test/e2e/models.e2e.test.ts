import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { downloadToCache } from '../../src/core/hub/downloader';
import { selectFiles } from '../../src/core/hub/fileSelection';
import { getModelDetails, hubConnection } from '../../src/core/hub/hubClient';
import { repoRoot } from '../support/codeServer.mjs';
import { type HubServer, standardFixtures, startHubServer } from '../support/hubServer';
import { openChatwrightContainer, openWorkbench, runCommand, screenshot, type Workbench } from '../support/workbench';

describe('UI: the Models view and the model picker against a local Hub', { timeout: 240_000 }, () => {
  let hub: HubServer;
  let cache: string;
  let workbench: Workbench;

  before(async () => {
    hub = await startHubServer({ models: standardFixtures() });
    cache = mkdtempSync(join(tmpdir(), 'chatwright-e2e-hub-'));
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
    rmSync(cache, { recursive: true, force: true });
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
    await runCommand(page, 'Chatwright: Search Models on the Hugging Face Hub…');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor();
    await input.fill('tiny format:onnx');
    await page.keyboard.press('Enter');
    await tree.locator('.monaco-list-row', { hasText: 'chatwright-test/tiny-llama-onnx' }).waitFor({ timeout: 30_000 });
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
