import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runExchange } from '../../../src/core/chat/chatRunner';
import { newConversation, startExchange } from '../../../src/core/chat/conversation';
import { readFewShotExamples } from '../../../src/core/chat/fewShotExamples';
import { renderTemplateForChat, type PromptRenderer } from '../../../src/core/chat/templateAdapter';
import { renderPrompt } from '../../../src/core/prompts/renderPrompt';
import { RenderCancelledError } from '../../../src/core/prompts/renderErrors';
import { defaultRenderWorkerScript, RenderSandbox } from '../../../src/core/prompts/renderSandbox';
import { defaultChatSettings } from '../../../src/core/chat/chatTypes';
import { ScriptedBackend } from '../../support/scriptedBackend';

const sample = join(__dirname, '..', '..', '..', 'examples', 'support-bot');
const templatePath = join(sample, 'prompts', 'support.prompty');
const template = readFileSync(templatePath, 'utf8');
/** The renderer without the sandbox, for tests of what the chat makes of a rendered template. */
const renderHere: PromptRenderer = (request, signal) => renderPrompt(request, signal ? { signal } : {});

describe('rendering a .prompty template for the chat (through src/core/prompts)', () => {
  it("puts the user's question where the template asks for it", async () => {
    const rendered = await renderTemplateForChat(
      { text: template, templatePath, label: 'prompts/support.prompty', workspaceRoots: [sample], inputs: { question: 'What is E42?' }, examplesK: 0 },
      renderHere,
    );
    assert.equal(rendered.messages.length, 2);
    assert.equal(rendered.messages[0]!.role, 'system');
    assert.match(rendered.messages[0]!.content, /support assistant for the Brightleaf B2/);
    assert.deepEqual(rendered.messages[1], { role: 'user', content: 'What is E42?' });
    assert.deepEqual(rendered.examples, []);
  });

  it("separates the template's few-shot examples from its messages and keeps k of them", async () => {
    const withExamples = template.replace('sample:', 'examples:\n  file: ../data/examples.jsonl\n  k: 3\nsample:');
    const rendered = await renderTemplateForChat(
      { text: withExamples, templatePath, label: 'prompts/support.prompty', workspaceRoots: [sample], inputs: { question: 'Q?' }, examplesK: 2 },
      renderHere,
    );
    assert.equal(rendered.examples.length, 2);
    for (const example of rendered.examples)
      assert.deepEqual(
        example.messages.map((m) => m.role),
        ['user', 'assistant'],
      );
    assert.match(rendered.examples[0]!.messages[0]!.content, /C wire/);
    assert.deepEqual(
      rendered.messages.map((m) => m.role),
      ['system', 'user'],
    );
  });

  it('feeds a whole exchange: template, examples file and history in the order the model needs', async () => {
    const backend = new ScriptedBackend('scripted', { tokens: ['ok'] });
    const conversation = newConversation({
      ...defaultChatSettings,
      model: 'scripted/tiny',
      template: 'prompts/support.prompty',
      fewShot: { enabled: true, k: 1, examplesFile: 'data/examples.jsonl' },
    });
    const first = startExchange(conversation, 'Hello', 'scripted/tiny');
    first.content = 'Hi, how can I help?';
    first.status = 'done';
    const answer = startExchange(conversation, 'What does E42 mean?', 'scripted/tiny');
    await runExchange(
      conversation,
      answer,
      {
        backend: () => backend,
        renderTemplate: (_path, inputs, k) => renderTemplateForChat({ text: template, templatePath, label: 'prompts/support.prompty', workspaceRoots: [sample], inputs, examplesK: k }, renderHere),
        readExamples: (path, k) => Promise.resolve({ examples: readFewShotExamples(readFileSync(join(sample, path), 'utf8'), path, k).examples, notes: [] }),
      },
      { onToken: () => undefined },
      new AbortController().signal,
    );
    assert.equal(answer.status, 'done', JSON.stringify(answer.error));
    assert.deepEqual(
      backend.requests[0]!.messages.map((m) => m.role),
      ['system', 'user', 'assistant', 'user', 'assistant', 'user'],
    );
    assert.equal(backend.requests[0]!.messages.at(-1)!.content, 'What does E42 mean?');
    assert.equal(answer.input?.examples[0]?.source, 'data/examples.jsonl:1');
  });
});

describe('rendering a runaway .prompty for the chat in the render sandbox', () => {
  const runaway = '---\nsample:\n  question: q\n---\nuser:\n{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}\n';
  const input = { text: runaway, templatePath, label: 'prompts/runaway.prompty', workspaceRoots: [sample], inputs: {}, examplesK: 0 };

  it('stops the nested loop within its limit while the caller keeps running', async () => {
    // The loop budget is lifted so that only the time limit can stop it: the worker must not block this thread.
    const sandbox = new RenderSandbox({ workerScript: defaultRenderWorkerScript(), timeoutMs: 1000, budgets: { maxLoopIterations: 1e12 } });
    try {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 20);
      const started = Date.now();
      await assert.rejects(
        renderTemplateForChat(input, (request, signal) => sandbox.render(request, signal)),
        /Rendering stopped after 1000 ms/,
      );
      clearInterval(timer);
      assert.ok(Date.now() - started < 15_000);
      assert.ok(ticks >= 10, `the caller's timer fired ${ticks} times during the render`);
      const rendered = await renderTemplateForChat({ ...input, text: template, inputs: { question: 'Q?' } }, (request, signal) => sandbox.render(request, signal));
      assert.equal(rendered.messages.at(-1)!.content, 'Q?');
    } finally {
      await sandbox.dispose();
    }
  });

  it('stops it by the loop budget with the default budgets', async () => {
    const sandbox = new RenderSandbox({ workerScript: defaultRenderWorkerScript(), timeoutMs: 5000 });
    try {
      await assert.rejects(
        renderTemplateForChat(input, (request, signal) => sandbox.render(request, signal)),
        /Rendering stopped: the template runs over 200,000 loop iterations/,
      );
    } finally {
      await sandbox.dispose();
    }
  });

  it('terminates the render when the chat request is cancelled', async () => {
    const sandbox = new RenderSandbox({ workerScript: defaultRenderWorkerScript(), timeoutMs: 60_000, budgets: { maxLoopIterations: 1e12 } });
    try {
      const controller = new AbortController();
      const started = Date.now();
      const rendering = renderTemplateForChat({ ...input, signal: controller.signal }, (request, signal) => sandbox.render(request, signal));
      setTimeout(() => controller.abort(), 300);
      await assert.rejects(rendering, RenderCancelledError);
      assert.ok(Date.now() - started < 10_000);
      const rendered = await renderTemplateForChat({ ...input, text: template, inputs: { question: 'after' } }, (request, signal) => sandbox.render(request, signal));
      assert.equal(rendered.messages.at(-1)!.content, 'after');
    } finally {
      await sandbox.dispose();
    }
  });
});
