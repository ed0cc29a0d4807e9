import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runExchange, type ChatSources } from '../../../src/core/chat/chatRunner';
import { newConversation, startExchange } from '../../../src/core/chat/conversation';
import { parsePromptyDocument } from '../../../src/core/prompts/promptyDocument';
import { retrievalSettings } from '../../../src/core/prompts/promptySettings';
import { defaultChatSettings, type ChatSettings } from '../../../src/core/chat/chatTypes';
import { ScriptedBackend } from '../../support/scriptedBackend';

const template = `---
name: Support
retrieval:
  k: 2
  index: docs
  paths: ["docs/**", "faq/*.md"]
  variable: manual
inputs:
  question:
    type: string
---
system:
Answer from the manual below.
{{ manual }}

user:
{{ question }}
`;

function conversationWith(settings: Partial<ChatSettings>) {
  const conversation = newConversation({ ...defaultChatSettings, model: 'scripted/tiny', template: 'prompts/support.prompty', ...settings });
  const answer = startExchange(conversation, 'How do I reset it?', conversation.settings.model);
  return { conversation, answer };
}

describe("a template's retrieval settings in the chat", () => {
  it('reads retrieval: {k, index, paths, variable} from the front matter', () => {
    assert.deepEqual(retrievalSettings(parsePromptyDocument(template).frontMatter?.data), { index: 'docs', k: 2, paths: ['docs/**', 'faq/*.md'], variable: 'manual' });
  });

  it('ignores malformed values and defaults the variable to context', () => {
    assert.deepEqual(retrievalSettings({ retrieval: { k: 0, paths: 'docs/**', variable: 'not valid' } }), { paths: ['docs/**'], variable: 'context' });
    assert.equal(retrievalSettings({ retrieval: 'yes' }), undefined);
    assert.equal(retrievalSettings({}), undefined);
  });

  it("retrieves with the template's k, index and path globs, and fills its variable", async () => {
    const backend = new ScriptedBackend('scripted', { tokens: ['Hold the dial [1].'] });
    const { conversation, answer } = conversationWith({ rag: { enabled: true, k: 5 } });
    const calls: unknown[] = [];
    let renderedWith: Record<string, unknown> | undefined;
    const sources: ChatSources = {
      backend: () => backend,
      templateRetrieval: () => Promise.resolve(retrievalSettings(parsePromptyDocument(template).frontMatter?.data)),
      retrieve: (query, k, index, _signal, paths) => {
        calls.push({ query, k, index, paths });
        return Promise.resolve([1, 2, 3].map((n) => ({ file: `docs/page${n}.md`, startLine: n, endLine: n + 2, headingPath: ['Reset'], text: `Passage ${n}`, score: 1 / n })));
      },
      renderTemplate: (_path, inputs) => {
        renderedWith = inputs;
        return Promise.resolve({
          messages: [
            { role: 'system', content: `Answer from the manual below.\n${String(inputs.manual)}` },
            { role: 'user', content: String(inputs.question) },
          ],
          examples: [],
        });
      },
    };
    await runExchange(conversation, answer, sources, { onToken: () => undefined }, new AbortController().signal);
    assert.equal(answer.status, 'done');
    assert.deepEqual(calls, [{ query: 'How do I reset it?', k: 2, index: 'docs', paths: ['docs/**', 'faq/*.md'] }]);
    assert.equal(answer.input?.passages.length, 2);
    assert.match(String(renderedWith?.manual), /Passage 1/);
    assert.doesNotMatch(String(renderedWith?.manual), /Passage 3/);
    assert.ok(answer.input?.notes.some((note) => note.includes('Retrieval settings from prompts/support.prompty: k=2, index docs, paths docs/**, faq/*.md')));
  });

  it('says so when the template asks for passages but RAG is off, and retrieves nothing', async () => {
    const backend = new ScriptedBackend('scripted', { tokens: ['ok'] });
    const { conversation, answer } = conversationWith({ rag: { enabled: false, k: 5 } });
    let retrieved = false;
    await runExchange(
      conversation,
      answer,
      {
        backend: () => backend,
        templateRetrieval: () => Promise.resolve({ k: 3, paths: [], variable: 'context' }),
        retrieve: () => {
          retrieved = true;
          return Promise.resolve([]);
        },
        renderTemplate: (_path, inputs) => Promise.resolve({ messages: [{ role: 'user', content: String(inputs.question) }], examples: [] }),
      },
      { onToken: () => undefined },
      new AbortController().signal,
    );
    assert.equal(retrieved, false);
    assert.ok(answer.input?.notes.some((note) => note.includes('turn RAG on')));
  });
});
