import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { type FrameLocator, type Locator, type Page } from 'playwright-core';
import { listRunFolders, readRunRecord } from '../../src/core/jobs/runFolder';
import { freePort, repoRoot } from '../support/codeServer.mjs';
import { generateDecoderModel } from '../support/modelGenerator/index';
import { scratchDir } from '../support/scratchDir';
import { openChatwrightContainer, openWorkbench, runCommand, screenshot, webviewWith, type Workbench } from '../support/workbench';

/**
 * Serving as a user meets it in a real VS Code (code-server) with the packaged extension: "Chatwright: Serve Model"
 * through the palette and its quick picks serves a generated Qwen3-tokenizer decoder (in the Hugging Face cache, where
 * the built-in engine finds it) on this machine only, at a free port; the status bar shows `Serving :<port>`, the Jobs
 * view lists the server with its URL, the job page shows the URL, engine, models and the totals after one request made
 * here with the official `openai` client; "Chatwright: Stop Server" stops it.
 */
const modelId = 'chatwright-test/tiny-qwen3-serve';
const serverName = 'serve-tiny-qwen3-serve';
const scriptedAnswer = 'The server answered this request.';

/** The open quick pick once its title reads `title` (each step of Serve Model replaces the last one's widget content). */
async function quickPickTitled(page: Page, title: RegExp): Promise<Locator> {
  const widget = page.locator('.quick-input-widget', { has: page.locator('.quick-input-title', { hasText: title }) });
  await widget.waitFor({ timeout: 60_000 });
  return widget;
}

/** Widens the sidebar by dragging its edge, as a user does to read the Jobs view's descriptions whole. */
async function widenSidebar(page: Page, by: number): Promise<void> {
  const sidebar = page.locator('.part.sidebar');
  const before = await sidebar.boundingBox();
  assert.ok(before, 'the sidebar is open');
  const [x, y] = [before.x + before.width, before.y + before.height / 2];
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + by, y, { steps: 5 });
  await page.mouse.up();
  const after = await sidebar.boundingBox();
  assert.ok(after && after.width > before.width + by / 2, `the sidebar was widened: ${before.width} → ${after?.width}`);
}

/** The text of the row `label` in the table `#serving-table` of the job page. */
async function servingFact(job: FrameLocator, label: string): Promise<string> {
  return (
    (await job
      .locator('#serving-table tr', { has: job.locator('th', { hasText: new RegExp(`^${label}$`) }) })
      .locator('td')
      .textContent()) ?? ''
  ).trim();
}

describe('UI: serve a model from the palette, call it, stop it', { timeout: 300_000 }, () => {
  let workbench: Workbench;
  /** The port the server is asked to listen on (free when the test starts); 0 until then. */
  let port = 0;

  before(async () => {
    const scratch = scratchDir('serving-e2e');
    const repo = join(scratch, 'hf', 'hub', `models--${modelId.replace('/', '--')}`);
    const commit = 'c0ffee0000000000000000000000000000000003';
    generateDecoderModel(join(repo, 'snapshots', commit), { script: scriptedAnswer, hiddenSize: 64 });
    mkdirSync(join(repo, 'refs'), { recursive: true });
    writeFileSync(join(repo, 'refs', 'main'), commit);
    port = await freePort();
    workbench = await openWorkbench({
      workspace: join(repoRoot, 'examples', 'support-bot'),
      env: { HF_HOME: join(scratch, 'hf'), HF_HUB_OFFLINE: '1' },
      settings: { 'workbench.colorTheme': 'Default Dark Modern' },
      viewport: { width: 1500, height: 900 },
    });
  });

  after(async () => {
    // A test that failed before Stop Server leaves the server running in its own process group, which closing the
    // workbench does not end: the run folder's record names its pid.
    if (
      workbench &&
      port !== 0 &&
      (await fetch(`http://127.0.0.1:${port}/health`).then(
        () => true,
        () => false,
      ))
    ) {
      for (const runDir of listRunFolders(workbench.workspace)) {
        const record = readRunRecord(runDir);
        if (record?.kind === 'serve' && record.pid !== undefined && record.exit === undefined) {
          try {
            process.kill(-record.pid, 'SIGTERM');
          } catch {
            // Already gone.
          }
        }
      }
    }
    await workbench?.close();
  });

  afterEach(async (context) => {
    if (workbench && (context as { passed?: boolean }).passed === false) await screenshot(workbench.page, `serving-failed-${Date.now()}`);
  });

  it('serves the model on a free port of this machine through "Chatwright: Serve Model" and its quick picks', async () => {
    const { page } = workbench;
    await openChatwrightContainer(page);
    const jobsHeader = page.locator('.pane-header', { hasText: /^\s*Jobs/ }).first();
    await jobsHeader.waitFor({ timeout: 60_000 });
    if ((await jobsHeader.getAttribute('aria-expanded')) !== 'true') await jobsHeader.click();
    await widenSidebar(page, 320);

    await runCommand(page, 'Chatwright: Serve Model');
    const models = await quickPickTitled(page, /which chat model/);
    await models.locator('.monaco-list-row', { hasText: modelId }).first().click({ timeout: 60_000 });
    const embeddings = await quickPickTitled(page, /embedding model/);
    await embeddings.locator('.monaco-list-row', { hasText: 'No embedding model' }).first().click();
    // The workspace has a prompt template: none of it is served (a multi-select quick pick accepts no choice with Enter).
    await quickPickTitled(page, /prompt templates/);
    await page.keyboard.press('Enter');
    const where = await quickPickTitled(page, /listen where/);
    await where.locator('.monaco-list-row', { hasText: 'This machine only' }).first().click();
    const portInput = (await quickPickTitled(page, /port$/)).locator('.quick-input-box input');
    assert.match(await portInput.inputValue(), /^\d+$/, 'the port box offers a free port');
    await portInput.fill(String(port));
    await page.keyboard.press('Enter');

    const status = page.locator('.statusbar-item', { hasText: `Serving :${port}` });
    await status.waitFor({ timeout: 120_000 });
    const url = `http://127.0.0.1:${port}/v1`;
    const jobsPane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /^\s*Jobs/ }) }).first();
    const row = jobsPane.locator('.monaco-list-row', { hasText: serverName }).first();
    await row.locator('.label-description', { hasText: `serving at ${url}` }).waitFor({ timeout: 30_000 });
    assert.match((await row.locator('.label-description').first().textContent()) ?? '', new RegExp(`^serving at ${url.replace(/\./g, '\\.')} · builtin`));
    assert.equal(await row.locator('.codicon-broadcast').count(), 1, 'a ready server has the broadcast icon');

    // The command opened the server's job page.
    const job = await webviewWith(page, '#serving-table', 60_000);
    await job.locator('#serving-table td', { hasText: /^Ready/ }).waitFor({ timeout: 30_000 });
    // A server has no training steps, and nothing to save when it stops.
    assert.equal(await job.locator('#job-step').count(), 0);
    assert.equal(await job.locator('#action-stop').textContent(), 'Stop server');
    await page.mouse.move(900, 600);
    await page.waitForTimeout(300);
    await screenshot(page, 'serving-status');
  });

  it('answers a request from the openai client, and the job page shows the URL, engine, models and totals', async () => {
    const { page } = workbench;
    const url = `http://127.0.0.1:${port}/v1`;
    const client = new OpenAI({ baseURL: url, apiKey: 'not-needed-on-loopback', maxRetries: 0, timeout: 60_000 });
    assert.deepEqual(
      (await client.models.list()).data.map((model) => model.id),
      [modelId],
    );
    const completion = await client.chat.completions.create({ model: modelId, messages: [{ role: 'user', content: 'Is the server up?' }], max_tokens: 32, temperature: 0 });
    assert.equal(completion.choices[0]?.message.content, scriptedAnswer);
    const usage = completion.usage;
    assert.ok(usage && usage.prompt_tokens > 0 && usage.completion_tokens > 0, JSON.stringify(usage));

    const job = await webviewWith(page, '#serving-table', 30_000);
    // The server reports its totals at most once a second, the tokens once the answer is done: the page shows them once
    // they arrive.
    const tokens = `${usage.prompt_tokens} prompt, ${usage.completion_tokens} completion`;
    await job.locator('#serving-table td', { hasText: tokens }).waitFor({ timeout: 30_000 });
    assert.equal(await servingFact(job, 'Tokens'), tokens);
    assert.equal(await servingFact(job, 'Requests'), '1 (0 running, 0 queued, 0 rejected)');
    assert.equal(await servingFact(job, 'URL'), url);
    assert.equal(await servingFact(job, 'Engine'), 'builtin');
    assert.equal(await servingFact(job, 'Models'), modelId);
    const jobsPane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /^\s*Jobs/ }) }).first();
    await jobsPane
      .locator('.monaco-list-row', { hasText: serverName })
      .first()
      .locator('.label-description', { hasText: /· 1 request$/ })
      .waitFor({ timeout: 30_000 });
    assert.equal(await job.locator('#job-status').textContent(), 'Running');
    await page.mouse.move(5, 600);
    await page.waitForTimeout(300);
    await screenshot(page, 'serving-job-page');
  });

  it('stops through "Chatwright: Stop Server": the status bar item goes and the job reads stopped', async () => {
    const { page } = workbench;
    await runCommand(page, 'Chatwright: Stop Server');
    const job = await webviewWith(page, '#serving-table', 30_000);
    await job.locator('#job-status', { hasText: /^Stopped$/ }).waitFor({ timeout: 60_000 });
    await page.locator('.statusbar-item', { hasText: `Serving :${port}` }).waitFor({ state: 'hidden', timeout: 30_000 });
    assert.equal(await servingFact(job, 'State'), 'Stopped: it no longer listens');
    assert.equal(await job.locator('#action-stop').isDisabled(), true);
    const jobsPane = page.locator('.pane', { has: page.locator('.pane-header', { hasText: /^\s*Jobs/ }) }).first();
    const row = jobsPane.locator('.monaco-list-row', { hasText: serverName }).first();
    await row.locator('.codicon-broadcast').waitFor({ state: 'detached', timeout: 30_000 });
    assert.doesNotMatch((await row.locator('.label-description').first().textContent()) ?? '', /serving at/);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/health`), 'nothing listens on the port any more');
    await page.mouse.move(5, 600);
    await page.waitForTimeout(300);
    await screenshot(page, 'serving-stopped');
  });
});
