import assert from 'node:assert/strict';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from '../support/codeServer.mjs';
import { openChatwrightContainer, openWorkbench, runCommand, screenshot, type Workbench } from '../support/workbench';

describe('UI: the retrieval index (Index view, Search Index)', { timeout: 240_000 }, () => {
  let workbench: Workbench;
  before(async () => {
    workbench = await openWorkbench({ workspace: join(repoRoot, 'examples', 'support-bot') });
  });
  after(async () => {
    await workbench?.close();
  });

  it('shows the Index view with the folder, its files and chunk counts', async () => {
    const { page } = workbench;
    await openChatwrightContainer(page);
    const header = page.locator('.pane-header', { hasText: /^\s*Index/ }).first();
    await header.waitFor({ timeout: 60_000 });
    if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
    const folder = page.locator('.monaco-list-row', { hasText: basename(workbench.workspace) }).first();
    await folder.waitFor({ timeout: 60_000 });
    await page.locator('.monaco-list-row', { hasText: /4 files · \d+ chunks · lexical only/ }).first().waitFor({ timeout: 60_000 });
    const files = page.locator('.monaco-list-row', { hasText: 'Files (4)' }).first();
    await files.click();
    await page.locator('.monaco-list-row', { hasText: 'docs/schedules.md' }).first().waitFor({ timeout: 30_000 });
    assert.ok(await page.locator('.monaco-list-row', { hasText: /docs\/schedules\.md.*\d+ chunks?/ }).count() >= 1);
    await page.locator('.monaco-list-row', { hasText: 'Lexical search only' }).first().waitFor({ timeout: 10_000 });
    await screenshot(page, 'rag-index-view');
  });

  it('searches from the palette and opens the passage at its lines', async () => {
    const { page } = workbench;
    await runCommand(page, 'Chatwright: Search Index');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor();
    await input.fill('eco mode set point');
    const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'docs/schedules.md' }).first();
    await row.waitFor({ timeout: 30_000 });
    assert.match((await page.locator('.quick-input-widget .monaco-list-row').first().textContent()) ?? '', /Eco mode.*docs\/schedules\.md:\d+-\d+/);
    await screenshot(page, 'rag-search-quick-pick');
    await page.keyboard.press('Enter');
    await page.locator('.tab.active', { hasText: 'schedules.md' }).waitFor({ timeout: 30_000 });
    await page.locator('.monaco-editor .selected-text').first().waitFor({ timeout: 10_000 });
    await screenshot(page, 'rag-search-opened');
  });
});
