import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { effectiveModel, historyBefore, newConversation, parseConversation, parseSettings, settingsForNewConversation, startExchange, titleFromText } from '../../../src/core/chat/conversation';
import { ConversationStore } from '../../../src/core/chat/conversationStore';
import { checkAppendedRow, exchangeToDatasetRow, rowAppendText } from '../../../src/core/chat/datasetRow';
import { readFewShotExamples } from '../../../src/core/chat/fewShotExamples';
import { conversationToMarkdown } from '../../../src/core/chat/markdownExport';
import { defaultChatSettings } from '../../../src/core/chat/chatTypes';
import { scratchDir } from '../../support/scratchDir';

describe('conversation model', () => {
  it('uses the workspace chat model for a conversation that chose none, and its own choice when it made one', () => {
    assert.equal(effectiveModel({ ...defaultChatSettings }, 'Qwen/Qwen3-0.6B'), 'engine/Qwen/Qwen3-0.6B');
    assert.equal(effectiveModel({ ...defaultChatSettings }, undefined), undefined);
    assert.equal(effectiveModel({ ...defaultChatSettings, model: 'endpoint/gpt-x' }, 'Qwen/Qwen3-0.6B'), 'endpoint/gpt-x');
  });

  it('starts a new conversation with the last settings but no model of its own, so it follows the workspace choice', () => {
    const settings = settingsForNewConversation({ ...defaultChatSettings, model: 'engine/old/model', temperature: 0.2, rag: { enabled: true, k: 6 } });
    assert.equal(settings.model, undefined);
    assert.equal(settings.temperature, 0.2);
    assert.deepEqual(settings.rag, { enabled: true, k: 6 });
    assert.deepEqual(settingsForNewConversation(undefined), defaultChatSettings);
  });

  it('titles a conversation from its first question, cut at a word', () => {
    assert.equal(titleFromText('  How do I\n install it?'), 'How do I');
    const title = titleFromText('word '.repeat(30));
    assert.ok(title.length <= 61 && title.endsWith('…') && !title.includes('  '), title);
    assert.equal(titleFromText('   '), 'New conversation');
  });

  it('keeps failed answers out of the history the model sees', () => {
    const c = newConversation();
    const a1 = startExchange(c, 'Q1', 'b/m');
    a1.status = 'error';
    const a2 = startExchange(c, 'Q2', 'b/m');
    a2.content = 'A2';
    a2.status = 'done';
    const a3 = startExchange(c, 'Q3', 'b/m');
    assert.deepEqual(historyBefore(c, a3.id), [
      { role: 'user', content: 'Q1' },
      { role: 'user', content: 'Q2' },
      { role: 'assistant', content: 'A2' },
      { role: 'user', content: 'Q3' },
    ]);
    assert.equal(c.title, 'Q1');
  });

  it('reads damaged settings back with defaults and clamps out-of-range values', () => {
    const s = parseSettings({ temperature: 9, maxTokens: -3, fewShot: { enabled: 'yes', k: 2.6 }, rag: { enabled: true }, model: 42 });
    assert.equal(s.temperature, 2);
    assert.equal(s.maxTokens, 1);
    assert.equal(s.fewShot.enabled, defaultChatSettings.fewShot.enabled);
    assert.equal(s.fewShot.k, 3);
    assert.equal(s.rag.enabled, true);
    assert.equal(s.model, undefined);
  });

  it('turns an answer that was streaming when the window closed into a stopped one', () => {
    const c = parseConversation({ id: 'c-1', title: 't', messages: [{ id: 'a', role: 'assistant', content: 'half', status: 'streaming' }, { role: 'user' }] });
    assert.equal(c?.messages.length, 1);
    assert.equal(c?.messages[0]?.role === 'assistant' && c.messages[0].status, 'stopped');
  });

  it('rejects ids that could escape the storage folder', () => {
    assert.equal(parseConversation({ id: '../../etc/passwd', title: 'x', messages: [] }), undefined);
  });
});

describe('ConversationStore', () => {
  it('saves, lists most recent first, loads, and deletes', async () => {
    const folder = scratchDir('chat');
    const store = new ConversationStore(folder);
    const older = newConversation(defaultChatSettings, 1000);
    const newer = newConversation(defaultChatSettings, 2000);
    const answer = startExchange(newer, 'Hello there', 'b/m', 2000);
    answer.content = 'Hi';
    answer.status = 'done';
    await store.save(older);
    await store.save(newer);
    const fresh = new ConversationStore(folder);
    assert.deepEqual(
      (await fresh.list()).map((s) => s.id),
      [newer.id, older.id],
    );
    assert.deepEqual(await fresh.load(newer.id), newer);
    await fresh.delete(older.id);
    assert.deepEqual(
      (await new ConversationStore(folder).list()).map((s) => s.id),
      [newer.id],
    );
    assert.deepEqual(
      (await readdir(folder)).filter((f) => f.endsWith('.tmp')),
      [],
    );
  });

  it('skips and reports damaged or foreign files without deleting them', async () => {
    const folder = scratchDir('chat');
    await writeFile(join(folder, 'broken.json'), '{"format": "chatwright.conver');
    await writeFile(join(folder, 'future.json'), JSON.stringify({ format: 'chatwright.conversation', version: 99, conversation: {} }));
    const store = new ConversationStore(folder);
    assert.deepEqual(await store.list(), []);
    assert.equal(store.problems.length, 2);
    assert.match(store.problems.map((p) => p.message).join('\n'), /not valid JSON[\s\S]*newer Chatwright/);
    assert.equal((await readdir(folder)).length, 2);
  });
});

describe('Markdown export', () => {
  it('writes questions, answers, sources, stats and errors', () => {
    const c = newConversation({ ...defaultChatSettings, model: 'engine/tiny' });
    c.title = 'Install';
    const a = startExchange(c, 'How do I install?', 'engine/tiny');
    a.content = 'Run `npm i` [1].';
    a.status = 'done';
    a.stats = { promptTokens: 12, completionTokens: 5, timeToFirstTokenMs: 80.4, tokensPerSecond: 31.25, totalMs: 300, finishReason: 'stop' };
    a.input = {
      model: 'engine/tiny',
      messages: [],
      examples: [],
      droppedTurns: 0,
      notes: [],
      passages: [{ index: 1, file: 'docs/a.md', startLine: 2, endLine: 4, headingPath: ['A'], text: 't', score: 0.25 }],
    };
    const b = startExchange(c, 'And then?', 'engine/tiny');
    b.status = 'error';
    b.error = { code: 'engine-failure', message: 'worker crashed' };
    const md = conversationToMarkdown(c, new Date('2026-01-01T00:00:00Z'));
    assert.ok(md.startsWith('# Install\n'));
    assert.ok(md.includes('## You\n\nHow do I install?'));
    assert.ok(md.includes('## Assistant (engine/tiny)\n\nRun `npm i` [1].'));
    assert.ok(md.includes('1. `docs/a.md:2-4` — A (score 0.250)'));
    assert.ok(md.includes('12 prompt tokens · 5 tokens · first token 80 ms · 31.3 tokens/s'));
    assert.ok(md.includes('> **Error (engine-failure):** worker crashed'));
  });
});

describe('Add to dataset', () => {
  it('makes a messages row from the template system prompt, the history and the (edited) answer', () => {
    const c = newConversation();
    const a1 = startExchange(c, 'Q1', 'b/m');
    a1.content = 'A1';
    a1.status = 'done';
    const a2 = startExchange(c, 'Q2', 'b/m');
    a2.content = 'draft';
    a2.status = 'done';
    a2.input = { model: 'b/m', systemPrompt: 'Be brief.', messages: [], examples: [], passages: [], droppedTurns: 0, notes: [] };
    assert.deepEqual(exchangeToDatasetRow(c, a2.id, '  Better answer. '), {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Q1' },
        { role: 'assistant', content: 'A1' },
        { role: 'user', content: 'Q2' },
        { role: 'assistant', content: 'Better answer.' },
      ],
    });
    assert.throws(() => exchangeToDatasetRow(c, a2.id, '   '), /empty/);
  });

  it('never joins the new row to a last line without a newline, and keeps CRLF files CRLF', () => {
    const row = { messages: [{ role: 'user' as const, content: 'q' }] };
    assert.equal(rowAppendText('', row), `${JSON.stringify(row)}\n`);
    assert.equal(rowAppendText('{"a":1}', row), `\n${JSON.stringify(row)}\n`);
    assert.equal(rowAppendText('{"a":1}\r\n', row), `${JSON.stringify(row)}\r\n`);
  });
});

describe('few-shot examples file', () => {
  it('takes the first k usable rows and says which lines were skipped', () => {
    const text = [
      '{"messages":[{"role":"system","content":"s"},{"role":"user","content":"u1"},{"role":"assistant","content":"a1"}]}',
      '',
      'nope',
      '{"prompt":"x"}',
      '{"messages":[{"role":"user","content":"u2"},{"role":"assistant","content":"a2"}]}',
      '{"messages":[{"role":"user","content":"u3"},{"role":"assistant","content":"a3"}]}',
    ].join('\n');
    const result = readFewShotExamples(text, 'ex.jsonl', 2);
    assert.deepEqual(
      result.examples.map((e) => e.source),
      ['ex.jsonl:1', 'ex.jsonl:5'],
    );
    assert.deepEqual(result.examples[0]!.messages, [
      { role: 'user', content: 'u1' },
      { role: 'assistant', content: 'a1' },
    ]);
    assert.deepEqual(
      result.skipped.map((s) => s.line),
      [3, 4],
    );
  });
});

describe('checkAppendedRow (the dataset validator on the new row)', () => {
  const row = {
    messages: [
      { role: 'user' as const, content: 'How do I reset?' },
      { role: 'assistant' as const, content: 'Hold the button.' },
    ],
  };

  it('passes a good row, ignoring file-level remarks such as too few rows', () => {
    const check = checkAppendedRow('', rowAppendText('', row));
    assert.equal(check.line, 0);
    assert.deepEqual([...check.errors, ...check.warnings], []);
  });

  it('warns, on the new line, that the row repeats an earlier one', () => {
    const existing = `{"messages":[{"role":"user","content":"x"},{"role":"assistant","content":"y"}]}\n${JSON.stringify(row)}`;
    const check = checkAppendedRow(existing, rowAppendText(existing, row));
    assert.equal(check.line, 2);
    assert.deepEqual(
      check.warnings.map((w) => w.code),
      ['duplicate-row'],
    );
  });

  it('rejects what a trainer would reject, such as a likely secret in the answer', () => {
    const leaky = { messages: [row.messages[0]!, { role: 'assistant' as const, content: 'Use key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCDEF' }] };
    const check = checkAppendedRow('', rowAppendText('', leaky));
    assert.ok(check.errors.length > 0, JSON.stringify(check));
  });
});
