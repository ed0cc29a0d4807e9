import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from '../support/codeServer.mjs';
import { openChatwrightContainer, openWorkbench, runCommand, screenshot, type Workbench } from '../support/workbench';

describe('UI: the getting-started walkthrough', { timeout: 180_000 }, () => {
  let workbench: Workbench;

  before(async () => {
    workbench = await openWorkbench({ workspace: join(repoRoot, 'examples', 'support-bot') });
  });

  after(async () => {
    await workbench?.close();
  });

  it('opens from "Chatwright: Get Started" with its steps, each with a button', async () => {
    const { page } = workbench;
    // The extension's contributions are in once its container is on the activity bar.
    await openChatwrightContainer(page);
    // Keys typed while the Chat webview has the focus stay in its frame: give the focus back to the workbench.
    const chatHeader = page.locator('.pane-header', { hasText: 'Chat' }).first();
    await chatHeader.waitFor({ timeout: 60_000 });
    if ((await chatHeader.getAttribute('aria-expanded')) === 'true') await chatHeader.click();
    await page.locator('.pane-header', { hasText: 'Models' }).first().click();
    await runCommand(page, 'Chatwright: Get Started');
    const walkthrough = page.locator('.gettingStartedContainer');
    await walkthrough.getByText('Build a Chatbot', { exact: true }).first().waitFor({ timeout: 60_000 });
    for (const title of ['Choose a model', 'Write a prompt template', 'Add few-shot examples', 'Index your documents', 'Chat with your bot', 'Check a fine-tuning dataset']) {
      assert.ok(await walkthrough.getByText(title, { exact: true }).count(), `step "${title}" is listed`);
    }
    await walkthrough.getByRole('button', { name: 'Pick a Chat Model' }).first().waitFor({ timeout: 20_000 });
    assert.ok(await walkthrough.getByRole('button', { name: 'Use a Local Model Folder' }).count(), 'the local folder is offered next to the Hub');
    // The step's Markdown page renders beside the steps.
    await page.frameLocator('iframe.webview.ready').frameLocator('#active-frame').getByText('HF_HUB_OFFLINE=1').first().waitFor({ timeout: 30_000 });
    await screenshot(page, 'walkthrough');
  });

  it('opens the step a button stands for: Index your documents', async () => {
    const { page } = workbench;
    const walkthrough = page.locator('.gettingStartedContainer');
    await walkthrough.getByText('Index your documents', { exact: true }).click();
    await walkthrough.getByRole('button', { name: 'Index Workspace Documents' }).first().waitFor({ timeout: 20_000 });
    await page.frameLocator('iframe.webview.ready').frameLocator('#active-frame').getByText('chatwright.rag.include').first().waitFor({ timeout: 30_000 });
    await screenshot(page, 'walkthrough-index-step');
  });
});
