import { openFolders } from '../../support/vscodeStub';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runExchange } from '../../../src/core/chat/chatRunner';
import { newConversation, startExchange } from '../../../src/core/chat/conversation';
import { BackendRegistry } from '../../../src/host/chat/backendRegistry';
import { WorkspaceChatSources } from '../../../src/host/chat/workspaceChatSources';
import { defaultChatSettings } from '../../../src/core/chat/chatTypes';
import { scratchDir } from '../../support/scratchDir';
import { ScriptedBackend } from '../../support/scriptedBackend';

/** Runs `work` while a 10 ms timer ticks on this thread; reports the longest gap between ticks (the event loop's lag). */
async function withLagProbe<T>(work: () => Promise<T>): Promise<{ outcome: PromiseSettledResult<T>; maxLagMs: number; ticks: number; elapsedMs: number }> {
  let last = performance.now();
  let maxLagMs = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxLagMs = Math.max(maxLagMs, now - last - 10);
    last = now;
    ticks++;
  }, 10);
  const started = performance.now();
  const [outcome] = await Promise.allSettled([work()]);
  clearInterval(timer);
  return { outcome, maxLagMs, ticks, elapsedMs: performance.now() - started };
}

describe("the chat's templates in the host (rendered in the render sandbox)", () => {
  const root = scratchDir('chat-sources');
  const header = '---\nname: Runaway\nsample:\n  question: q\n---\n';
  let renderTimeoutMs = 2000;
  let sources: WorkspaceChatSources;
  const backends = new BackendRegistry();
  const backend = new ScriptedBackend('scripted', { tokens: ['ok'] });

  before(() => {
    mkdirSync(join(root, 'prompts'));
    // Both stay within the default loop budget (200,000 iterations), so only the time limit stops them.
    writeFileSync(
      join(root, 'prompts', 'slow.prompty'),
      `${header}user:\n{% for a in range(400) %}{% for b in range(450) %}{{ (a ~ b) | upper | lower | trim }}{% endfor %}{% endfor %}{{ question }}\n`,
    );
    writeFileSync(join(root, 'prompts', 'support.prompty'), `${header}system:\nYou are brief.\n\nuser:\n{{ question }}\n`);
    openFolders([root]);
    backends.register(backend);
    sources = new WorkspaceChatSources({ backends, renderTimeoutMs: () => renderTimeoutMs });
  });

  after(() => sources.dispose());

  it('stops a runaway template within its time limit while the extension host keeps running', async () => {
    renderTimeoutMs = 1000;
    const conversation = newConversation({ ...defaultChatSettings, model: 'scripted/tiny', template: 'prompts/slow.prompty' });
    const answer = startExchange(conversation, 'Where?', 'scripted/tiny');
    // Warm the worker first: starting it (loading the renderer's code) is not the template's time.
    await sources.renderTemplate('prompts/support.prompty', { question: 'warm-up' }, 0, new AbortController().signal);
    const probe = await withLagProbe(() => runExchange(conversation, answer, sources, { onToken: () => undefined }, new AbortController().signal));
    assert.equal(probe.outcome.status, 'fulfilled');
    assert.equal(answer.status, 'error');
    assert.match(answer.error?.message ?? '', /Rendering stopped after 1000 ms/);
    assert.equal(backend.requests.length, 0, 'nothing was generated from a template that did not render');
    // Rendered on this thread, the loop would hold the timer for the whole second; margins are for a loaded machine.
    assert.ok(probe.elapsedMs < 1000 + 5000, `stopped after ${Math.round(probe.elapsedMs)} ms`);
    assert.ok(probe.maxLagMs < 400, `the host's event loop lagged ${Math.round(probe.maxLagMs)} ms at most`);
    assert.ok(probe.ticks >= 20, `the host's timer fired ${probe.ticks} times during the render`);
  });

  it('renders the next template at once in a fresh worker, with the limit of the current setting', async () => {
    renderTimeoutMs = 2000;
    const rendered = await sources.renderTemplate('prompts/support.prompty', { question: 'Where is it?' }, 0, new AbortController().signal);
    assert.deepEqual(rendered.messages, [
      { role: 'system', content: 'You are brief.' },
      { role: 'user', content: 'Where is it?' },
    ]);
  });

  it('refuses a template outside the workspace, naming it', async () => {
    await assert.rejects(sources.renderTemplate('../elsewhere.prompty', {}, 0, new AbortController().signal), /\.\.\/elsewhere\.prompty is not a file in this workspace/);
  });
});
