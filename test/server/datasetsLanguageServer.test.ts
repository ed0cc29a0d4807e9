import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { type CodeAction, type Diagnostic, type Hover, type TextEdit } from 'vscode-languageserver-protocol';
import { LspTestClient } from '../support/lspClient';
import { qwen3ModelFolder } from '../support/promptFixtures';

const fixtures = join(__dirname, '..', 'fixtures', 'datasets');
const chat = (i: number) =>
  JSON.stringify({
    messages: [
      { role: 'user', content: `Question ${i}?` },
      { role: 'assistant', content: `Answer ${i}.` },
    ],
  });

function applyEdits(text: string, edits: TextEdit[]): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((sum, line) => sum + line.length + 1, 0) + p.character;
  let result = text;
  for (const edit of [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start))) result = result.slice(0, offset(edit.range.start)) + edit.newText + result.slice(offset(edit.range.end));
  return result;
}

describe('language server: dataset diagnostics, quick fixes and hover over a real LSP connection', () => {
  let client: LspTestClient;
  before(async () => {
    client = await LspTestClient.start();
  });
  after(async () => {
    await client.stop();
  });

  it('answers a row nested 200,000 levels deep as it answers one nested a thousand deep, and flags a row past the default context', async () => {
    const deep = (depth: number) => `{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": ${'['.repeat(depth)}${']'.repeat(depth)}}]}`;
    const answers: string[][] = [];
    for (const depth of [1_000, 200_000]) {
      const rows = Array.from({ length: 12 }, (_, i) => chat(i));
      rows[3] = deep(depth);
      // A long row loads the default tokenizer once (seconds on a loaded machine).
      const { diagnostics } = await client.open(`file:///ws/deep-${depth}.jsonl`, 'jsonl', `${rows.join('\n')}\n`, 60_000);
      answers.push(
        diagnostics
          .filter((d) => d.range.start.line === 3)
          .map((d) => String(d.code))
          .sort(),
      );
    }
    assert.deepEqual(answers[0], ['invalid-content', 'too-deeply-nested']);
    assert.deepEqual(answers[1], answers[0]);
    const long = JSON.stringify({
      messages: [
        { role: 'user', content: 'Summarise.' },
        { role: 'assistant', content: 'word '.repeat(40_000) },
      ],
    });
    const { diagnostics } = await client.open('file:///ws/long.jsonl', 'jsonl', `${[long, ...Array.from({ length: 11 }, (_, i) => chat(i))].join('\n')}\n`, 60_000);
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.range.start.line]),
      [['too-many-tokens', 0]],
    );
  });

  it('publishes the dataset checks for a defective fixture, at the offending value', async () => {
    const text = readFileSync(join(fixtures, 'unrecognized-role.jsonl'), 'utf8');
    const { diagnostics } = await client.open('file:///ws/roles.jsonl', 'jsonl', text);
    const roles = diagnostics.filter((d) => d.code === 'unrecognized-role');
    assert.equal(roles.length, 2);
    const line = text.split('\n')[2]!;
    assert.equal(line.slice(roles[0]!.range.start.character, roles[0]!.range.end.character), '"human"');
    assert.equal(roles[0]!.source, 'chatwright');
  });

  it('offers the role rename as a quick fix, and the fixed text is clean', async () => {
    const uri = 'file:///ws/roles.jsonl';
    let text = readFileSync(join(fixtures, 'unrecognized-role.jsonl'), 'utf8');
    let diagnostics: Diagnostic[] = client.latestDiagnostics(uri)!;
    for (let round = 0; round < 2; round++) {
      const target = diagnostics.find((d) => d.code === 'unrecognized-role')!;
      const actions = await client.connection.sendRequest<CodeAction[]>('textDocument/codeAction', { textDocument: { uri }, range: target.range, context: { diagnostics: [target] } });
      const fix = actions.find((a) => a.title.startsWith('Rename the role'))!;
      assert.ok(fix, `actions: ${actions.map((a) => a.title).join(', ')}`);
      const edits = fix.edit!.changes![uri]!;
      text = applyEdits(text, edits);
      ({ diagnostics } = await client.change(
        uri,
        edits.map((edit) => ({ range: edit.range, text: edit.newText })),
      ));
    }
    assert.deepEqual(diagnostics, []);
    assert.match(text.split('\n')[2]!, /"role": "user".*"role": "assistant"/);
  });

  it('offers the role the position requires as the preferred fix, and the alias after it, not preferred', async () => {
    const uri = 'file:///ws/positional-role.jsonl';
    const row = JSON.stringify({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'bot', content: 'Hi' },
        { role: 'assistant', content: 'Hello.' },
      ],
    });
    const { diagnostics } = await client.open(uri, 'jsonl', `${[row, ...Array.from({ length: 10 }, (_, i) => chat(i))].join('\n')}\n`);
    const target = diagnostics.find((d) => d.code === 'unrecognized-role')!;
    const actions = await client.connection.sendRequest<CodeAction[]>('textDocument/codeAction', { textDocument: { uri }, range: target.range, context: { diagnostics: [target] } });
    assert.deepEqual(
      actions.map((a) => [a.title, a.isPreferred === true]),
      [
        ['Rename the role to "user"', true],
        ['Rename the role to "assistant"', false],
      ],
    );
    const fixed = await client.change(
      uri,
      actions[0]!.edit!.changes![uri]!.map((edit) => ({ range: edit.range, text: edit.newText })),
    );
    assert.deepEqual(fixed.diagnostics, []);
  });

  it('offers to insert the missing closing brackets of a row, and the fixed text is clean', async () => {
    const uri = 'file:///ws/unclosed.jsonl';
    const rows = Array.from({ length: 11 }, (_, i) => chat(i));
    const { diagnostics } = await client.open(uri, 'jsonl', `${[rows[0]!.slice(0, -2), ...rows.slice(1)].join('\n')}\n`);
    const target = diagnostics.find((d) => d.code === 'invalid-json')!;
    const actions = await client.connection.sendRequest<CodeAction[]>('textDocument/codeAction', { textDocument: { uri }, range: target.range, context: { diagnostics: [target] } });
    const insert = actions.find((a) => a.title === 'Insert `]}` to close the row');
    assert.ok(insert?.isPreferred, `actions: ${actions.map((a) => a.title).join(', ')}`);
    const fixed = await client.change(
      uri,
      insert.edit!.changes![uri]!.map((edit) => ({ range: edit.range, text: edit.newText })),
    );
    assert.deepEqual(fixed.diagnostics, []);
  });

  it('updates duplicates when a one-line edit creates or removes one', async () => {
    const uri = 'file:///ws/dups.jsonl';
    const rows = Array.from({ length: 12 }, (_, i) => chat(i));
    await client.open(uri, 'jsonl', `${rows.join('\n')}\n`);
    const line = 7;
    const { diagnostics } = await client.change(uri, [{ range: { start: { line, character: 0 }, end: { line, character: rows[line]!.length } }, text: rows[2]! }]);
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.range.start.line]),
      [['duplicate-row', 7]],
    );
    assert.equal(diagnostics[0]!.relatedInformation?.[0]?.location.range.start.line, 2);
    const cleared = await client.change(uri, [{ range: { start: { line, character: 0 }, end: { line, character: rows[2]!.length } }, text: rows[line]! }]);
    assert.deepEqual(cleared.diagnostics, []);
  });

  it('offers converting ShareGPT rows, one or the whole file, to OpenAI messages', async () => {
    const uri = 'file:///ws/sharegpt.jsonl';
    const text = readFileSync(join(fixtures, 'unrecognized-speaker.jsonl'), 'utf8');
    await client.open(uri, 'jsonl', text);
    const actions = await client.connection.sendRequest<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
      context: { diagnostics: [] },
    });
    const single = actions.find((a) => a.title.startsWith('Convert this ShareGPT row'))!;
    assert.equal(single.edit!.changes![uri]![0]!.newText, '{"messages":[{"role":"user","content":"Hi 0"},{"role":"assistant","content":"Hello 0"}]}');
    const whole = actions.find((a) => a.title.startsWith('Convert all'))!;
    // The row with an unknown speaker cannot be converted and is left alone.
    assert.equal(whole.edit!.changes![uri]!.length, 10);
  });

  it('answers hover on a row with its format, turns and token count', async () => {
    const hover = await client.connection.sendRequest<Hover>('textDocument/hover', { textDocument: { uri: 'file:///ws/dups.jsonl' }, position: { line: 0, character: 3 } });
    const value = (hover.contents as { value: string }).value;
    assert.match(value, /OpenAI chat/);
    assert.match(value, /2 turns/);
    assert.match(value, /\d+ tokens \(Qwen3/);
  });

  it('checks rows as the format a glob setting gives, and warns over max tokens once counted', async () => {
    await client.connection.sendNotification('workspace/didChangeConfiguration', {
      settings: { chatwright: { datasets: { diagnostics: true, formats: { '*.sft.jsonl': 'messages' }, maxTokens: 20 } } },
    });
    const uri = 'file:///ws/data.sft.jsonl';
    const long = JSON.stringify({
      messages: [
        { role: 'user', content: 'word '.repeat(50) },
        { role: 'assistant', content: 'ok' },
      ],
    });
    const first = await client.open(uri, 'jsonl', `${['{"text": "plain"}', long, ...Array.from({ length: 10 }, (_, i) => chat(i))].join('\n')}\n`);
    assert.ok(first.diagnostics.some((d) => d.code === 'format-mismatch' && d.range.start.line === 0));
    // Token counts arrive in a second publication, after the structural diagnostics.
    const counted = await client.waitForDiagnostics(uri);
    assert.deepEqual(
      counted.diagnostics.filter((d) => d.code === 'too-many-tokens').map((d) => d.range.start.line),
      [1],
    );
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: { chatwright: { datasets: { diagnostics: true, formats: {}, maxTokens: 0 } } } });
  });

  it('reports a tokenizer whose chat template has range(10**9) and keeps serving', async () => {
    const model = qwen3ModelFolder();
    try {
      const configFile = join(model, 'tokenizer_config.json');
      writeFileSync(configFile, JSON.stringify({ ...(JSON.parse(readFileSync(configFile, 'utf8')) as object), chat_template: '{% for i in range(10**9) %}x{% endfor %}' }));
      await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: { chatwright: { datasets: { diagnostics: true, formats: {}, maxTokens: 20, tokenizerPath: model } } } });
      const uri = 'file:///ws/runaway-template.jsonl';
      await client.open(uri, 'jsonl', `${chat(1)}\n${chat(2)}\n`);
      const reported = await client.waitForDiagnostics(uri);
      const off = reported.diagnostics.find((d) => d.code === 'tokenizer-unusable');
      assert.ok(off, JSON.stringify(reported.diagnostics));
      assert.match(off.message, /Token counting is off: The chat template in .*tokenizer_config\.json cannot be used to count tokens: range\(\) of 1,000,000,000 items/);
      const { diagnostics } = await client.open('file:///ws/after-runaway.jsonl', 'jsonl', '{"messages": [{"role": "human", "content": "x"}]}\n');
      assert.ok(diagnostics.some((d) => d.code === 'unrecognized-role'));
    } finally {
      await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: { chatwright: { datasets: { diagnostics: true, formats: {}, maxTokens: 0, tokenizerPath: '' } } } });
      rmSync(model, { recursive: true, force: true });
    }
  });

  it('never dies on random text and keeps diagnostics inside the document', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.string({ maxLength: 40 }), fc.constant(chat(1)), fc.constant('{"messages": [{"role": "bot"}]}')), { maxLength: 8 }), async (lines) => {
        const text = lines.join('\n');
        const { diagnostics } = await client.open(`file:///ws/random-${n++}.jsonl`, 'jsonl', text);
        const docLines = text.split(/\r\n|\n|\r/);
        for (const d of diagnostics) {
          assert.ok(d.range.start.line < Math.max(docLines.length, 1));
          assert.ok(d.range.end.character <= (docLines[d.range.end.line]?.length ?? 0) || d.range.end.line >= docLines.length);
        }
      }),
      { numRuns: 60 },
    );
    assert.equal(client.exited, false);
  });
});

describe('language server: rows shared with a sibling split on disk', () => {
  let client: LspTestClient;
  before(async () => {
    client = await LspTestClient.start();
  });
  after(async () => {
    await client.stop();
  });

  it('reports a row of valid.jsonl that is also in train.jsonl beside it, once the sibling is read', async () => {
    const path = join(fixtures, 'split-overlap', 'valid.jsonl');
    const uri = pathToFileURL(path).href;
    const text = readFileSync(path, 'utf8');
    const first = await client.open(uri, 'jsonl', text);
    const overlap = first.diagnostics.some((d) => d.code === 'split-overlap') ? first : await client.waitForDiagnostics(uri);
    const found = overlap.diagnostics.filter((d) => d.code === 'split-overlap');
    assert.deepEqual(
      found.map((d) => d.range.start.line),
      [9],
    );
    assert.match(found[0]!.message, /also in train\.jsonl \(line 6\)/);
  });
});
