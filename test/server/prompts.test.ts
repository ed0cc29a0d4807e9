import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  CodeActionRequest,
  CompletionRequest,
  DefinitionRequest,
  DocumentSymbolRequest,
  FoldingRangeRequest,
  HoverRequest,
  type CompletionItem,
  type Location,
  type MarkupContent,
} from 'vscode-languageserver-protocol/node';
import { previewPromptRequest } from '../../src/shared/languageServerProtocol';
import { LspTestClient } from '../support/lspClient';
import { fixtures, positionOf, qwen3ModelFolder, realPrompty, realPromptyFiles } from '../support/promptFixtures';

const repoRoot = join(fixtures, '..', '..', '..');

describe('language server: prompt templates over a real LSP connection', () => {
  let client: LspTestClient;
  const model = qwen3ModelFolder();
  before(async () => {
    client = await LspTestClient.start({ prompts: { diagnostics: true, previewModel: model, renderTimeoutMs: 1500 } }, repoRoot);
  });
  after(async () => {
    await client.stop();
  });

  it('publishes no error for any real Prompty file', async () => {
    for (const file of realPromptyFiles()) {
      const { diagnostics } = await client.open(pathToFileURL(file).href, 'prompty', readFileSync(file, 'utf8'));
      assert.deepEqual(
        diagnostics.filter((d) => d.severity === 1),
        [],
        file,
      );
    }
  });

  it('publishes located errors and warnings for a broken template', async () => {
    const file = join(fixtures, 'broken.prompty');
    const text = readFileSync(file, 'utf8');
    const { diagnostics } = await client.open(pathToFileURL(file).href, 'prompty', text);
    const temperature = diagnostics.find((d) => d.code === 'schema-type')!;
    assert.deepEqual(temperature.range.start, positionOf(text, '"hot"'));
    assert.equal(temperature.source, 'chatwright');
    assert.ok(diagnostics.some((d) => d.code === 'unknown-role' && d.severity === 2));
    assert.ok(diagnostics.some((d) => d.code === 'jinja-unclosed-block' && d.severity === 1));
  });

  it('offers a quick fix for an unknown role', async () => {
    const uri = pathToFileURL(join(fixtures, 'broken.prompty')).href;
    const diagnostic = client.latestDiagnostics(uri)!.find((d) => d.code === 'unknown-role')!;
    const actions = (await client.connection.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range: diagnostic.range, context: { diagnostics: [diagnostic] } })) as {
      title: string;
      edit?: { changes?: Record<string, { newText: string }[]> };
    }[];
    const fix = actions.find((action) => action.title === 'Change to `assistant:`')!;
    assert.equal(fix.edit!.changes![uri]![0]!.newText, 'assistant');
  });

  it('re-checks after an edit that fixes the loop', async () => {
    const uri = pathToFileURL(join(fixtures, 'broken.prompty')).href;
    const text = readFileSync(join(fixtures, 'broken.prompty'), 'utf8');
    const end = positionOf(text, '\nbot:');
    const { diagnostics } = await client.change(uri, [{ range: { start: end, end }, text: '\n{% endfor %}' }]);
    assert.ok(!diagnostics.some((d) => d.code === 'jinja-unclosed-block'));
  });

  const supportUri = pathToFileURL(join(fixtures, 'support.prompty')).href;
  const supportText = readFileSync(join(fixtures, 'support.prompty'), 'utf8');

  it('completes variables inside {{ }} and answers hover, definition, symbols and folding', async () => {
    await client.open(supportUri, 'prompty', supportText);
    const position = positionOf(supportText, '{{ question }}');
    const items = (await client.connection.sendRequest(CompletionRequest.type, {
      textDocument: { uri: supportUri },
      position: { line: position.line, character: position.character + 3 },
    })) as CompletionItem[];
    assert.ok(items.some((item) => item.label === 'question'));
    const hover = await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri: supportUri }, position: { line: position.line, character: position.character + 4 } });
    assert.match((hover!.contents as MarkupContent).value, /How do I reset my password/);
    const definition = (await client.connection.sendRequest(DefinitionRequest.type, {
      textDocument: { uri: supportUri },
      position: { line: position.line, character: position.character + 4 },
    })) as Location;
    assert.deepEqual(definition.range.start, positionOf(supportText, 'question:\n    type'));
    const symbols = (await client.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri: supportUri } })) as { name: string }[];
    assert.deepEqual(
      symbols.map((s) => s.name),
      ['Support Assistant', 'system:', 'user:'],
    );
    const folds = await client.connection.sendRequest(FoldingRangeRequest.type, { textDocument: { uri: supportUri } });
    assert.ok(folds!.length >= 3);
  });

  it('answers chatwright/previewPrompt with messages, examples, the prompt string and token counts', async () => {
    const result = await client.connection.sendRequest(previewPromptRequest, { uri: supportUri, inputs: { question: 'Which plans do you have?' } });
    assert.equal(result.error, undefined);
    const rendered = result.rendered!;
    assert.equal(rendered.messages.at(-1)!.content, 'Which plans do you have?');
    assert.equal(rendered.messages.filter((m) => m.source === 'example').length, 4);
    assert.ok(rendered.prompt!.includes('<|im_start|>user\nWhich plans do you have?<|im_end|>'));
    assert.ok(rendered.totalTokens! > 50);
    assert.ok(rendered.messages.every((m) => typeof m.tokens === 'number'));
  });

  it('stops a runaway template in the preview with a clear error, and keeps serving', async () => {
    const uri = pathToFileURL(join(fixtures, 'runaway.prompty')).href;
    await client.open(uri, 'prompty', '{% for i in range(1000000) %}{% for j in range(1000000) %}{{ j }}{% endfor %}{% endfor %}');
    const started = Date.now();
    const result = await client.connection.sendRequest(previewPromptRequest, { uri });
    assert.match(result.error!, /^Rendering stopped(?: after 1500 ms)?: |too much memory/);
    assert.ok(Date.now() - started < 6000);
    const again = await client.connection.sendRequest(previewPromptRequest, { uri: supportUri });
    assert.equal(again.error, undefined);
  });

  it('re-checks a template when its examples file changes on disk', async (t) => {
    mkdirSync(join(repoRoot, 'test-output'), { recursive: true });
    const folder = mkdtempSync(join(repoRoot, 'test-output', 'lsp-prompts-watch-'));
    t.after(() => rmSync(folder, { recursive: true, force: true }));
    const examples = join(folder, 'ex.jsonl');
    writeFileSync(examples, '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n');
    const uri = pathToFileURL(join(folder, 't.prompty')).href;
    const opened = await client.open(uri, 'prompty', '---\nexamples:\n  file: ex.jsonl\n  k: 1\n---\nuser:\nhi\n');
    assert.deepEqual(opened.diagnostics, []);
    writeFileSync(examples, '{"messages": [oops\n');
    // The watcher may fire more than once while the file is written; wait for the publication that has the error.
    const deadline = Date.now() + 10_000;
    while (!(client.latestDiagnostics(uri) ?? []).some((d) => d.code === 'examples-invalid') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(
      (client.latestDiagnostics(uri) ?? []).some((d) => d.code === 'examples-invalid'),
      JSON.stringify(client.latestDiagnostics(uri)),
    );
  });

  it('keeps serving after garbage input', async () => {
    const uri = pathToFileURL(join(realPrompty, 'garbage.prompty')).href;
    const { diagnostics } = await client.open(uri, 'prompty', '---\n: : :\n{{{{ {% {%- endfor %}\n\u0000\uffff');
    assert.ok(Array.isArray(diagnostics));
    assert.ok(!client.exited);
  });
});
