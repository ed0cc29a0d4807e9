import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type FrameLocator } from 'playwright-core';
import { repoRoot } from '../support/codeServer.mjs';
import { generateDecoderModel } from '../support/modelGenerator/index';
import { openChatwrightContainer, openWorkbench, runCommand, screenshot, webviewFrame, type Workbench } from '../support/workbench';
import { scratchDir } from '../support/scratchDir';

/**
 * Compare end to end in a real VS Code (code-server) with the packaged extension: one question to two models that
 * really answer — a generated Qwen3-tokenizer decoder on the built-in engine, and a second model behind a local
 * OpenAI-compatible server configured in `chatwright.chat.endpoints` — both answers streamed side by side in an
 * editor panel, each headed by its model and its stats. Screenshots in the dark and the light theme.
 */
const modelId = 'chatwright-test/tiny-qwen3-compare';
const engineAnswer = 'E42 means no heat call [1]. Check that the furnace switch is on, then clean its filter.';
const endpointWords = 'Error E42 : the thermostat sent no heat call . Turn the furnace switch on and check the thermostat wiring .'.split(' ');
const endpointAnswer = endpointWords.join(' ');

/** An OpenAI-compatible server for one model that streams a fixed answer word by word, as a real server would. */
function answeringServer(): Promise<{ server: Server; baseUrl: string; requests: unknown[] }> {
  const requests: unknown[] = [];
  const server = createServer((request, response) => {
    if (request.url?.endsWith('/models')) {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ object: 'list', data: [{ id: 'second-model', object: 'model', owned_by: 'test' }] }));
      return;
    }
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      requests.push(JSON.parse(body) as unknown);
      response.setHeader('content-type', 'text/event-stream');
      const chunk = (delta: Record<string, unknown>, finish: string | null) =>
        `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 0, model: 'second-model', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      let i = 0;
      const timer = setInterval(() => {
        if (response.destroyed) return clearInterval(timer);
        if (i < endpointWords.length) {
          response.write(chunk({ content: `${i === 0 ? '' : ' '}${endpointWords[i++]}` }, null));
          return;
        }
        clearInterval(timer);
        response.write(chunk({}, 'stop'));
        response.end('data: [DONE]\n\n');
      }, 100);
      response.on('close', () => clearInterval(timer));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, requests })));
}

async function showSettings(chat: FrameLocator): Promise<void> {
  if (await chat.locator('#composer-settings').isHidden()) await chat.locator('.settings-toggle').click();
}

describe('UI: compare two models side by side in code-server', { timeout: 300_000 }, () => {
  let workbench: Workbench;
  let scratch: string;
  let endpoint: Awaited<ReturnType<typeof answeringServer>>;

  before(async () => {
    scratch = scratchDir('chat-compare-e2e');
    const repo = join(scratch, 'hf', 'hub', `models--${modelId.replace('/', '--')}`);
    const commit = 'c0ffee0000000000000000000000000000000002';
    generateDecoderModel(join(repo, 'snapshots', commit), { script: engineAnswer, hiddenSize: 128 });
    mkdirSync(join(repo, 'refs'), { recursive: true });
    writeFileSync(join(repo, 'refs', 'main'), commit);
    endpoint = await answeringServer();
    workbench = await openWorkbench({
      workspace: join(repoRoot, 'examples', 'support-bot'),
      env: { HF_HOME: join(scratch, 'hf'), HF_HUB_OFFLINE: '1' },
      settings: {
        'workbench.colorTheme': 'Default Dark Modern',
        'chatwright.chat.endpoints': [{ id: 'local', label: 'Local test server', baseUrl: endpoint.baseUrl }],
      },
      viewport: { width: 1500, height: 900 },
    });
  });

  after(async () => {
    await workbench?.close();
    endpoint?.server.close();
  });

  it('asks the engine model and the endpoint model one question and streams both answers side by side with their stats', async () => {
    const { page } = workbench;
    // The chat in an editor panel, wide enough for two columns; the sidebar's view is closed so the panel is the one
    // webview on screen.
    await openChatwrightContainer(page);
    await webviewFrame(page)
      .locator('#composer-input')
      .waitFor({ timeout: 90_000 })
      .catch(async (error: unknown) => {
        await screenshot(page, 'chat-compare-failed-open');
        throw error;
      });
    // The sidebar closes first: a panel just opened takes the keyboard focus, and F1 would reach its webview, not the
    // workbench's palette.
    await runCommand(page, 'View: Close Primary Side Bar');
    await runCommand(page, 'Chatwright: Open Chat in Editor');
    await page.locator('.tabs-container .tab.active').first().waitFor({ timeout: 30_000 });
    const chat = page.frameLocator('iframe.webview.ready >> visible=true').frameLocator('#active-frame');
    await chat.locator('#composer-input').waitFor({ timeout: 60_000 });
    await showSettings(chat);
    await chat.locator(`#setting-model option[value="engine/${modelId}"]`).waitFor({ state: 'attached', timeout: 60_000 });
    await chat.locator('#setting-model').selectOption(`engine/${modelId}`);
    await chat.locator('#compare-toggle').click();
    await chat.locator('#setting-compare-model option[value="local/second-model"]').waitFor({ state: 'attached', timeout: 30_000 });
    await chat.locator('#setting-compare-model').selectOption('local/second-model');
    assert.equal(await chat.locator('#compare-toggle').getAttribute('aria-pressed'), 'true');
    await chat.locator('.settings-toggle').click();
    assert.match((await chat.locator('#settings-summary').textContent()) ?? '', new RegExp(`^${modelId} vs second-model`));

    const input = chat.locator('#composer-input');
    await input.click();
    await input.fill('What does error E42 mean?');
    await input.press('Enter');

    await answersCompared(chat).catch(async (error: unknown) => {
      await screenshot(page, 'chat-compare-failed');
      throw error;
    });

    await chat.locator('.compare-group').last().locator('.message.compared[data-slot="b"] [data-action="prefer"]').click();
    const b = chat.locator('.compare-group').last().locator('.message.compared[data-slot="b"]');
    await b.locator('.compare-preferred').waitFor({ timeout: 20_000 });
    assert.equal(await b.locator('[data-action="prefer"]').getAttribute('aria-pressed'), 'true');
    await page.mouse.move(5, 600);
    await page.waitForTimeout(300);
    await screenshot(page, 'chat-compare');
  });

  /** Both answers streamed and ended, each with its model and stats, in two columns, from the same messages. */
  async function answersCompared(chat: FrameLocator): Promise<void> {
    const group = chat.locator('.compare-group').last();
    const a = group.locator('.message.compared[data-slot="a"]');
    const b = group.locator('.message.compared[data-slot="b"]');
    // Side b shows its live stats while it streams; then each side ends with the backend's own figures.
    await b.locator('.compare-stats', { hasText: /so far/ }).waitFor({ timeout: 60_000 });
    for (const side of [a, b]) {
      await side.locator('.compare-stats', { hasText: /total/ }).waitFor({ timeout: 180_000 });
      assert.equal(await side.getAttribute('data-status'), 'done', (await side.textContent()) ?? '');
    }
    await chat.locator('#send-button').waitFor({ timeout: 10_000 });
    assert.equal((await a.locator('.message-body').textContent())?.trim(), engineAnswer);
    assert.equal((await b.locator('.message-body').textContent())?.trim(), endpointAnswer);
    assert.equal(await a.locator('.compare-model').textContent(), modelId);
    assert.equal(await b.locator('.compare-model').textContent(), 'second-model');
    for (const side of [a, b]) {
      assert.match((await side.locator('.compare-stats').textContent()) ?? '', /^first token \d+(\.\d)? m?s · [\d.]+ tokens\/s · \d+ tokens · total \d+(\.\d)? m?s$/);
    }
    const boxA = await a.boundingBox();
    const boxB = await b.boundingBox();
    assert.ok(boxA && boxB && boxB.x >= boxA.x + boxA.width - 1 && Math.abs(boxA.y - boxB.y) < 2, `side by side: ${JSON.stringify({ boxA, boxB })}`);

    // The endpoint got exactly the messages the engine model did: the question, asked once.
    const sent = endpoint.requests.at(-1) as { messages: { role: string; content: string }[] };
    assert.deepEqual(sent.messages, [{ role: 'user', content: 'What does error E42 mean?' }]);
  }

  it('looks right in the light theme (screenshot)', async () => {
    const { page } = workbench;
    await runCommand(page, 'Preferences: Toggle between Light/Dark Themes');
    await page.locator('.monaco-workbench.vs').waitFor({ timeout: 30_000 });
    // The webview follows with the new theme variables; the picture is of the compared answers, or none.
    const chat = page.frameLocator('iframe.webview.ready >> visible=true').frameLocator('#active-frame');
    await chat.locator('.compare-group .message.compared[data-slot="b"] .compare-preferred').waitFor({ timeout: 10_000 });
    await page.waitForTimeout(2000);
    await screenshot(page, 'chat-compare-light');
  });
});
