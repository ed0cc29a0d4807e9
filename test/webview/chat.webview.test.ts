import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultChatSettings } from '../../src/core/chat/chatTypes';
import { type AssistantMessage, type Passage, type UserMessage } from '../../src/shared/chatViewProtocol';
import { ChatPageHost, testConversation, testState, until, type ChatPage } from '../support/chatPage';

const outputDir = join(__dirname, '..', '..', 'test-output', 'webview');
const host = new ChatPageHost();
before(() => host.start());
after(() => host.stop());

const question = (id: string, content: string): UserMessage => ({ id, role: 'user', content, createdAt: 1 });
const answer = (id: string, fields: Partial<AssistantMessage> = {}): AssistantMessage => ({
  id,
  role: 'assistant',
  content: '',
  createdAt: 2,
  status: 'streaming',
  model: 'engine/Qwen/Qwen3-test',
  ...fields,
});
const passages: Passage[] = [
  { index: 1, file: 'docs/setup.md', startLine: 12, endLine: 20, headingPath: ['Setup', 'Pairing'], text: 'Hold the button for 5 seconds.', score: 0.032, scores: { bm25: 7.1, vector: 0.82 } },
  { index: 2, file: 'docs/faq.md', startLine: 3, endLine: 3, headingPath: [], text: 'Reset by unplugging.', score: 0.016 },
];
const stats = { promptTokens: 412, completionTokens: 64, timeToFirstTokenMs: 180, tokensPerSecond: 42.5, totalMs: 1700, finishReason: 'stop' as const };

async function opened(options: Parameters<ChatPageHost['open']>[0] = {}, conversation = testConversation()): Promise<ChatPage> {
  const chat = await host.open(options);
  await chat.send({ type: 'state', state: testState() });
  await chat.send({ type: 'conversation', conversation });
  await chat.page.locator('#composer-input').waitFor();
  return chat;
}

async function stream(chat: ChatPage, id: string, text: string, pieces = 8): Promise<void> {
  const size = Math.ceil(text.length / pieces);
  for (let i = 0; i < text.length; i += size) await chat.send({ type: 'tokens', conversationId: 'c-1', messageId: id, text: text.slice(i, i + size), sentAt: Date.now() });
}

async function lastPosted(chat: ChatPage, type: string): Promise<Record<string, unknown>> {
  await until(chat.page, `window.posted.some((m) => m.type === ${JSON.stringify(type)})`);
  return (await chat.posted()).filter((m) => m.type === type).at(-1)!;
}

describe('Chat webview (Chromium, mock messenger)', { timeout: 180_000 }, () => {
  it('without a model shows one empty state whose main button picks a chat model for the conversation', async () => {
    const chat = await host.open();
    await chat.send({ type: 'state', state: testState({ models: [], chatModel: { kind: 'none' } }) });
    await chat.send({ type: 'conversation', conversation: testConversation({ settings: defaultChatSettings }) });
    const { page } = chat;
    assert.equal(await page.locator('#model-state').textContent(), 'No model selected');
    assert.equal(await page.locator('#extension-version').textContent(), 'Version 0.1.0');
    assert.equal(await page.locator('.empty-state').count(), 1);
    assert.equal(await page.locator('#chat-banner').textContent(), '', 'no second, contradicting notice beside the empty state');
    assert.equal(await page.locator('.empty-state .actions button').first().getAttribute('id'), 'pick-chat-model', 'the main button comes first');
    await page.locator('#pick-chat-model').click();
    const pick = await lastPosted(chat, 'pickChatModel');
    assert.deepEqual({ conversationId: pick.conversationId, retryMessageId: pick.retryMessageId }, { conversationId: 'c-1', retryMessageId: undefined });
    await page.locator('#open-settings').click();
    assert.equal((await lastPosted(chat, 'runCommand')).command, 'chatwright.openSettings');
    await chat.send({ type: 'commandResult', command: 'chatwright.openSettings', ok: true });
    await page.locator('#command-status[data-result="ok"]').waitFor();
    assert.equal(await page.locator('#command-status').textContent(), 'Done.');
    await chat.close();
  });

  it('shows the workspace model picked elsewhere in a conversation that chose none, and keeps its own choice otherwise', async () => {
    const chat = await host.open();
    const following = testConversation({ settings: defaultChatSettings });
    await chat.send({ type: 'state', state: testState({ chatModel: { kind: 'none' }, models: [] }) });
    await chat.send({ type: 'conversation', conversation: following });
    const { page } = chat;
    await page.locator('#model-state[data-state="none"]').waitFor();
    // "Pick Chat Model…" ran somewhere else: the host sends the new state.
    const picked = { kind: 'selected' as const, id: 'org/picked', label: 'org/picked', ref: 'engine/org/picked' };
    await chat.send({
      type: 'state',
      state: testState({
        chatModel: picked,
        models: [
          { ref: 'engine/org/picked', label: 'org/picked', backendLabel: 'Built-in engine (ONNX)' },
          { ref: 'engine/org/second', label: 'org/second', backendLabel: 'Built-in engine (ONNX)' },
        ],
      }),
    });
    await page.locator('#model-state[data-state="selected"]').waitFor();
    assert.match((await page.locator('#model-state').textContent()) ?? '', /org\/picked/);
    assert.match((await page.locator('#settings-summary').textContent()) ?? '', /^org\/picked · /);
    assert.equal(await page.locator('#setting-model').inputValue(), '', 'it follows the workspace model rather than pinning it');
    assert.match((await page.locator('#setting-model option:checked').textContent()) ?? '', /Workspace model: org\/picked/);
    assert.deepEqual(await page.locator('#setting-model optgroup option').allTextContents(), ['org/picked', 'org/second'], 'every cached model can be chosen, none marked "not available"');
    await page.locator('.settings-toggle').click();
    await page.locator('#setting-model').selectOption('engine/org/second');
    await page.waitForTimeout(250);
    assert.equal(((await lastPosted(chat, 'updateSettings')).settings as { model?: string }).model, 'engine/org/second');
    assert.match((await page.locator('#settings-summary').textContent()) ?? '', /^org\/second · /);
    await chat.close();
  });

  it('clears an error and a command outcome when another conversation is shown', async () => {
    const chat = await opened();
    const { page } = chat;
    await page.evaluate(`window.hostReplies.send = { error: 'The backend refused.' }`);
    await page.locator('#composer-input').fill('hello');
    await page.keyboard.press('Enter');
    await page.locator('#chat-banner[data-kind="error"]').waitFor();
    await chat.send({ type: 'conversation', conversation: testConversation({ id: 'c-2', title: 'Another' }) });
    await until(page, 'document.getElementById("chat-banner").textContent === ""');
    assert.equal(await page.locator('#chat-banner').getAttribute('data-kind'), null);
    await chat.close();
  });

  it('sends with Enter, adds a line with Shift+Enter, and keeps the text when the host refuses', async () => {
    const chat = await opened();
    const { page } = chat;
    await page.locator('#composer-input').click();
    await page.keyboard.type('first line');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('second line');
    assert.equal(await page.locator('#composer-input').inputValue(), 'first line\nsecond line');
    await page.keyboard.press('Enter');
    const sent = await lastPosted(chat, 'send');
    assert.deepEqual({ conversationId: sent.conversationId, text: sent.text }, { conversationId: 'c-1', text: 'first line\nsecond line' });
    assert.equal(await page.locator('#composer-input').inputValue(), '');

    await page.evaluate(`window.hostReplies.send = { error: 'An answer is still being written.' }`);
    await page.locator('#composer-input').fill('again');
    await page.keyboard.press('Enter');
    await page.locator('#chat-banner[data-kind="error"]').waitFor();
    assert.match((await page.locator('#chat-banner').textContent()) ?? '', /still being written/);
    assert.equal(await page.locator('#composer-input').inputValue(), 'again');
    await chat.close();
  });

  it('streams an answer as Markdown, with a Stop button while it streams, then the stats', async () => {
    const chat = await opened();
    const { page } = chat;
    await chat.send({ type: 'answerStarted', conversationId: 'c-1', question: question('u-1', 'How do I pair it?'), answer: answer('a-1') });
    await page.locator('#stop-button').waitFor();
    await stream(chat, 'a-1', '## Pairing\n\nHold **the button**.\n\n```bash\necho paired\n\necho done\n```\n\nThen wait.\n\n', 14);
    await page.locator('[data-message-id="a-1"] h2').waitFor();
    await until(page, 'document.querySelector(\'[data-message-id="a-1"]\').textContent.includes("Then wait.")');
    assert.equal(await page.locator('[data-message-id="a-1"] pre').count(), 1, 'a blank line inside a code fence does not split the block while streaming');
    assert.equal(await page.locator('[data-message-id="a-1"] h2').textContent(), 'Pairing');
    assert.equal(await page.locator('[data-message-id="a-1"] strong').textContent(), 'the button');
    assert.equal(await page.locator('[data-message-id="a-1"]').getAttribute('aria-busy'), 'true');

    await page.locator('#stop-button').click();
    assert.equal((await lastPosted(chat, 'stop')).conversationId, 'c-1');
    await chat.send({
      type: 'answerEnded',
      conversationId: 'c-1',
      answer: answer('a-1', { status: 'stopped', content: '## Pairing\n\nHold **the button**.\n\n```bash\necho paired\n\necho done\n```\n', stats: { ...stats, finishReason: 'cancelled' } }),
    });
    await page.locator('#send-button').waitFor();
    assert.match((await page.locator('[data-message-id="a-1"] .stats').textContent()) ?? '', /412 prompt tokens · 64 tokens · first token 180 ms · 42\.5 tokens\/s/);
    assert.equal(await page.locator('[data-message-id="a-1"] .stopped-note').textContent(), 'Stopped.');
    assert.equal(await page.locator('#chat-status').textContent(), 'Answer stopped.');

    await page.locator('[data-message-id="a-1"] button.copy-code').click();
    assert.equal((await lastPosted(chat, 'copyText')).text, 'echo paired\n\necho done\n');
    await chat.close();
  });

  it("folds a reasoning model's thinking above the answer: Thinking… while it streams, then how long, expandable, as inert text", async () => {
    const chat = await opened();
    const { page } = chat;
    await chat.send({ type: 'answerStarted', conversationId: 'c-1', question: question('u-1', 'Why?'), answer: answer('a-1') });
    const thinking = 'The user asks why.\n<img src=x onerror="window.pwned = \'reasoning\'"> **not bold**';
    for (const piece of [thinking.slice(0, 10), thinking.slice(10)]) await chat.send({ type: 'reasoning', conversationId: 'c-1', messageId: 'a-1', text: piece, sentAt: Date.now() });
    const block = page.locator('[data-message-id="a-1"] details.reasoning');
    await until(page, `document.querySelector('[data-message-id="a-1"] .reasoning-text')?.textContent === ${JSON.stringify(thinking)}`);
    assert.equal(await block.locator('summary').textContent(), 'Thinking…');
    assert.equal(await block.getAttribute('open'), null, 'folded by default');
    await block.locator('summary').click();
    await chat.send({ type: 'reasoning', conversationId: 'c-1', messageId: 'a-1', text: '', sentAt: Date.now(), reasoningMs: 3200 });
    await stream(chat, 'a-1', 'Because **it is**.', 3);
    await page.locator('[data-message-id="a-1"] .message-body strong').waitFor();
    assert.equal(await block.locator('summary').textContent(), 'Thought for 3 s');
    assert.notEqual(await block.getAttribute('open'), null, 'stays open while the answer streams');
    assert.equal((await page.locator('[data-message-id="a-1"] .message-body').textContent())?.trim(), 'Because it is.', 'the thinking is not in the answer');
    assert.equal(await block.locator('img, strong').count(), 0, 'the thinking is plain text');
    assert.equal(await page.evaluate(`document.querySelector('[data-message-id="a-1"] details.reasoning').nextElementSibling.classList.contains('message-body')`), true, 'right above the answer');
    await chat.send({ type: 'answerEnded', conversationId: 'c-1', answer: answer('a-1', { status: 'done', content: 'Because **it is**.', reasoning: thinking, reasoningMs: 3200, stats }) });
    await page.locator('#send-button').waitFor();
    assert.equal(await block.locator('summary').textContent(), 'Thought for 3 s');
    assert.equal(await page.evaluate('window.pwned'), undefined);
    await chat.close();
  });

  it('stops the answer with Escape from the composer', async () => {
    const chat = await opened();
    await chat.send({ type: 'answerStarted', conversationId: 'c-1', question: question('u-1', 'q'), answer: answer('a-1') });
    await chat.page.locator('#composer-input').focus();
    await chat.page.keyboard.press('Escape');
    assert.equal((await lastPosted(chat, 'stop')).conversationId, 'c-1');
    await chat.close();
  });

  it('shows citations as chips that ask the host to open the cited range, and what the model saw', async () => {
    const chat = await opened();
    const { page } = chat;
    const input = {
      model: 'engine/Qwen/Qwen3-test',
      template: 'prompts/support.prompty',
      systemPrompt: 'You support Acme.',
      messages: [
        { role: 'system', content: 'You support Acme.\n\n[1] docs/setup.md:12-20' },
        { role: 'user', content: 'How do I pair it?' },
      ],
      examples: [
        {
          source: 'data/examples.jsonl:1',
          messages: [
            { role: 'user', content: 'q' },
            { role: 'assistant', content: 'a' },
          ],
        },
      ],
      passages,
      droppedTurns: 0,
      notes: ['1 earlier turn left out to fit the 4096-token context window.'],
    };
    await chat.send({ type: 'answerStarted', conversationId: 'c-1', question: question('u-1', 'How do I pair it?'), answer: answer('a-1') });
    await chat.send({ type: 'answerInput', conversationId: 'c-1', answer: answer('a-1', { input }) });
    await stream(chat, 'a-1', 'Hold the button for 5 seconds [1]. Unplug to reset [2]. Not a source: [7].');
    await chat.send({
      type: 'answerEnded',
      conversationId: 'c-1',
      answer: answer('a-1', { status: 'done', content: 'Hold the button for 5 seconds [1]. Unplug to reset [2]. Not a source: [7].', input, stats }),
    });
    const body = page.locator('[data-message-id="a-1"] .message-body');
    assert.equal(await body.locator('button.citation').count(), 2);
    assert.match((await body.textContent()) ?? '', /\[7\]/);
    await body.locator('button.citation[data-citation="1"]').click();
    const citation = await lastPosted(chat, 'openCitation');
    assert.deepEqual({ file: citation.file, startLine: citation.startLine, endLine: citation.endLine }, { file: 'docs/setup.md', startLine: 12, endLine: 20 });
    const chips = page.locator('[data-message-id="a-1"] .sources button.citation');
    assert.deepEqual(await chips.allTextContents(), ['1 setup.md:12-20', '2 faq.md:3']);
    await chips.nth(1).click();
    assert.equal((await lastPosted(chat, 'openCitation')).file, 'docs/faq.md');

    const details = page.locator('[data-message-id="a-1"] details.model-input');
    assert.match((await details.locator('summary').textContent()) ?? '', /What the model saw \(2 messages, template prompts\/support\.prompty, 1 example, 2 passages\)/);
    await details.locator('summary').click();
    // Rank and relevance as the Search Index quick pick shows them; the retriever's raw numbers only in the tooltip.
    assert.match((await details.textContent()) ?? '', /\[1\] docs\/setup\.md:12-20 — Setup › Pairing · #1 ●●●●● 100%/);
    assert.match((await details.textContent()) ?? '', /\[2\] docs\/faq\.md:3-3 · #2 ●●●○○ 50%/);
    assert.doesNotMatch((await details.textContent()) ?? '', /score 0\.0|bm25/);
    const relevance = details.locator('.passage-relevance');
    assert.deepEqual([await relevance.nth(0).getAttribute('title'), await relevance.nth(1).getAttribute('title')], ['score 0.032 (bm25 7.100, vector 0.820)', 'score 0.016']);
    assert.equal(await relevance.first().getAttribute('aria-label'), "rank 1, 100% of the best passage's score");
    assert.match((await details.textContent()) ?? '', /data\/examples\.jsonl:1: 2 turns/);
    assert.match((await details.textContent()) ?? '', /1 earlier turn left out/);
    await chat.close();
  });

  it('shows each retrieved passage once in what the model saw', async () => {
    const chat = await opened();
    const { page } = chat;
    const system = `You support Acme.\n\nCite sources.\n\n[1] docs/setup.md:12-20 (Setup > Pairing)\nHold the button for 5 seconds.\n\n[2] docs/faq.md:3-3\nReset by unplugging.`;
    const input = {
      model: 'engine/Qwen/Qwen3-test',
      systemPrompt: 'You support Acme.',
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: 'How do I pair it?' },
      ],
      examples: [],
      passages,
      droppedTurns: 0,
      notes: [],
    };
    await chat.send({ type: 'answerStarted', conversationId: 'c-1', question: question('u-1', 'How do I pair it?'), answer: answer('a-1') });
    await chat.send({ type: 'answerEnded', conversationId: 'c-1', answer: answer('a-1', { status: 'done', content: 'Hold it [1].', input, stats }) });
    const details = page.locator('[data-message-id="a-1"] details.model-input');
    await details.locator('summary').click();
    const text = (await details.textContent()) ?? '';
    assert.equal(text.split('Hold the button for 5 seconds.').length - 1, 1, text);
    assert.equal(text.split('Reset by unplugging.').length - 1, 1, text);
    assert.match((await details.locator('.turn.system').textContent()) ?? '', /You support Acme\.\s+Cite sources\.\s+\[the 2 retrieved passages, shown above\]/);
    await chat.close();
  });

  it('shows errors in place with the action that fixes them', async () => {
    const chat = await opened();
    const { page } = chat;
    await chat.send({ type: 'answerStarted', conversationId: 'c-1', question: question('u-1', 'q'), answer: answer('a-1') });
    await chat.send({
      type: 'answerEnded',
      conversationId: 'c-1',
      answer: answer('a-1', { status: 'error', error: { code: 'model-missing', message: 'No model is selected for this conversation.' } }),
    });
    const box = page.locator('[data-message-id="a-1"] .error-box[data-code="model-missing"]');
    assert.equal(await box.getAttribute('role'), 'alert');
    await box.getByRole('button', { name: 'Choose a model' }).click();
    assert.equal(await page.evaluate('document.activeElement.id'), 'setting-model');
    await box.getByRole('button', { name: 'Pick Chat Model…' }).click();
    const pick = await lastPosted(chat, 'pickChatModel');
    assert.deepEqual({ conversationId: pick.conversationId, retryMessageId: pick.retryMessageId }, { conversationId: 'c-1', retryMessageId: 'a-1' }, 'the pick answers the failed question again');

    await chat.send({ type: 'answerStarted', conversationId: 'c-1', question: question('u-2', 'q'), answer: answer('a-2') });
    await chat.send({
      type: 'answerEnded',
      conversationId: 'c-1',
      answer: answer('a-2', { status: 'error', content: 'partial', error: { code: 'engine-failure', message: 'The inference engine failed: worker exited' } }),
    });
    await page.locator('[data-message-id="a-2"] .error-box').getByRole('button', { name: 'Retry' }).click();
    assert.equal((await lastPosted(chat, 'retry')).messageId, 'a-2');
    await page.locator('[data-message-id="a-2"] .error-box').getByRole('button', { name: 'Show Logs' }).click();
    assert.equal((await lastPosted(chat, 'runCommand')).command, 'chatwright.showLogs');
    await chat.close();
  });

  it('sends the changed settings of the conversation', async () => {
    const chat = await opened();
    const { page } = chat;
    await page.locator('.settings-toggle').click();
    await page.locator('#setting-model').selectOption('local/llama');
    await page.locator('#setting-template').selectOption('prompts/support.prompty');
    await page.locator('#setting-few-shot').check();
    await page.locator('#setting-examples-file').selectOption('data/examples.jsonl');
    await page.locator('#setting-rag').check();
    await page.locator('#setting-rag-k').fill('6');
    await page.locator('#setting-rag-k').dispatchEvent('change');
    await page.locator('#setting-temperature').fill('5');
    await page.locator('#setting-temperature').dispatchEvent('change');
    await page.waitForTimeout(250);
    const settings = (await lastPosted(chat, 'updateSettings')).settings;
    assert.deepEqual(settings, {
      model: 'local/llama',
      template: 'prompts/support.prompty',
      fewShot: { enabled: true, k: 3, examplesFile: 'data/examples.jsonl' },
      rag: { enabled: true, k: 6 },
      temperature: 2,
      maxTokens: 512,
    });
    assert.match((await page.locator('#settings-summary').textContent()) ?? '', /llama · support\.prompty · 3-shot · RAG k=6 · t=2/);

    // A question sent right after a change carries it: the settings go first.
    await page.locator('#setting-max-tokens').fill('64');
    await page.locator('#setting-max-tokens').dispatchEvent('change');
    await page.locator('#composer-input').fill('now');
    await page.keyboard.press('Enter');
    await lastPosted(chat, 'send');
    const order = (await chat.posted()).filter((m) => m.type === 'updateSettings' || m.type === 'send').map((m) => (m.type === 'send' ? 'send' : (m.settings as { maxTokens: number }).maxTokens));
    assert.deepEqual(order.slice(-2), [64, 'send']);
    await chat.close();
  });

  it('creates, selects, renames, exports and deletes conversations', async () => {
    const chat = await opened();
    const { page } = chat;
    await chat.send({
      type: 'state',
      state: testState({
        conversations: [
          { id: 'c-1', title: 'Installing the device', updatedAt: 2, messageCount: 2 },
          { id: 'c-2', title: 'Billing', updatedAt: 1, messageCount: 4 },
        ],
      }),
    });
    await page.locator('#conversation-select').selectOption('c-2');
    assert.equal((await lastPosted(chat, 'selectConversation')).conversationId, 'c-2');
    await page.locator('#new-conversation').click();
    await lastPosted(chat, 'newConversation');
    await page.locator('#rename-conversation').click();
    await page.locator('.rename-input').fill('Pairing questions');
    await page.keyboard.press('Enter');
    assert.deepEqual((await lastPosted(chat, 'renameConversation')).title, 'Pairing questions');
    await page.locator('#export-conversation').click();
    assert.equal((await lastPosted(chat, 'exportConversation')).conversationId, 'c-1');
    await page.locator('#delete-conversation').click();
    assert.equal(
      (await chat.posted()).some((m) => m.type === 'deleteConversation'),
      false,
      'deleting asks first',
    );
    await page.locator('#confirm-delete').click();
    assert.equal((await lastPosted(chat, 'deleteConversation')).conversationId, 'c-1');
    assert.deepEqual(await page.evaluate('window.savedState'), { conversationId: 'c-1' }, 'the panel serializer gets the shown conversation');
    await chat.close();
  });

  it('adds an answer to a dataset, or an edited version of it', async () => {
    const chat = await opened({}, testConversation({ messages: [question('u-1', 'q'), answer('a-1', { status: 'done', content: 'The model said this.' })] }));
    const { page } = chat;
    await page.evaluate(`window.hostReplies.addToDataset = { value: { file: 'data/train.jsonl', line: 7 } }`);
    await page.locator('[data-message-id="a-1"] [data-action="add-to-dataset"]').click();
    const plain = await lastPosted(chat, 'addToDataset');
    assert.deepEqual({ messageId: plain.messageId, editedAnswer: plain.editedAnswer }, { messageId: 'a-1', editedAnswer: undefined });
    await until(page, 'document.getElementById("chat-status").textContent === "Added to data/train.jsonl, line 7."');
    await page.locator('[data-message-id="a-1"] [data-action="edit-and-add"]').click();
    await page.locator('.answer-editor-text').fill('The better answer.');
    await page.locator('.answer-editor').getByRole('button', { name: 'Add to dataset' }).click();
    await until(page, 'window.posted.filter((m) => m.type === "addToDataset").length === 2');
    assert.equal((await lastPosted(chat, 'addToDataset')).editedAnswer, 'The better answer.');
    await page.locator('.answer-editor').waitFor({ state: 'detached' });
    await chat.close();
  });

  it('opens a 200-message conversation and renders every answer, the visible ones first', async () => {
    const messages = Array.from({ length: 100 }, (_, i) => [
      question(`u-${i}`, `Question ${i}?`),
      answer(`a-${i}`, { status: 'done', content: `## Answer ${i}\n\n${'Some *text* with `code`. '.repeat(20)}\n\n\`\`\`js\nconsole.log(${i});\n\`\`\`` }),
    ]).flat();
    const chat = await opened({}, testConversation({ messages }));
    const { page } = chat;
    await page.locator('[data-message-id="a-99"] h2').waitFor();
    assert.equal(await page.locator('.message').count(), 200);
    // The oldest answer is far above the viewport: it is rendered in idle time, without scrolling to it.
    await page.locator('[data-message-id="a-0"] h2').waitFor({ state: 'attached' });
    assert.equal(await page.locator('.message.assistant h2').count(), 100);
    await chat.close();
  });

  it('gives every setting a whole line at the default sidebar width, with icons from the codicon font (screenshots)', async () => {
    mkdirSync(outputDir, { recursive: true });
    const chat = await opened({ viewport: { width: 300, height: 700 } }, testConversation({ settings: defaultChatSettings }));
    const { page } = chat;
    await chat.send({ type: 'state', state: testState({ chatModel: { kind: 'none' }, examplesFiles: ['data/examples.jsonl', 'data/support-examples-long-name.jsonl'] }) });
    await page.locator('#pick-chat-model').waitFor();
    await page.screenshot({ path: join(outputDir, 'chat-empty-sidebar.png') });
    await page.locator('.settings-toggle').click();
    for (const id of ['setting-model', 'setting-template', 'setting-examples-file', 'setting-index']) {
      const box = await page.locator(`#${id}`).boundingBox();
      assert.ok(box && box.width >= 150, `#${id} is ${box?.width}px wide`);
    }
    const iconFont = await page.evaluate(`getComputedStyle(document.querySelector('#new-conversation .codicon')).fontFamily`);
    assert.match(String(iconFont), /codicon/);
    assert.equal(await page.evaluate(`document.fonts.check('16px codicon')`), true, 'the icon font loaded under the CSP');
    assert.equal(await page.evaluate(`[...document.querySelectorAll('.chat-header button')].map((b) => b.textContent).join('')`), '', 'icons, not text glyphs');
    await page.screenshot({ path: join(outputDir, 'chat-settings-sidebar.png') });
    await chat.close();
  });

  it('looks right in the light, dark and high-contrast themes (screenshots)', async () => {
    mkdirSync(outputDir, { recursive: true });
    for (const theme of ['light', 'dark', 'high-contrast'] as const) {
      const input = {
        model: 'engine/Qwen/Qwen3-test',
        template: 'prompts/support.prompty',
        messages: [{ role: 'user', content: 'How do I pair it?' }],
        examples: [],
        passages,
        droppedTurns: 0,
        notes: [],
      };
      const content = 'To pair the device [1]:\n\n1. Hold the **pair** button for 5 seconds.\n2. Run:\n\n```bash\nacme pair --device 42\n```\n\nIf it still fails, unplug it to reset [2].';
      const chat = await opened({ theme }, testConversation({ messages: [question('u-1', 'How do I pair the device?'), answer('a-1', { status: 'done', content, input, stats })] }));
      await chat.page.locator('[data-message-id="a-1"] .code-block').waitFor();
      await chat.page.locator('#composer-input').fill('And how do I reset it?');
      await chat.page.screenshot({ path: join(outputDir, `chat-${theme}.png`) });
      await chat.close();
    }
  });
});
