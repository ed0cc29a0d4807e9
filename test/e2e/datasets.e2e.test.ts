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
    assert.ok((await report.locator('svg.chart rect.bar').count()) > 1, 'the token and turn histograms have bars');
    await screenshot(page, 'datasets-report');
  });
});
