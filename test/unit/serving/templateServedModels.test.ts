import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultRenderWorkerScript, RenderSandbox } from '../../../src/core/prompts/renderSandbox';
import { IndexStore } from '../../../src/core/rag/store';
import { indexPassageSearch } from '../../../src/core/serving/indexPassageSearch';
import { type ServedChatRequest, type ServedModelProvider, ServingError } from '../../../src/core/serving/servedModels';
import { describeTemplate, TemplateServedModels, templateModelId } from '../../../src/core/serving/templateServedModels';
import { type ChatTurn } from '../../../src/core/text/chatTurn';
import { runCliCaptured } from '../../support/cli';
import { scratchDir } from '../../support/scratchDir';

/** The chat model underneath: records the messages it is asked to answer. */
class RecordingModels implements ServedModelProvider {
  readonly asked: ServedChatRequest[] = [];
  listModels() {
    return Promise.resolve([{ id: 'base', kind: 'chat' as const, ownedBy: 'chatwright', contextLength: 4096 }]);
  }
  chat(request: ServedChatRequest, onText: (delta: string) => void) {
    this.asked.push(request);
    onText('ok');
    return Promise.resolve({ promptTokens: 1, completionTokens: 1, finishReason: 'stop' as const });
  }
}

const manualTemplate = `---
name: Manual desk
retrieval:
  k: 2
  paths: ["docs/**"]
  variable: manual
inputs:
  question:
    type: string
---
system:
Answer from the manual.
{{ manual }}

user:
{{ question }}
`;

describe('a .prompty template served as a model', () => {
  const workspace = scratchDir('template-served');
  const sandbox = new RenderSandbox({ workerScript: defaultRenderWorkerScript(), timeoutMs: 10_000 });
  let store: IndexStore;

  before(async () => {
    mkdirSync(join(workspace, 'docs'), { recursive: true });
    mkdirSync(join(workspace, 'faq'), { recursive: true });
    writeFileSync(join(workspace, 'docs', 'dial.md'), '# Resetting the router\n\nHold the reset dial for ten seconds until the lamp blinks amber.\n');
    writeFileSync(join(workspace, 'docs', 'paint.md'), '# Painting the case\n\nThe case takes any acrylic paint.\n');
    writeFileSync(join(workspace, 'faq', 'dial.md'), '# Reset FAQ\n\nThe reset dial is on the back, next to the lamp.\n');
    writeFileSync(join(workspace, 'manual.prompty'), manualTemplate);
    const indexed = await runCliCaptured(['index', workspace, '--db', join(workspace, 'index.db')], { cwd: workspace });
    assert.equal(indexed.code, 0, indexed.stderr);
    store = IndexStore.open(join(workspace, 'index.db')).store;
  });

  after(async () => {
    store.close();
    await sandbox.dispose();
  });

  function served(base: RecordingModels) {
    const template = describeTemplate({ path: join(workspace, 'manual.prompty'), label: 'manual.prompty', text: manualTemplate, workspaceRoots: [workspace] }, ['base']);
    return new TemplateServedModels(base, [template], (request, signal) => sandbox.render(request, signal), indexPassageSearch(store, undefined));
  }

  it('is named after its file, runs on its parent, and is listed with it', async () => {
    assert.equal(templateModelId('/work/prompts/Support Desk.prompty'), 'Support Desk');
    const models = await served(new RecordingModels()).listModels();
    assert.deepEqual(models.at(-1), { id: 'manual', kind: 'chat', ownedBy: 'chatwright', parent: 'base', contextLength: 4096 });
  });

  it("retrieves passages from the index for the question, within the template's paths, into its variable", async () => {
    const base = new RecordingModels();
    await served(base).chat({ model: 'manual', messages: [{ role: 'user', content: 'How do I reset the dial?' }] }, () => undefined, new AbortController().signal);
    const messages = base.asked[0]!.messages;
    assert.equal(base.asked[0]!.model, 'base');
    assert.equal(messages[0]!.role, 'system');
    assert.match(messages[0]!.content, /^Answer from the manual\.\n\[1\] docs\/dial\.md:\d+-\d+ \(Resetting the router\)\n# Resetting the router\n\nHold the reset dial for ten seconds/);
    assert.ok(!messages[0]!.content.includes('faq/'), 'files outside the paths globs are not searched');
    assert.deepEqual(messages.at(-1), { role: 'user', content: 'How do I reset the dial?' });
  });

  it('keeps the conversation so far between the system prompt and the question', async () => {
    const base = new RecordingModels();
    const conversation: ChatTurn[] = [
      { role: 'user', content: 'Hello' },
      { role: 'assistant', content: 'Hi, how can I help?' },
      { role: 'user', content: 'Where is the dial?' },
    ];
    await served(base).chat({ model: 'manual', messages: conversation }, () => undefined, new AbortController().signal);
    assert.deepEqual(
      base.asked[0]!.messages.slice(1).map((message) => message.content),
      conversation.map((message) => message.content),
    );
  });

  it('passes requests for other models to the provider underneath unchanged', async () => {
    const base = new RecordingModels();
    const request = {
      model: 'base',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
    };
    await served(base).chat(request, () => undefined, new AbortController().signal);
    assert.deepEqual(base.asked[0], request);
  });

  it('refuses a conversation that does not end with a question', async () => {
    await assert.rejects(
      served(new RecordingModels()).chat(
        {
          model: 'manual',
          messages: [
            { role: 'user', content: 'Hi' },
            { role: 'assistant', content: 'Hello' },
          ],
        },
        () => undefined,
        new AbortController().signal,
      ),
      (error: unknown) => error instanceof ServingError && error.status === 400 && error.param === 'messages[1].role',
    );
  });

  it('refuses to serve a template that asks for retrieval when there is no index', () => {
    const template = describeTemplate({ path: join(workspace, 'manual.prompty'), label: 'manual.prompty', text: manualTemplate, workspaceRoots: [workspace] }, ['base']);
    assert.throws(() => new TemplateServedModels(new RecordingModels(), [template], (request, signal) => sandbox.render(request, signal)), /asks for retrieved passages/);
  });
});
