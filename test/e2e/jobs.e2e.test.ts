import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { type Page } from 'playwright-core';
import { repoRoot } from '../support/codeServer.mjs';
import { scratchDir } from '../support/scratchDir';
import { openWorkbench, runCommand, screenshot, webviewFrame, type Workbench } from '../support/workbench';

/**
 * The job page of a finished run, opened from the command palette in a real VS Code (code-server): the fixture run
 * folder (test/fixtures/jobs/finished-run, the stand-in trainer's output) sits in the workspace's .chatwright/runs.
 */
/** What these tests touch of a DOM element inside the page (the test files compile without the DOM library). */
interface DomElement {
  setAttribute(name: string, value: string): void;
  querySelector(selector: string): DomElement | null;
  getBoundingClientRect(): { top: number; bottom: number };
}

/**
 * Runs a command that the palette lists only once the extension has activated and set its context key
 * (`chatwright.jobs.any`): an open palette does not refresh its list, so it is opened again until the command shows.
 */
async function runCommandOnceShown(page: Page, title: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor();
    await input.fill(`>${title}`);
    const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
    if (
      await row.waitFor({ timeout: 3_000 }).then(
        () => true,
        () => false,
      )
    ) {
      await page.keyboard.press('Enter');
      return;
    }
    await page.keyboard.press('Escape');
    if (Date.now() > deadline) throw new Error(`"${title}" never showed in the command palette`);
    await page.waitForTimeout(1_000);
  }
}

describe('UI: the job page of a finished fine-tuning run', { timeout: 300_000 }, () => {
  const runName = '20261204-101500-support-bot';
  let workbench: Workbench;
  before(async () => {
    const workspace = join(scratchDir('e2e-jobs'), 'support-bot');
    const runDir = join(workspace, '.chatwright', 'runs', runName);
    cpSync(join(repoRoot, 'test', 'fixtures', 'jobs', 'finished-run'), runDir, { recursive: true });
    // The job file the run came from (the run folder keeps a copy): a workspace with jobs has one, and it activates the jobs feature.
    cpSync(join(runDir, 'job.yaml'), join(workspace, 'support-bot.job.yaml'));
    workbench = await openWorkbench({ workspace, settings: { 'workbench.colorTheme': 'Default Dark Modern' }, viewport: { width: 1400, height: 1000 } });
  });
  after(async () => {
    await workbench?.close();
  });
  afterEach(async (context) => {
    if (workbench && (context as { passed?: boolean }).passed === false) await screenshot(workbench.page, `jobs-failed-${Date.now()}`);
  });

  it('opens through "Chatwright: Show Job Page" with the charts, the header and the actions of a done job', async () => {
    const { page } = workbench;
    await runCommandOnceShown(page, 'Chatwright: Show Job Page');
    const pick = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'support-bot' }).first();
    await pick.waitFor({ timeout: 60_000 });
    await page.keyboard.press('Enter');
    const job = webviewFrame(page);
    await job.locator('figure.chart[data-chart="loss"][data-points="120"] canvas').waitFor({ timeout: 90_000 });
    for (const chart of ['learning-rate', 'tokens-per-second', 'gpu-memory']) await job.locator(`figure.chart[data-chart="${chart}"][data-points="120"] canvas`).waitFor();
    // uPlot's stylesheet travelled in the VSIX: without it the legend is drawn over the plot instead of below it.
    const [plotBottom, legendTop] = await job
      .locator('figure.chart[data-chart="loss"]')
      .evaluate((figure: DomElement) => [figure.querySelector('canvas')!.getBoundingClientRect().bottom, figure.querySelector('.u-legend')!.getBoundingClientRect().top]);
    assert.ok(legendTop >= plotBottom - 1, `the legend (top ${legendTop}) sits below the plot (bottom ${plotBottom})`);
    assert.equal(await job.locator('#job-name').textContent(), 'support-bot');
    assert.equal(await job.locator('#job-status').textContent(), 'Done');
    assert.equal(await job.locator('#job-step dd').textContent(), '120 / 120');
    assert.match((await job.locator('figure.chart[data-chart="loss"] .chart-latest').textContent()) ?? '', /Train loss 0\.\d+ · Eval loss 0\.\d+ \(step 120\)/);
    assert.equal(await job.locator('#action-stop').isDisabled(), true);
    assert.equal(await job.locator('#action-stop').getAttribute('title'), 'The job is not running.');
    assert.equal(await job.locator('#action-chat').isDisabled(), false);
    assert.equal(await job.locator('#checkpoints-table tbody tr').count(), 3);
    assert.match((await job.locator('#environment-table').textContent()) ?? '', /Stand-in GPU/);
    await job.locator('#config summary').waitFor();
    // Off the charts, so no hover legend or tooltip is caught in the picture.
    await page.mouse.move(5, 500);
    await page.waitForTimeout(500);
    await screenshot(page, 'job-page');
  });

  it('redraws the charts in the colours of a light theme', async () => {
    const { page } = workbench;
    const job = webviewFrame(page);
    await job.locator('figure.chart[data-chart="loss"] canvas').evaluate((canvas: DomElement) => canvas.setAttribute('data-theme', 'before'));
    assert.equal(await job.locator('figure.chart[data-chart="loss"] canvas[data-theme="before"]').count(), 1);
    await runCommand(page, 'Preferences: Toggle between Light/Dark Themes');
    await page.locator('.monaco-workbench.vs').waitFor({ timeout: 30_000 });
    // A rebuilt chart has a new canvas: the marked one is gone once the page has seen the theme change.
    const deadline = Date.now() + 30_000;
    while ((await job.locator('figure.chart[data-chart="loss"] canvas[data-theme="before"]').count()) > 0) {
      assert.ok(Date.now() < deadline, 'the charts were not redrawn after the theme changed');
      await page.waitForTimeout(200);
    }
    await job.locator('figure.chart[data-chart="loss"][data-points="120"] canvas').waitFor();
    await page.mouse.move(5, 500);
    await page.waitForTimeout(500);
    await screenshot(page, 'job-page-light');
  });
});
