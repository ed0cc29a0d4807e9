import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { repoRoot } from '../support/codeServer.mjs';
import { openWorkbench, runCommand, screenshot, webviewFrame, type Workbench } from '../support/workbench';

describe('UI: datasets — diagnostics in the Problems panel and the dataset report', { timeout: 240_000 }, () => {
  let workbench: Workbench;
  before(async () => {
    workbench = await openWorkbench({ workspace: join(repoRoot, 'test', 'fixtures', 'datasets') });
  });
  after(async () => {
    await workbench?.close();
  });
  afterEach(async (context) => {
    // Keep a picture of what the UI showed when a step failed.
    if (workbench && (context as { passed?: boolean }).passed === false) await screenshot(workbench.page, `datasets-failed-${Date.now()}`);
  });

  async function openFile(name: string): Promise<void> {
    const { page } = workbench;
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor();
    await input.fill(name);
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Enter');
    await page.locator(`.tab[aria-label^="${name}"]`).first().waitFor({ timeout: 30_000 });
  }

  it('lists the dataset problems of an opened file in the Problems panel', async () => {
    const { page } = workbench;
    await openFile('unrecognized-role.jsonl');
    await page.keyboard.press('Control+Shift+M');
    const problems = page.locator('.markers-panel .monaco-list-row');
    await problems.filter({ hasText: 'has the role "human"' }).first().waitFor({ timeout: 60_000 });
    await problems.filter({ hasText: 'has the role "bot"' }).first().waitFor({ timeout: 10_000 });
    assert.ok((await problems.count()) >= 2);
    await screenshot(page, 'datasets-problems-panel');
  });

  it('shows the dataset report with rows by format, problems by check and the token chart', async () => {
    const { page } = workbench;
    await openFile('duplicate-row.jsonl');
    await runCommand(page, 'Chatwright: Show Dataset Report');
    const report = webviewFrame(page);
    await report.locator('h1', { hasText: 'Dataset report: duplicate-row.jsonl' }).waitFor({ timeout: 90_000 });
    assert.match((await report.locator('.summary').textContent()) ?? '', /11 rows/);
    await report.locator('td', { hasText: 'duplicate-row' }).waitFor();
    await report.locator('h2', { hasText: 'Tokens per row (Qwen3' }).waitFor();
    assert.ok((await report.locator('svg.chart rect.bar').count()) > 1, 'the token histogram has bars');
    const summary = (await report.locator('.summary').textContent()) ?? '';
    assert.doesNotMatch(summary, /\(s\)|0\.00 MB/, 'plural forms and a human size');
    assert.match(summary, /\d+(\.\d)? KB|\d+ bytes/);
    assert.equal(await report.locator('svg.chart .axis-title', { hasText: 'Tokens per row' }).count(), 1, 'the chart titles its axes');
    // Every row has the same number of turns: a sentence, not a one-bar chart.
    assert.equal(await report.locator('svg.chart[aria-label="Rows by number of turns"]').count(), 0);
    await report.locator('#uniform-turns', { hasText: 'Every row has 2 turns.' }).waitFor();
    await screenshot(page, 'datasets-report');

    // A check opens its occurrences; an occurrence opens the file at its line.
    await report.locator('tr.finding[data-code="duplicate-row"] button.toggle').click();
    const occurrences = report.locator('#occurrences-duplicate-row button.occurrence');
    await occurrences.first().waitFor();
    assert.ok((await occurrences.count()) >= 1);
    const firstLine = Number(/Line (\d+)/.exec((await occurrences.first().textContent()) ?? '')?.[1]);
    await screenshot(page, 'datasets-report-occurrences');
    await report.locator('svg.chart').first().scrollIntoViewIfNeeded();
    await screenshot(page, 'datasets-report-chart');
    await occurrences.first().click();
    await page
      .locator('.editor-group-container .statusbar-item, .statusbar-item')
      .filter({ hasText: new RegExp(`Ln ${firstLine}, Col`) })
      .first()
      .waitFor({ timeout: 20_000 });
    await page.waitForTimeout(500);
    await screenshot(page, 'datasets-report-opened-line');
  });
});
