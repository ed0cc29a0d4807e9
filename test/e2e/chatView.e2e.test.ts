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

  it('shows the Chat view in the Chatwright container, with one empty state whose main button picks a model', async () => {
    const { page } = workbench;
    await openChatwrightContainer(page);
    const chat = webviewFrame(page);
    await chat.locator('#model-state').waitFor({ timeout: 60_000 });
    assert.equal(await chat.locator('#model-state').textContent(), 'No model selected');
    assert.equal(await chat.locator('#extension-version').textContent(), `Version ${packageJson.version}`);
    assert.equal(await chat.locator('.empty-state').count(), 1);
    assert.equal(await chat.locator('.no-model').count(), 0, 'no second notice beside the empty state');
    assert.equal(await chat.locator('.empty-state .actions button').first().textContent(), 'Pick Chat Model…');
    // One "+": the view's own toolbar, not the view title as well.
    const viewActions = page.locator('.pane-header .actions-container');
    await viewActions.locator('a[aria-label^="Open Chat in Editor"]').first().waitFor({ timeout: 10_000 });
    assert.equal(await viewActions.locator('a[aria-label^="New Chat Conversation"]').count(), 0);
    await chat.locator('#new-conversation .codicon-add').waitFor();
    await screenshot(page, 'chat-view');
  });

  it('opens the settings drawer at the default sidebar width with whole choice lists', async () => {
    const { page } = workbench;
    const chat = webviewFrame(page);
    await chat.locator('.settings-toggle').click();
    await chat.locator('#composer-settings').waitFor();
    for (const id of ['setting-model', 'setting-template', 'setting-examples-file', 'setting-index']) {
      const box = await chat.locator(`#${id}`).boundingBox();
      assert.ok(box && box.width >= 140, `#${id} is ${box?.width}px wide`);
    }
    await screenshot(page, 'chat-view-settings-drawer');
    await chat.locator('.settings-toggle').click();
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
