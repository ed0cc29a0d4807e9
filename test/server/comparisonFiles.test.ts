import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { CompletionRequest, HoverRequest, InsertTextFormat, type CompletionItem, type MarkupContent, type TextEdit } from 'vscode-languageserver-protocol/node';
import { LspTestClient } from '../support/lspClient';
import { scratchDir } from '../support/scratchDir';

describe('language server: comparison files over a real LSP connection', () => {
  let client: LspTestClient;
  const dir = scratchDir('compareserver');
  mkdirSync(join(dir, 'data'));
  mkdirSync(join(dir, 'evals'));
  writeFileSync(join(dir, 'data', 'support.eval.jsonl'), '{"question": "q", "answer": "a"}\n');
  // In a subfolder of the workspace: paths resolve against the workspace folder, not the file's own.
  const uri = pathToFileURL(join(dir, 'evals', 'support.compare.yaml')).href;
  const text = 'eval_set: data/support.eval.jsonl\nstrategies:\n  - name: base\n    model: engine/Qwen/Qwen3-0.6B\n    temperature: 5\n    \n';

  before(async () => {
    client = await LspTestClient.start(undefined, dir);
  });
  after(async () => {
    await client.stop();
  });

  it('publishes a located error for an out-of-range temperature, resolving paths against the workspace folder', async () => {
    const { diagnostics } = await client.open(uri, 'yaml', text);
    assert.deepEqual(
      diagnostics.map((diagnostic) => [diagnostic.severity, diagnostic.source, diagnostic.message, diagnostic.range]),
      [[1, 'chatwright', 'strategies[0].temperature: must be between 0 and 2, got 5', { start: { line: 4, character: 17 }, end: { line: 4, character: 18 } }]],
    );
  });

  it('clears it once fixed, and warns for a backend the file does not declare', async () => {
    const fixed = await client.change(uri, [{ range: { start: { line: 4, character: 17 }, end: { line: 4, character: 18 } }, text: '0' }]);
    assert.deepEqual(fixed.diagnostics, []);
    const undeclared = await client.change(uri, [{ range: { start: { line: 3, character: 11 }, end: { line: 3, character: 17 } }, text: 'lab' }]);
    assert.deepEqual(
      undeclared.diagnostics.map((diagnostic) => [diagnostic.severity, diagnostic.range.start]),
      [[2, { line: 3, character: 11 }]],
    );
    await client.change(uri, [{ range: { start: { line: 3, character: 11 }, end: { line: 3, character: 14 } }, text: 'engine' }]);
  });

  it('answers hover on a key with its default and why', async () => {
    const hover = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 4, character: 6 } });
    const markdown = (hover!.contents as MarkupContent).value;
    assert.match(markdown, /`strategies\.temperature`/);
    assert.match(markdown, /default `0`/);
    assert.match(markdown, /greedy/);
  });

  it("completes a strategy's missing keys as snippets, and eval sets under the workspace folder", async () => {
    const keys = (await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line: 5, character: 4 } })) as CompletionItem[];
    assert.ok(!keys.some((item) => item.label === 'temperature' || item.label === 'name'));
    const maxTokens = keys.find((item) => item.label === 'max_tokens')!;
    assert.equal(maxTokens.insertTextFormat, InsertTextFormat.Snippet);
    assert.equal((maxTokens.textEdit as TextEdit).newText, 'max_tokens: ${1:512}');
    const files = (await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line: 0, character: 10 } })) as CompletionItem[];
    assert.deepEqual(
      files.map((item) => item.label),
      ['data/support.eval.jsonl'],
    );
  });

  it('serves *.compare.json beside job files, and re-checks when a named file appears', async () => {
    const jsonUri = pathToFileURL(join(dir, 'later.compare.json')).href;
    const { diagnostics } = await client.open(jsonUri, 'json', '{"eval_set": "data/later.eval.jsonl", "strategies": [{"name": "a", "model": "engine/m/x"}]}\n');
    assert.match(diagnostics[0]!.message, /^eval_set: the eval set .*later\.eval\.jsonl does not exist$/);
    const rechecked = client.waitForDiagnostics(jsonUri);
    writeFileSync(join(dir, 'data', 'later.eval.jsonl'), '{"question": "q", "answer": "a"}\n');
    assert.deepEqual((await rechecked).diagnostics, []);
    const job = await client.open(
      pathToFileURL(join(dir, 'a.job.json')).href,
      'json',
      '{"model": {"path": "Qwen/Qwen3-0.6B"}, "data": {"train": "data/support.eval.jsonl"}, "training": {"epochs": -1}}\n',
    );
    assert.deepEqual(
      job.diagnostics.map((diagnostic) => diagnostic.message),
      ['training.epochs: must be greater than 0, got -1'],
    );
  });
});
