import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import packageJson from '../../package.json';
import { repoRoot } from '../support/codeServer.mjs';
import { openChatwrightContainer, openWorkbench, screenshot, webviewFrame, type Workbench } from '../support/workbench';

describe('UI: the packaged extension in a real VS Code', { timeout: 180_000 }, () => {
  let workbench: Workbench;
  before(async () => {
    workbench = await openWorkbench({ workspace: join(repoRoot, 'examples', 'support-bot') });
  });
  after(async () => {
    await workbench?.close();
  });

  it('shows the Chat view in the Chatwright container, with the version and the model state', async () => {
    const { page } = workbench;
    await openChatwrightContainer(page);
    const chat = webviewFrame(page);
    await chat.locator('#model-state').waitFor({ timeout: 60_000 });
    assert.equal(await chat.locator('#model-state').textContent(), 'No model selected');
    assert.equal(await chat.locator('#extension-version').textContent(), `Version ${packageJson.version}`);
    await screenshot(page, 'chat-view');
  });

  it("runs a real command from the view's button: Open Chatwright Settings", async () => {
    const { page } = workbench;
    const chat = webviewFrame(page);
    await chat.locator('#open-settings').click();
    const settingsEditor = page.locator('.settings-editor');
    await settingsEditor.waitFor({ timeout: 30_000 });
    await page.locator('.settings-editor .setting-item-contents', { hasText: 'Report problems in JSON Lines' }).first().waitFor({ timeout: 30_000 });
    await chat.locator('#command-status[data-result="ok"]').waitFor({ timeout: 10_000 });
    assert.equal(await chat.locator('#command-status').textContent(), 'Done.');
    await screenshot(page, 'chat-view-settings');
  });
});
