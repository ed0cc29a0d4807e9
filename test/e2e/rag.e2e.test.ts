import assert from 'node:assert/strict';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from '../support/codeServer.mjs';
import type { Locator } from 'playwright-core';
import { openChatwrightContainer, openWorkbench, runCommand, screenshot, type Workbench } from '../support/workbench';

/** A row's label is drawn whole at the sidebar's width: its text ends inside the row, not under an ellipsis. */
async function assertNotCutOff(row: Locator): Promise<void> {
  const label = await row.locator('.label-name').first().boundingBox();
  const box = await row.boundingBox();
  assert.ok(label && box, 'the row and its label are on screen');
  assert.ok(label.x + label.width <= box.x + box.width, `"${await row.locator('.label-name').first().textContent()}" ends at ${label.x + label.width}, past the row's edge at ${box.x + box.width}`);
}

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
    await page
      .locator('.monaco-list-row', { hasText: /4 files · just now/ })
      .first()
      .waitFor({ timeout: 60_000 });
    const files = page.locator('.monaco-list-row', { hasText: 'Files (4)' }).first();
    await files.click();
    const schedules = page.locator('.monaco-list-row', { hasText: /^\s*schedules\.md/ }).first();
    await schedules.waitFor({ timeout: 30_000 });
    assert.match((await schedules.textContent()) ?? '', /schedules\.md\s*\d+ chunks? · docs/, 'the file name first, then its chunks and folder');
    const lexical = page.locator('.monaco-list-row', { hasText: 'Lexical search only' }).first();
    await lexical.waitFor({ timeout: 10_000 });
    await assertNotCutOff(lexical);
    await assertNotCutOff(schedules);
    // Off the tree, so the hover of the row just clicked does not cover the rows in the screenshot.
    await page.mouse.move(1000, 600);
    const indexPane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /^\s*Index/ }) }).first();
    for (const action of ['Pause Indexing', 'Resume Indexing', 'Cancel Indexing']) {
      assert.equal(await indexPane.locator(`.pane-header .action-label[aria-label^="${action}"]`).count(), 0, `${action} is not offered while nothing is indexing`);
    }
    assert.equal(await indexPane.locator('.pane-header .action-label[aria-label^="Search Index"]').count(), 1);
    await screenshot(page, 'rag-index-view');
    await lexical.hover();
    await page.locator('.monaco-hover', { hasText: 'Keyword (BM25) search only' }).first().waitFor({ timeout: 10_000 });
    await screenshot(page, 'rag-index-lexical-tooltip');
    await page.mouse.move(1000, 600);
  });

  it('offers Pause, Resume and Cancel Indexing in the palette only while indexing', async () => {
    const { page } = workbench;
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor();
    const rows = page.locator('.quick-input-widget .monaco-list-row');
    for (const title of ['Pause Indexing', 'Resume Indexing', 'Cancel Indexing']) {
      // The palette answers each keystroke at once; a command it lists shows well within this second.
      await input.fill(`>Chatwright: ${title}`);
      await page.waitForTimeout(1_000);
      assert.equal(await rows.filter({ hasText: title }).count(), 0, `${title} is not offered while nothing is indexing`);
    }
    await input.fill('>Chatwright: Rebuild Index');
    await rows.filter({ hasText: 'Rebuild Index' }).first().waitFor({ timeout: 5_000 });
    await page.keyboard.press('Escape');
  });

  it('searches from the palette and opens the passage at its lines', async () => {
    const { page } = workbench;
    await runCommand(page, 'Chatwright: Search Index');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor();
    await input.fill('eco mode set point');
    const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'docs/schedules.md' }).first();
    await row.waitFor({ timeout: 30_000 });
    const first = (await page.locator('.quick-input-widget .monaco-list-row').first().textContent()) ?? '';
    assert.match(first, /Eco mode.*docs\/schedules\.md:\d+-\d+.*#1 ●●●●● 100%/, 'ranked, with a bar relative to the best hit');
    assert.doesNotMatch(first, /\d\.\d{3}/, 'no raw BM25 score');
    await screenshot(page, 'rag-search-quick-pick');
    await page.keyboard.press('Enter');
    await page.locator('.tab.active', { hasText: 'schedules.md' }).waitFor({ timeout: 30_000 });
    await page.locator('.monaco-editor .selected-text').first().waitFor({ timeout: 10_000 });
    await screenshot(page, 'rag-search-opened');
  });
});
