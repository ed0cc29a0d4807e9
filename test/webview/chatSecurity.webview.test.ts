import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type AssistantMessage, type Passage } from '../../src/shared/chatViewProtocol';
import { ChatPageHost, testConversation, testState, until, type ChatPage } from '../support/chatPage';

/**
 * Untrusted text (a model's answer, a retrieved document) must render inert. Every payload tries to set
 * `window.pwned`; the test renders them all, clicks every link and chip, and checks the sentinel never got set.
 */
const payloads = [
  '<script>window.pwned = "script"</script>',
  '<img src=x onerror="window.pwned = \'img-onerror\'">',
  "[click me](javascript:window.pwned='md-link')",
  '<a href="javascript:window.pwned=\'a-href\'">raw link</a>',
  "![pic](javascript:window.pwned='md-image')",
  '![pixel](http://127.0.0.1:9/track.png)',
  '<svg onload="window.pwned = \'svg-onload\'"><circle r="5"/></svg>',
  '<svg><script>window.pwned = "svg-script"</script></svg>',
  '<iframe srcdoc="<script>parent.pwned = \'iframe\'</script>"></iframe>',
  '<details open ontoggle="window.pwned = \'ontoggle\'">x</details>',
  '<math><mtext><table><mglyph><style><img src=x onerror="window.pwned=\'mxss\'"></style></mglyph></table></mtext></math>',
  '<form action="javascript:window.pwned=\'form\'"><button>go</button></form>',
  '[data](data:text/html,<script>window.pwned="data-url"</script>)',
  '<div style="background:url(javascript:window.pwned=\'style\')">styled</div>',
  '<a href="#" onclick="window.pwned=\'onclick\'">onclick</a>',
  '```html\n<script>window.pwned = "in-code"</script>\n```',
];
const hostile = `# Hostile\n\n${payloads.join('\n\n')}\n\nSee [1].`;

const passage: Passage = {
  index: 1,
  file: 'docs/<img src=x onerror="window.pwned=\'file\'">.md',
  startLine: 1,
  endLine: 9,
  headingPath: ['<script>window.pwned="heading"</script>'],
  text: hostile,
  score: 0.5,
  scores: { bm25: 1 },
};

const host = new ChatPageHost();
before(() => host.start());
after(() => host.stop());

async function assertInert(chat: ChatPage): Promise<void> {
  const { page } = chat;
  // Click everything clickable in the messages: links go to the host as requests, nothing runs here.
  for (const details of await page.locator('details').all()) await details.locator('summary').click();
  for (const link of await page.locator('.message-body a').all()) await link.click();
  for (const chip of await page.locator('button.citation').all()) await chip.click();
  await page.waitForTimeout(300);
  assert.equal(await page.evaluate('window.pwned'), undefined, 'the sentinel must never be set');
  const dangerous = await page.evaluate(`(() => {
    const log = document.getElementById('message-log');
    const found = [...log.querySelectorAll('script, img, svg, math, iframe, form, style, object, embed')].map((e) => e.tagName);
    for (const e of log.querySelectorAll('*')) for (const a of e.attributes) if (/^on/i.test(a.name) || a.name === 'href' || a.name === 'src' || a.name === 'style') found.push(e.tagName + '[' + a.name + ']');
    return found;
  })()`);
  assert.deepEqual(dangerous, [], 'no active elements or attributes in rendered messages');
  const links = (await chat.posted()).filter((m) => m.type === 'openLink').map((m) => m.href as string);
  assert.ok(links.includes("javascript:window.pwned='a-href'") === false, 'raw HTML links are not links at all (html is off)');
  assert.ok(
    links.every((href) => !/^javascript:/i.test(href)),
    `markdown-it refuses javascript: links, so none reach the host: ${links.join(', ')}`,
  );
}

describe('Chat webview security: untrusted Markdown renders inert', { timeout: 60_000 }, () => {
  it('in a streamed model answer, at every partial state of the stream', async () => {
    const chat = await host.open();
    await chat.send({ type: 'state', state: testState() });
    await chat.send({ type: 'conversation', conversation: testConversation() });
    const answer: AssistantMessage = {
      id: 'a-1',
      role: 'assistant',
      content: '',
      createdAt: 1,
      status: 'streaming',
      input: { model: 'm', messages: [], examples: [], passages: [passage], droppedTurns: 0, notes: [] },
    };
    await chat.send({ type: 'answerStarted', conversationId: 'c-1', question: { id: 'u-1', role: 'user', content: payloads.join('\n'), createdAt: 1 }, answer });
    for (let i = 0; i < hostile.length; i += 7) {
      await chat.send({ type: 'tokens', conversationId: 'c-1', messageId: 'a-1', text: hostile.slice(i, i + 7), sentAt: 0 });
      if (i % 140 === 0) await chat.page.waitForTimeout(20);
    }
    await chat.send({ type: 'answerEnded', conversationId: 'c-1', answer: { ...answer, status: 'done', content: hostile } });
    await chat.page.locator('[data-message-id="a-1"] h1').waitFor();
    assert.match((await chat.page.locator('[data-message-id="u-1"]').textContent()) ?? '', /<script>window\.pwned = "script"<\/script>/, "the user's own text is shown as typed");
    assert.match((await chat.page.locator('[data-message-id="a-1"] .message-body').textContent()) ?? '', /<img src=x onerror=/, 'raw HTML in an answer shows as text');
    await assertInert(chat);
    await chat.close();
  });

  it('in a retrieved document shown under "what the model saw", and in titles', async () => {
    const chat = await host.open();
    await chat.send({ type: 'state', state: testState({ conversations: [{ id: 'c-1', title: '<img src=x onerror="window.pwned=\'title\'">', updatedAt: 1, messageCount: 2 }] }) });
    const answer: AssistantMessage = {
      id: 'a-1',
      role: 'assistant',
      content: 'From the document [1].',
      createdAt: 1,
      status: 'done',
      input: { model: 'm', messages: [{ role: 'system', content: hostile }], examples: [], passages: [passage], droppedTurns: 0, notes: [hostile] },
    };
    await chat.send({
      type: 'conversation',
      conversation: testConversation({ title: '<script>window.pwned="title"</script>', messages: [{ id: 'u-1', role: 'user', content: 'q', createdAt: 1 }, answer] }),
    });
    await chat.page.locator('[data-message-id="a-1"] details').waitFor();
    await assertInert(chat);
    assert.match((await chat.page.locator('[data-message-id="a-1"] details').textContent()) ?? '', /<svg onload=/, 'the document text is shown, as text');
    await chat.close();
  });

  it('clicking a Markdown link asks the host instead of navigating', async () => {
    const chat = await host.open();
    await chat.send({ type: 'state', state: testState() });
    const content = 'Read [the guide](https://example.com/guide) or [setup](docs/setup.md#L3-L9).';
    await chat.send({
      type: 'conversation',
      conversation: testConversation({
        messages: [
          { id: 'u-1', role: 'user', content: 'q', createdAt: 1 },
          { id: 'a-1', role: 'assistant', content, createdAt: 1, status: 'done' },
        ],
      }),
    });
    const before = chat.page.url();
    await chat.page.locator('[data-message-id="a-1"] .message-body a').first().waitFor();
    await chat.page.locator('[data-message-id="a-1"] .message-body a', { hasText: 'the guide' }).click();
    await chat.page.locator('[data-message-id="a-1"] .message-body a', { hasText: 'setup' }).focus();
    await chat.page.keyboard.press('Enter');
    await until(chat.page, 'window.posted.filter((m) => m.type === "openLink").length === 2');
    const links = (await chat.posted()).filter((m) => m.type === 'openLink').map((m) => m.href);
    assert.deepEqual(links, ['https://example.com/guide', 'docs/setup.md#L3-L9']);
    assert.equal(chat.page.url(), before);
    await chat.close();
  });
});
