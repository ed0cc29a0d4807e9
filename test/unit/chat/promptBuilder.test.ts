import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChatBackendError } from '../../../src/core/chat/backend';
import { buildPrompt, citationInstruction, citedPassages, formatPassages } from '../../../src/core/chat/promptBuilder';
import { type Passage } from '../../../src/core/chat/chatTypes';

const passage = (index: number, text: string, file = 'docs/guide.md'): Passage => ({ index, file, startLine: 3, endLine: 9, headingPath: ['Guide', 'Install'], text, score: 0.5 });

describe('buildPrompt', () => {
  it('sends just the question when nothing else is configured', () => {
    const input = buildPrompt({ model: 'm/x', question: 'Hi?', history: [], examples: [], passages: [], maxTokens: 10 });
    assert.deepEqual(input.messages, [{ role: 'user', content: 'Hi?' }]);
    assert.equal(input.systemPrompt, undefined);
  });

  it('orders system prompt, few-shot examples, history, then the question', () => {
    const input = buildPrompt({
      model: 'm/x',
      question: 'Q2',
      history: [
        { role: 'user', content: 'Q1' },
        { role: 'assistant', content: 'A1' },
      ],
      template: {
        path: 'bot.prompty',
        rendered: {
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: 'Question: Q2' },
          ],
          examples: [],
        },
      },
      examples: [
        {
          source: 'ex.jsonl:1',
          messages: [
            { role: 'system', content: 'dropped' },
            { role: 'user', content: 'EQ' },
            { role: 'assistant', content: 'EA' },
          ],
        },
      ],
      passages: [],
      maxTokens: 10,
    });
    assert.deepEqual(
      input.messages.map((m) => `${m.role}:${m.content}`),
      ['system:Be brief.', 'user:EQ', 'assistant:EA', 'user:Q1', 'assistant:A1', 'user:Question: Q2'],
    );
    assert.equal(input.systemPrompt, 'Be brief.');
    assert.equal(input.template, 'bot.prompty');
  });

  it('adds the numbered passages and the citation instruction to the system prompt when the template does not place them', () => {
    const passages = [passage(1, 'Run npm install.'), passage(2, 'Then npm start.', 'docs/run.md')];
    const input = buildPrompt({ model: 'm/x', question: 'How?', history: [], examples: [], passages, maxTokens: 10 });
    const system = input.messages[0]!;
    assert.equal(system.role, 'system');
    assert.ok(system.content.includes(citationInstruction));
    assert.ok(system.content.includes('[1] docs/guide.md:3-9 (Guide > Install)\nRun npm install.'));
    assert.ok(system.content.includes('[2] docs/run.md:3-9'));
    assert.equal(input.systemPrompt, undefined, 'the dataset row must not carry the retrieved passages');
  });

  it('leaves the passages where a template put them', () => {
    const passages = [passage(1, 'Run npm install.')];
    const context = formatPassages(passages);
    const input = buildPrompt({
      model: 'm/x',
      question: 'How?',
      history: [],
      template: {
        path: 't.prompty',
        rendered: {
          messages: [
            { role: 'system', content: `Use:\n${context}` },
            { role: 'user', content: 'How?' },
          ],
          examples: [],
        },
      },
      examples: [],
      passages,
      maxTokens: 10,
    });
    assert.equal(input.messages[0]!.content, `Use:\n${context}`);
    assert.equal(input.messages.filter((m) => m.content.includes('Run npm install.')).length, 1);
  });

  it('drops the oldest exchanges to fit the context window and says so', () => {
    const long = 'x'.repeat(400); // about 100 tokens
    const history = [
      { role: 'user' as const, content: long },
      { role: 'assistant' as const, content: long },
      { role: 'user' as const, content: 'short' },
      { role: 'assistant' as const, content: 'short' },
    ];
    const input = buildPrompt({ model: 'm/x', question: 'Q', history, examples: [], passages: [], contextLength: 150, maxTokens: 100 });
    assert.deepEqual(
      input.messages.map((m) => m.content),
      ['short', 'short', 'Q'],
    );
    assert.equal(input.droppedTurns, 2);
    assert.match(input.notes.join(' '), /2 earlier turns left out to fit the 150-token context window/);
  });

  it('fails with context-too-long, naming what takes the room, when the question and passages alone do not fit', () => {
    const passages = [passage(1, 'y'.repeat(2000))];
    assert.throws(
      () => buildPrompt({ model: 'm/x', question: 'Q', history: [], examples: [], passages, contextLength: 300, maxTokens: 100 }),
      (error: unknown) => error instanceof ChatBackendError && error.code === 'context-too-long' && /1 retrieved passages take about 5\d\d/.test(error.message),
    );
  });
});

describe('citedPassages', () => {
  it('finds [n] and [n, m] citations of existing passages in order of first mention', () => {
    const passages = [passage(1, 'a'), passage(2, 'b'), passage(3, 'c')];
    assert.deepEqual(citedPassages('See [3] and [1, 2]; again [3]. Not [7] or [x].', passages), [3, 1, 2]);
  });
});
