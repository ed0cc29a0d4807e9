import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { repoRoot } from '../support/codeServer.mjs';
import { scratchDir } from '../support/scratchDir';
import { jobsViewRow, openWorkbench, screenshot, webviewWith, type Workbench } from '../support/workbench';

/**
 * A finished Slurm run as the user sees it in a real VS Code (code-server): the Jobs view line says which Slurm job it
 * was and how it ended, and its job page has the Where block (target, job, state, nodes, elapsed / limit) and the
 * "Show sbatch script" action. The run folder is the stand-in trainer's finished run (test/fixtures/jobs/finished-run)
 * with the Slurm record a submission writes (run.json `slurm`, RUN/job.sbatch); no Slurm runs here.
 */
describe('UI: a Slurm job in the Jobs view and on its job page', { timeout: 300_000 }, () => {
  const runName = '20261204-101500-support-bot';
  let workbench: Workbench;
  before(async () => {
    const workspace = join(scratchDir('e2e-slurm-job'), 'support-bot');
    const runDir = join(workspace, '.chatwright', 'runs', runName);
    cpSync(join(repoRoot, 'test', 'fixtures', 'jobs', 'finished-run'), runDir, { recursive: true });
    cpSync(join(runDir, 'job.yaml'), join(workspace, 'support-bot.job.yaml'));
    const record = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as Record<string, unknown>;
    const submittedAt = '2026-12-04T21:25:00.000Z';
    const last = { kind: 'slurm', jobId: '41237', state: 'COMPLETED', nodes: 'node07', elapsed: '00:04:12', timeLimit: '08:00:00', exitCode: 0, checkedAt: Date.parse('2026-12-04T21:31:00.000Z') };
    record.slurm = { jobId: '41237', script: 'job.sbatch', submittedAt, submissions: [{ jobId: '41237', submittedAt }], last };
    writeFileSync(join(runDir, 'run.json'), JSON.stringify(record, null, 2));
    writeFileSync(join(runDir, 'job.sbatch'), '#!/bin/bash\n#SBATCH --job-name=support-bot\n#SBATCH --partition=gpu\n#SBATCH --time=08:00:00\nsrun python -m chatwright_train train --quiet\n');
    workbench = await openWorkbench({ workspace, settings: { 'workbench.colorTheme': 'Default Dark Modern' }, viewport: { width: 1400, height: 1000 } });
  });
  after(async () => {
    await workbench?.close();
  });
  afterEach(async (context) => {
    if (workbench && (context as { passed?: boolean }).passed === false) await screenshot(workbench.page, `slurm-job-failed-${Date.now()}`);
  });

  it('lists the run with its Slurm job and state first in the Jobs view', async () => {
    const { page } = workbench;
    const row = await jobsViewRow(page, 'support-bot');
    const description = (await row.locator('.label-description').first().textContent()) ?? '';
    assert.match(description, /^Slurm 41237 · lora · loss 0\.\d+ · 120 steps/, `the line says where it ran first: "${description}"`);
    await page.mouse.move(1000, 600);
    await page.waitForTimeout(300);
    await screenshot(page, 'jobs-view-slurm');
  });

  it('shows the Where block and the sbatch script action on the job page', async () => {
    const { page } = workbench;
    // The Jobs view is open already (the test before): clicking the activity bar again would close the side bar.
    const jobsPane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /^\s*Jobs/ }) }).first();
    await jobsPane.locator('.monaco-list-row', { hasText: 'support-bot' }).first().click();
    const job = await webviewWith(page, '#where-table', 90_000);
    const where = (await job.locator('#where-table').textContent()) ?? '';
    for (const fact of ['Slurm cluster', '41237', 'COMPLETED', 'node07', '00:04:12 / 08:00:00']) assert.ok(where.includes(fact), `the Where block names ${fact}: "${where}"`);
    assert.equal(await job.locator('#action-showScript').isDisabled(), false);
    await job.locator('figure.chart[data-chart="loss"][data-points="120"] canvas').waitFor({ timeout: 60_000 });
    await page.mouse.move(5, 500);
    await page.waitForTimeout(500);
    await screenshot(page, 'job-page-slurm');
    await job.locator('#action-showScript').click();
    await page.locator('.tab[aria-label^="job.sbatch"]').first().waitFor({ timeout: 30_000 });
  });
});
