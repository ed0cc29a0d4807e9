// Browser performance of the Chat webview, measured with performance marks in headless Chromium, against a naive
// peer renderer (bench/chat/naivePeer.mjs) in the same run. Run: npx tsx bench/chat/run.ts
// Needs the built bundle (node scripts/build.mjs). Prints a table; never asserts a timing.
import { execSync } from 'node:child_process';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { type ChatMessage, type HostToChatView } from '../../src/shared/chatViewProtocol';
import { chatUpdate, ChatPageHost, testConversation, testState, until, type ChatPage } from '../../test/support/chatPage';

const root = join(__dirname, '..', '..');
const tokensInAnswer = 2000;
const tokenIntervalMs = Number(process.env.CHAT_BENCH_TOKEN_INTERVAL_MS ?? 5);

/** A realistic 2,000-token answer: headings, paragraphs, lists, inline code, fenced code, citations. About 4 characters a token. */
function answerTokens(): string[] {
  const sections: string[] = [];
  for (let i = 0; sections.join('').length < tokensInAnswer * 4; i++) {
    sections.push(
      `## Step ${i + 1}: configure the \`device-${i}\`\n\nFirst, open the settings and check that the **pairing mode** is on [1]. The device answers within a few seconds; if it does not, reset it as described in the manual [2].\n\n- Hold the button for *five* seconds\n- Wait for the light to blink twice\n- Run the command below\n\n\`\`\`bash\nacme pair --device ${i} --timeout 30\nacme status --verbose\n\`\`\`\n\n`,
    );
  }
  const text = sections.join('');
  const tokens: string[] = [];
  for (const piece of text.match(/\s*\S+|\s+/g) ?? []) {
    // Split long words like BPE would: at most 6 characters a token.
    for (let i = 0; i < piece.length; i += 6) tokens.push(piece.slice(i, i + 6));
  }
  return tokens.slice(0, tokensInAnswer);
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Result {
  firstPaintMs: number;
  firstRenderMs: number;
  tokenToPaintMedian: number;
  tokenToPaintP95: number;
  tokenSamples: number;
  streamLongTasks: number;
  streamLongestTaskMs: number;
  openConversationMs: number;
  openLongTasks: number;
  openLongestTaskMs: number;
  scrollFrameP95Ms: number;
  scrollLongTasks: number;
  scrollLongestTaskMs: number;
}

const observeLongTasks = `window.longTasks = []; new PerformanceObserver((list) => { for (const e of list.getEntries()) window.longTasks.push(e.duration); }).observe({ type: 'longtask', buffered: false });`;
const takeLongTasks = async (chat: ChatPage) => chat.page.evaluate<number[]>('(() => { const t = window.longTasks; window.longTasks = []; return t; })()');

async function measure(host: ChatPageHost, script: string): Promise<Result> {
  const chat = await host.open({ perf: true, script, viewport: { width: 420, height: 800 } });
  const { page } = chat;
  await page.evaluate(observeLongTasks);
  // First paint: the host answers `ready` with the state and an empty conversation, as the extension does.
  await chat.send({ type: 'state', state: testState() });
  await chat.send({ type: 'conversation', conversation: testConversation() });
  await until(page, `performance.getEntriesByName('chatwright:first-render').length > 0`);
  const firstPaintMs = await page.evaluate<number>(
    `new Promise((resolve) => requestAnimationFrame(() => setTimeout(() => resolve(performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN), 0)))`,
  );
  const firstRenderMs = await page.evaluate<number>(`performance.getEntriesByName('chatwright:first-render')[0].startTime`);

  // Streaming: the tokens are posted from inside the page at a steady rate, as the host's messages arrive.
  const tokens = answerTokens();
  await chat.send({
    type: 'answerStarted',
    conversationId: 'c-1',
    question: { id: 'u-1', role: 'user', content: 'How do I set up every device?', createdAt: 1 },
    answer: { id: 'a-1', role: 'assistant', content: '', createdAt: 1, status: 'streaming' },
  });
  await takeLongTasks(chat);
  await page.evaluate('window.chatwrightPerf.reset()');
  // A string, not a function: tsx's helpers do not exist in the page.
  await page.evaluate(`new Promise((resolve) => {
    const list = ${JSON.stringify(tokens)};
    let i = 0;
    const next = () => {
      if (i >= list.length) return resolve();
      window.postMessage({ jsonrpc: '2.0', method: 'chat/update', params: { type: 'tokens', conversationId: 'c-1', messageId: 'a-1', text: list[i++], sentAt: 0 } }, '*');
      setTimeout(next, ${tokenIntervalMs});
    };
    next();
  })`);
  await page.waitForTimeout(200);
  const samples = await page.evaluate<number[]>('window.chatwrightPerf.tokenToPaint.slice()');
  const streamTasks = await takeLongTasks(chat);

  // A 200-message conversation: open it, then scroll from the bottom to the top.
  const messages: ChatMessage[] = [];
  for (let i = 0; i < 100; i++) {
    messages.push({ id: `u-${i}`, role: 'user', content: `Question ${i}: how do I configure device ${i}?`, createdAt: i });
    messages.push({ id: `a-${i}`, role: 'assistant', content: tokens.slice(0, 150 + (i % 5) * 60).join(''), createdAt: i, status: 'done' });
  }
  const conversation: HostToChatView = { type: 'conversation', conversation: testConversation({ id: 'c-2', messages }) };
  const openMs = await page.evaluate<number>(`new Promise((resolve) => {
    const start = performance.now();
    window.postMessage(${JSON.stringify(chatUpdate(conversation))}, '*');
    // Painted: the frame after the message was handled.
    setTimeout(() => requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - start), 0)), 0);
  })`);
  await page.waitForTimeout(300);
  const openTasks = await takeLongTasks(chat);
  const frames = await page.evaluate<number[]>(`new Promise((resolve) => {
    const log = document.getElementById('message-log');
    const frames = [];
    let last = performance.now();
    const step = () => {
      const now = performance.now();
      frames.push(now - last);
      last = now;
      if (log.scrollTop <= 0) return resolve(frames);
      log.scrollTop -= 400;
      requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  })`);
  const scrollTasks = await takeLongTasks(chat);
  await chat.close();
  return {
    firstPaintMs,
    firstRenderMs,
    tokenToPaintMedian: percentile(samples, 50),
    tokenToPaintP95: percentile(samples, 95),
    tokenSamples: samples.length,
    streamLongTasks: streamTasks.length,
    streamLongestTaskMs: Math.max(0, ...streamTasks),
    openConversationMs: openMs,
    openLongTasks: openTasks.length,
    openLongestTaskMs: Math.max(0, ...openTasks),
    scrollFrameP95Ms: percentile(frames.slice(1), 95),
    scrollLongTasks: scrollTasks.length,
    scrollLongestTaskMs: Math.max(0, ...scrollTasks),
  };
}

async function main(): Promise<void> {
  // Both minified, as the packaged extension ships its webview (scripts/build.mjs --production).
  const bundle = async (entry: string) =>
    (await esbuild.build({ entryPoints: [join(root, entry)], bundle: true, write: false, minify: true, format: 'iife', platform: 'browser', target: 'chrome120', logLevel: 'warning' })).outputFiles[0]!
      .text;
  const host = new ChatPageHost();
  host.scripts.set('/chat-production.js', await bundle('webview/src/chat/main.ts'));
  host.scripts.set('/peer.js', await bundle('bench/chat/naivePeer.mjs'));
  await host.start();
  const load = execSync('uptime').toString().trim();
  const runs = Number(process.env.CHAT_BENCH_RUNS ?? 2);
  const ours: Result[] = [];
  const theirs: Result[] = [];
  for (let i = 0; i < runs; i++) {
    ours.push(await measure(host, '/chat-production.js'));
    theirs.push(await measure(host, '/peer.js'));
  }
  await host.stop();
  const median = (rs: Result[], key: keyof Result) =>
    percentile(
      rs.map((r) => r[key]),
      50,
    );
  const rows: [string, keyof Result, string][] = [
    ['first contentful paint (ms after navigation; the peer paints nothing when empty)', 'firstPaintMs', ''],
    ['first render of the conversation (ms after navigation)', 'firstRenderMs', '< 300'],
    [`token arrival → paint, median (ms), ${tokensInAnswer} tokens every ${tokenIntervalMs} ms`, 'tokenToPaintMedian', '< 16'],
    ['token arrival → paint, p95 (ms)', 'tokenToPaintP95', ''],
    ['long tasks (> 50 ms) while streaming', 'streamLongTasks', '0'],
    ['longest long task while streaming (ms)', 'streamLongestTaskMs', ''],
    ['open a 200-message conversation, to paint (ms)', 'openConversationMs', ''],
    ['long tasks while opening it', 'openLongTasks', ''],
    ['longest long task while opening it (ms)', 'openLongestTaskMs', ''],
    ['scroll bottom → top, frame time p95 (ms)', 'scrollFrameP95Ms', ''],
    ['long tasks while scrolling', 'scrollLongTasks', '0'],
  ];
  console.log(`Chat webview benchmark — Chromium headless, ${runs} runs each (median), load: ${load}`);
  console.log(`peer: the same markdown-it + DOMPurify pipeline, re-rendered synchronously per token, every message rendered up front\n`);
  console.log(['metric'.padEnd(82), 'Chatwright'.padStart(11), 'naive peer'.padStart(11), 'peer/ours'.padStart(10), 'budget'.padStart(8)].join(' '));
  for (const [label, key, budget] of rows) {
    const a = median(ours, key);
    const b = median(theirs, key);
    const ratio = Number.isNaN(a) || Number.isNaN(b) ? 'n/a' : a > 0 ? (b / a).toFixed(2) : b > 0 ? '∞' : '—';
    const show = (v: number) => (Number.isNaN(v) ? 'n/a' : v.toFixed(1));
    console.log([label.padEnd(82), show(a).padStart(11), show(b).padStart(11), ratio.padStart(10), budget.padStart(8)].join(' '));
  }
  console.log(`\ntoken samples per run: ours ${ours.map((r) => r.tokenSamples).join(', ')}; peer ${theirs.map((r) => r.tokenSamples).join(', ')}`);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
