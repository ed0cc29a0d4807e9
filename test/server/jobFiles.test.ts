import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { CompletionRequest, HoverRequest, InsertTextFormat, type CompletionItem, type MarkupContent, type TextEdit } from 'vscode-languageserver-protocol/node';
import { LspTestClient } from '../support/lspClient';
import { scratchDir } from '../support/scratchDir';

describe('language server: fine-tuning job files over a real LSP connection', () => {
  let client: LspTestClient;
  const dir = scratchDir('jobserver');
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'chat-train.jsonl'), '{"text": "hello"}\n');
  writeFileSync(join(dir, 'data', 'chat-valid.jsonl'), '{"text": "hello"}\n');
  const jobUri = pathToFileURL(join(dir, 'persona.job.yaml')).href;
  const jobText = 'model:\n  path: Qwen/Qwen3-0.6B\ndata:\n  train: data/chat-train.jsonl\nmethod:\n  type: lora\n  lora:\n    r: 0\n    \n';

  before(async () => {
    client = await LspTestClient.start(undefined, dir);
  });
  after(async () => {
    await client.stop();
  });

  it('publishes a located error for method.lora.r: 0', async () => {
    const { diagnostics } = await client.open(jobUri, 'yaml', jobText);
    assert.equal(diagnostics.length, 1, JSON.stringify(diagnostics));
    const [problem] = diagnostics;
    assert.equal(problem!.severity, 1);
    assert.equal(problem!.source, 'chatwright');
    assert.equal(problem!.message, 'method.lora.r: must be at least 1, got 0');
    assert.deepEqual(problem!.range, { start: { line: 7, character: 7 }, end: { line: 7, character: 8 } });
  });

  it('clears it once the rank is fixed, and reports a syntax error while one is typed', async () => {
    const fixed = await client.change(jobUri, [{ range: { start: { line: 7, character: 7 }, end: { line: 7, character: 8 } }, text: '8' }]);
    assert.deepEqual(fixed.diagnostics, []);
    const broken = await client.change(jobUri, [{ range: { start: { line: 8, character: 4 }, end: { line: 8, character: 4 } }, text: 'alpha: "3' }]);
    assert.ok(broken.diagnostics.length > 0);
    assert.ok(broken.diagnostics.every((diagnostic) => diagnostic.severity === 1));
    await client.change(jobUri, [{ range: { start: { line: 8, character: 4 }, end: { line: 8, character: 13 } }, text: '' }]);
  });

  it('answers hover on a key with its default and where it comes from', async () => {
    const hover = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri: jobUri }, position: { line: 7, character: 4 } });
    const markdown = (hover!.contents as MarkupContent).value;
    assert.match(markdown, /`method\.lora\.r`/);
    assert.match(markdown, /default `16`/);
    assert.match(markdown, /PEFT's LoraConfig default/);
    assert.deepEqual(hover!.range, { start: { line: 7, character: 4 }, end: { line: 7, character: 5 } });
  });

  it('completes the missing keys of the section as snippets, and dataset paths', async () => {
    const keys = (await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri: jobUri }, position: { line: 8, character: 4 } })) as CompletionItem[];
    assert.deepEqual(keys.map((item) => item.label).sort(), ['alpha', 'dropout', 'target_modules', 'use_dora', 'use_rslora']);
    const alpha = keys.find((item) => item.label === 'alpha')!;
    assert.equal(alpha.insertTextFormat, InsertTextFormat.Snippet);
    assert.equal((alpha.textEdit as TextEdit).newText, 'alpha: ${1:32}');
    assert.match((alpha.documentation as MarkupContent).value, /alpha\/r/);
    const files = (await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri: jobUri }, position: { line: 3, character: 11 } })) as CompletionItem[];
    assert.deepEqual(files.map((item) => item.label).sort(), ['data/chat-train.jsonl', 'data/chat-valid.jsonl']);
  });

  it('checks the job file again when a dataset it names appears on disk', async () => {
    const uri = pathToFileURL(join(dir, 'later.job.yaml')).href;
    const { diagnostics } = await client.open(uri, 'yaml', 'model:\n  path: Qwen/Qwen3-0.6B\ndata:\n  train: data/later.jsonl\n');
    assert.match(diagnostics[0]!.message, /^data\.train: the file .*later\.jsonl does not exist$/);
    const rechecked = client.waitForDiagnostics(uri);
    writeFileSync(join(dir, 'data', 'later.jsonl'), '{"text": "hello"}\n');
    assert.deepEqual((await rechecked).diagnostics, []);
  });

  it('serves *.job.json, and leaves other YAML and JSON documents alone', async () => {
    const jsonUri = pathToFileURL(join(dir, 'persona.job.json')).href;
    const json = await client.open(jsonUri, 'json', '{\n  "model": {"path": "Qwen/Qwen3-0.6B"},\n  "data": {"train": "data/chat-train.jsonl"},\n  "training": {"epochs": -1}\n}\n');
    assert.deepEqual(
      json.diagnostics.map((diagnostic) => [diagnostic.message, diagnostic.range.start]),
      [['training.epochs: must be greater than 0, got -1', { line: 3, character: 25 }]],
    );
    const other = await client.open(pathToFileURL(join(dir, 'docker-compose.yaml')).href, 'yaml', 'services:\n  r: 0\n');
    assert.deepEqual(other.diagnostics, []);
    const hover = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri: pathToFileURL(join(dir, 'docker-compose.yaml')).href }, position: { line: 0, character: 2 } });
    assert.equal(hover, null);
  });
});
