import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type AssistantMessage, type GenerationStats, type UserMessage } from '../../src/shared/chatViewProtocol';
import { ChatPageHost, testConversation, testState, until, type ChatPage } from '../support/chatPage';

const outputDir = join(__dirname, '..', '..', 'test-output', 'webview');
const host = new ChatPageHost();
before(() => host.start());
after(() => host.stop());

const question: UserMessage = { id: 'u-1', role: 'user', content: 'Which setting pairs the device?', createdAt: 1 };
function answer(id: string, slot: 'a' | 'b', fields: Partial<AssistantMessage> = {}): AssistantMessage {
  return {
    id,
    role: 'assistant',
    content: '',
    createdAt: 2,
    status: 'streaming',
    model: slot === 'a' ? 'engine/Qwen/Qwen3-test' : 'local/llama',
    compare: { group: 'u-1', slot },
    ...fields,
  };
}
const stats = (completionTokens: number, totalMs: number): GenerationStats => ({ promptTokens: 40, completionTokens, timeToFirstTokenMs: 120, tokensPerSecond: 25, totalMs, finishReason: 'stop' });

async function opened(width: number, theme: 'dark' | 'light' = 'dark'): Promise<ChatPage> {
  const chat = await host.open({ viewport: { width, height: 700 }, theme });
  await chat.send({ type: 'state', state: testState() });
  await chat.send({ type: 'conversation', conversation: testConversation({ settings: { ...testConversation().settings, compareModel: 'local/llama' } }) });
  await chat.page.locator('#composer-input').waitFor();
  return chat;
}

async function tokens(chat: ChatPage, messageId: string, text: string, completionTokens: number, elapsedMs: number): Promise<void> {
  await chat.send({ type: 'tokens', conversationId: 'c-1', messageId, text, sentAt: Date.now(), progress: { completionTokens, timeToFirstTokenMs: 100, elapsedMs } });
}

async function box(chat: ChatPage, id: string): Promise<{ x: number; y: number; width: number }> {
  const found = await chat.page.locator(`[data-message-id="${id}"]`).boundingBox();
  assert.ok(found, `${id} is laid out`);
  return found;
}

describe('Chat webview: compare (Chromium, mock messenger)', { timeout: 120_000 }, () => {
  it('streams the two answers of a compare side by side, each headed by its model and its stats as they arrive', async () => {
    const chat = await opened(900);
    const { page } = chat;
    await chat.send({ type: 'answerStarted', conversationId: 'c-1', question, answer: answer('a-1', 'a'), compareAnswer: answer('a-2', 'b') });
    await page.locator('.compare-group [data-message-id="a-2"]').waitFor();
    assert.deepEqual(await Promise.all((await page.locator('.compare-group .message').all()).map((m) => m.getAttribute('data-message-id'))), ['a-1', 'a-2']);
    assert.equal(await page.locator('[data-message-id="a-1"] .compare-model').textContent(), 'Qwen/Qwen3-test');
    assert.equal(await page.locator('[data-message-id="a-2"] .compare-model').textContent(), 'llama');
    assert.equal(await page.locator('[data-message-id="a-2"]').getAttribute('aria-label'), 'Answer B');

    // Interleaved: each streams on its own, with its own figures.
    await tokens(chat, 'a-2', 'Hold **the** ', 3, 300);
    await tokens(chat, 'a-1', 'Open Settings ', 2, 250);
    await tokens(chat, 'a-2', 'button.', 5, 500);
    await until(page, `document.querySelector('[data-message-id="a-2"] .message-body').textContent.includes('button.')`);
    assert.equal(await page.locator('[data-message-id="a-2"] strong').textContent(), 'the', 'the answer is rendered as Markdown');
    assert.equal(await page.locator('[data-message-id="a-2"] .compare-stats').textContent(), 'first token 100 ms · 10.0 tokens/s · 5 tokens · 500 ms so far');
    assert.equal(await page.locator('[data-message-id="a-1"] .compare-stats').textContent(), 'first token 100 ms · 6.7 tokens/s · 2 tokens · 250 ms so far');

    const a = await box(chat, 'a-1');
    const b = await box(chat, 'a-2');
    assert.ok(b.x > a.x + a.width - 1, `side by side: a at ${a.x}+${a.width}, b at ${b.x}`);
    assert.ok(Math.abs(a.y - b.y) < 2, 'the two columns start on the same line');

    // One side fails; the other still streams, and Stop stays until both have ended.
    await chat.send({
      type: 'answerEnded',
      conversationId: 'c-1',
      answer: answer('a-2', 'b', { status: 'error', content: 'Hold **the** button.', error: { code: 'backend-unavailable', message: 'Connection refused.' } }),
    });
    await page.locator('[data-message-id="a-2"] .error-box').waitFor();
    await page.locator('#stop-button').waitFor();
    await tokens(chat, 'a-1', 'and pick Pair.', 6, 700);
    await until(page, `document.querySelector('[data-message-id="a-1"] .message-body').textContent.includes('Pair.')`);
    await chat.send({ type: 'answerEnded', conversationId: 'c-1', answer: answer('a-1', 'a', { status: 'done', content: 'Open Settings and pick Pair.', stats: stats(6, 900) }) });
    await page.locator('#send-button').waitFor();
    assert.equal(await page.locator('[data-message-id="a-1"] .compare-stats').textContent(), 'first token 120 ms · 25.0 tokens/s · 6 tokens · total 900 ms');
    assert.equal(await page.locator('[data-message-id="a-1"] .stats').count(), 0, 'the stats are in the head, not repeated below');
    assert.equal(await page.locator('[data-message-id="a-2"] [data-action="prefer"]').count(), 0, 'a failed answer cannot be preferred');
    assert.equal(await page.locator('[data-message-id="a-2"] .compare-stats').textContent(), 'first token 100 ms · 10.0 tokens/s · 5 tokens · failed after 500 ms');

    await page.locator('[data-message-id="a-1"] [data-action="prefer"]').click();
    const prefer = (await chat.posted()).filter((m) => m.type === 'preferAnswer').at(-1);
    assert.deepEqual({ conversationId: prefer?.conversationId, messageId: prefer?.messageId }, { conversationId: 'c-1', messageId: 'a-1' });
    await chat.send({
      type: 'answersChanged',
      conversationId: 'c-1',
      answers: [answer('a-1', 'a', { status: 'done', content: 'Open Settings and pick Pair.', stats: stats(6, 900), preferred: true })],
    });
    await page.locator('[data-message-id="a-1"] .compare-preferred').waitFor();
    assert.equal(await page.locator('[data-message-id="a-1"] [data-action="prefer"]').getAttribute('aria-pressed'), 'true');
    mkdirSync(outputDir, { recursive: true });
    await page.screenshot({ path: join(outputDir, 'chat-compare-wide.png') });
    await chat.close();
  });

  it('stacks the two answers in a narrow sidebar, labelled A and B, each still with its model and stats', async () => {
    const chat = await opened(360, 'light');
    const { page } = chat;
    await chat.send({ type: 'answerStarted', conversationId: 'c-1', question, answer: answer('a-1', 'a'), compareAnswer: answer('a-2', 'b') });
    await chat.send({ type: 'answerEnded', conversationId: 'c-1', answer: answer('a-1', 'a', { status: 'done', content: 'Open Settings and pick Pair.', stats: stats(6, 900) }) });
    await chat.send({ type: 'answerEnded', conversationId: 'c-1', answer: answer('a-2', 'b', { status: 'done', content: 'Hold the button.', stats: stats(4, 600) }) });
    await page.locator('#send-button').waitFor();
    const a = await box(chat, 'a-1');
    const b = await box(chat, 'a-2');
    assert.ok(b.y >= a.y + 10 && Math.abs(a.x - b.x) < 2, `stacked: a at (${a.x}, ${a.y}), b at (${b.x}, ${b.y})`);
    assert.deepEqual(await page.locator('.compare-slot').allTextContents(), ['A', 'B']);
    assert.match((await page.locator('[data-message-id="a-2"] .compare-stats').textContent()) ?? '', /4 tokens · total 600 ms/);
    mkdirSync(outputDir, { recursive: true });
    await page.screenshot({ path: join(outputDir, 'chat-compare-narrow.png') });
    await chat.close();
  });

  it('a conversation reopened with compare answers shows them grouped, and plain answers as before', async () => {
    const chat = await host.open({ viewport: { width: 900, height: 700 } });
    await chat.send({ type: 'state', state: testState() });
    const conversation = testConversation({
      messages: [
        { id: 'u-0', role: 'user', content: 'Plain question', createdAt: 1 },
        { id: 'a-0', role: 'assistant', content: 'Plain answer', createdAt: 1, status: 'done', model: 'engine/Qwen/Qwen3-test' },
        question,
        { ...answer('a-1', 'a', { status: 'done', content: 'Left', stats: stats(1, 100) }) },
        { ...answer('a-2', 'b', { status: 'done', content: 'Right', stats: stats(1, 100), preferred: true }) },
      ],
    });
    await chat.send({ type: 'conversation', conversation });
    await chat.page.locator('.compare-group [data-message-id="a-2"] .compare-preferred').waitFor();
    assert.equal(await chat.page.locator('.compare-group').count(), 1);
    assert.equal(await chat.page.locator('[data-message-id="a-0"] .compare-head').count(), 0);
    assert.equal(await chat.page.locator('.message-log > [data-message-id="a-0"]').count(), 1);
    await chat.close();
  });

  it('adds and removes a second model picker with the Compare control, by keyboard', async () => {
    const chat = await host.open({ viewport: { width: 420, height: 760 } });
    await chat.send({ type: 'state', state: testState() });
    await chat.send({ type: 'conversation', conversation: testConversation() });
    const { page } = chat;
    await page.locator('.settings-toggle').click();
    const toggle = page.locator('#compare-toggle');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    assert.ok(await page.locator('#setting-compare-model').isHidden());
    await toggle.focus();
    await page.keyboard.press('Enter');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    assert.equal(await page.locator('#setting-compare-model').inputValue(), 'local/llama', 'a model other than the one answering is offered first');
    assert.equal(await page.locator('label[for="setting-compare-model"] .field-label').textContent(), 'Compare with');
    assert.deepEqual(await page.locator('#setting-compare-model option').allTextContents(), ['Qwen/Qwen3-test', 'llama'], 'every model the registry offers');
    await page.waitForTimeout(250);
    const posted = async () => ((await chat.posted()).filter((m) => m.type === 'updateSettings').at(-1)?.settings ?? {}) as { compareModel?: string };
    assert.equal((await posted()).compareModel, 'local/llama');
    assert.match((await page.locator('#settings-summary').textContent()) ?? '', /^Qwen\/Qwen3-test vs llama · /);
    await page.locator('#setting-compare-model').selectOption('engine/Qwen/Qwen3-test');
    await page.waitForTimeout(250);
    assert.equal((await posted()).compareModel, 'engine/Qwen/Qwen3-test');
    await page.locator('#compare-remove').focus();
    await page.keyboard.press('Enter');
    await page.waitForTimeout(250);
    assert.equal((await posted()).compareModel, undefined);
    assert.ok(await page.locator('#setting-compare-model').isHidden());
    assert.equal(await page.evaluate('document.activeElement.id'), 'compare-toggle', 'focus returns to the Compare control');
    await chat.close();
  });
});
