import assert from 'node:assert/strict';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { type Page } from 'playwright-core';
import { repoRoot } from '../support/codeServer.mjs';
import { scratchDir } from '../support/scratchDir';
import { jobsViewRow, openWorkbench, screenshot, webviewWith, type Workbench } from '../support/workbench';

/**
 * What a newcomer sees of fine-tuning jobs in a real VS Code (code-server): the example workspace (examples/support-bot,
 * whose `support.job.yaml` names a Hub model that is not downloaded) with a finished run in `.chatwright/runs`. The
 * Hugging Face cache is an empty folder and the Hub endpoint a closed port, so nothing is found or fetched.
 */
describe('UI: the Jobs view, a job file and its preflight, as a newcomer sees them', { timeout: 300_000 }, () => {
  const runName = '20261204-101500-support-bot';
  const jobFileName = 'support.job.yaml';
  let workbench: Workbench;
  before(async () => {
    const root = scratchDir('e2e-jobs-view');
    const workspace = join(root, 'support-bot');
    cpSync(join(repoRoot, 'examples', 'support-bot'), workspace, { recursive: true });
    cpSync(join(repoRoot, 'test', 'fixtures', 'jobs', 'finished-run'), join(workspace, '.chatwright', 'runs', runName), { recursive: true });
    const emptyCache = join(root, 'hf-home');
    mkdirSync(join(emptyCache, 'hub'), { recursive: true });
    workbench = await openWorkbench({
      workspace,
      settings: { 'workbench.colorTheme': 'Default Dark Modern' },
      // Tall enough that the job file's `r:` line shows below its CodeLens without scrolling.
      viewport: { width: 1400, height: 1000 },
      env: { HF_HOME: emptyCache, HF_HUB_CACHE: join(emptyCache, 'hub'), HF_ENDPOINT: 'http://127.0.0.1:9', HF_HUB_OFFLINE: '1' },
    });
  });
  after(async () => {
    await workbench?.close();
  });
  afterEach(async (context) => {
    if (workbench && (context as { passed?: boolean }).passed === false) await screenshot(workbench.page, `jobs-view-failed-${Date.now()}`);
  });

  async function openFile(page: Page, name: string): Promise<void> {
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor();
    await input.fill(name);
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Enter');
    await page.locator(`.tab[aria-label^="${name}"]`).first().waitFor({ timeout: 30_000 });
  }

  it('lists the finished run in the Jobs view with its method, steps and final loss', async () => {
    const { page } = workbench;
    const row = await jobsViewRow(page, 'support-bot');
    assert.equal((await row.locator('.label-name').first().textContent())?.trim(), 'support-bot');
    const description = (await row.locator('.label-description').first().textContent()) ?? '';
    assert.match(description, /^lora · loss 0\.\d+ · 120 steps/, `the description says method, final loss and steps: "${description}"`);
    assert.equal(await row.locator('.codicon-pass').count(), 1, 'a done job has the pass icon');
    await page.mouse.move(1000, 600);
    await page.waitForTimeout(300);
    await screenshot(page, 'jobs-view');
  });

  it('shows the CodeLens on the job file, and a hover on `r:` gives its default and where it comes from', async () => {
    const { page } = workbench;
    await openFile(page, jobFileName);
    const lenses = page.locator('.contentWidgets .codelens-decoration');
    await lenses.filter({ hasText: 'Run Job' }).first().waitFor({ timeout: 90_000 });
    const lensText = (await lenses.first().textContent()) ?? '';
    assert.match(lensText, /Run Job/);
    assert.match(lensText, /Preflight/);
    // The mouse on the `r` of `r: 16`, with the file scrolled to the top so the CodeLens shows in the same picture.
    await page.keyboard.press('Control+Home');
    const rLine = page.locator('.view-lines .view-line', { hasText: /^\s*r:\s16\s*$/ }).first();
    await rLine.waitFor({ timeout: 10_000 });
    const text = (await rLine.textContent()) ?? '';
    const box = await rLine.locator('span').first().boundingBox();
    assert.ok(box, 'the `r:` line is on screen');
    const characterWidth = box.width / text.length;
    const rX = box.x + characterWidth * (text.indexOf('r') + 0.5);
    const hover = page.locator('.monaco-hover', { hasText: /default/i }).first();
    const deadline = Date.now() + 60_000;
    // The language server answers once it has started: hover again until it does.
    for (;;) {
      await page.mouse.move(rX, box.y + box.height / 2, { steps: 3 });
      if (
        await hover.waitFor({ timeout: 3_000 }).then(
          () => true,
          () => false,
        )
      )
        break;
      assert.ok(Date.now() < deadline, 'no hover showed on `r:`');
      await page.mouse.move(1000, 900);
    }
    const hoverText = (await hover.textContent()) ?? '';
    assert.match(hoverText, /16/, `the hover gives the default rank: "${hoverText}"`);
    assert.match(hoverText, /vLLM|PEFT/, `the hover says where the default comes from: "${hoverText}"`);
    assert.ok(await lenses.filter({ hasText: 'Run Job' }).first().isVisible(), 'the CodeLens is on screen with the hover');
    // The hover fades in: a picture taken at once shows it half transparent.
    await page.waitForTimeout(600);
    await screenshot(page, 'job-file');
    await page.keyboard.press('Escape');
  });

  it('refuses at preflight with a message that says the model is not downloaded and what to do', async () => {
    const { page } = workbench;
    // Back to the top, where the CodeLens is.
    await page.keyboard.press('Control+Home');
    const lens = page.locator('.contentWidgets .codelens-decoration a', { hasText: /^Preflight$/ }).first();
    await lens.click();
    const job = await webviewWith(page, '#preflight-verdict', 120_000);
    const verdict = job.locator('#preflight-verdict');
    assert.match((await verdict.textContent()) ?? '', /Preflight failed/);
    const findings = (await job.locator('#preflight-findings').textContent()) ?? '';
    assert.match(findings, /Qwen\/Qwen2\.5-0\.5B-Instruct/, `the refusal names the model: "${findings}"`);
    assert.match(findings, /download/i, `the refusal says to download it: "${findings}"`);
    // Nothing runs yet: the page offers no run actions, and the header has no step count.
    assert.equal(await job.locator('.job-actions button').count(), 0);
    assert.equal(await job.locator('#job-step').count(), 0);
    assert.match((await job.locator('#charts-empty').textContent()) ?? '', /Not started/);
    await page.mouse.move(5, 500);
    await page.waitForTimeout(500);
    await screenshot(page, 'job-preflight');
  });
});
