import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LspTestClient } from '../support/lspClient';

describe('language server: JSON Lines syntax diagnostics over a real LSP connection', () => {
  let client: LspTestClient;
  before(async () => {
    client = await LspTestClient.start();
  });
  after(async () => {
    await client.stop();
  });

  it('announces incremental document sync', () => {
    const sync = client.initializeResult?.capabilities.textDocumentSync;
    assert.equal(typeof sync === 'object' ? sync.change : sync, 2);
  });

  it('publishes an error at the exact line and column of the syntax error', async () => {
    const uri = 'file:///workspace/train.jsonl';
    const text = '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n{"messages": [{"role": "user" "content": "x"}]}\n';
    // Only the syntax error: the dataset checks (e.g. too few rows, an error too) are covered in datasets*.test.ts.
    const diagnostics = (await client.open(uri, 'jsonl', text)).diagnostics.filter((d) => d.severity === 1 && d.code !== 'too-few-rows');
    assert.equal(diagnostics.length, 1);
    const [diagnostic] = diagnostics;
    assert.deepEqual(diagnostic!.range.start, { line: 1, character: text.split('\n')[1]!.indexOf('"content"') });
    assert.equal(diagnostic!.code, 'invalid-json');
    assert.equal(diagnostic!.source, 'chatwright');
    assert.equal(diagnostic!.severity, 1);
  });

  it('re-checks after an incremental edit and clears the fixed error', async () => {
    const uri = 'file:///workspace/train.jsonl';
    const line = '{"messages": [{"role": "user" "content": "x"}]}';
    const column = line.indexOf(' "content"');
    const { diagnostics } = await client.change(uri, [{ range: { start: { line: 1, character: column }, end: { line: 1, character: column } }, text: ',' }]);
    assert.deepEqual(
      diagnostics.filter((d) => d.code === 'invalid-json'),
      [],
    );
  });

  it('ignores documents of other languages', async () => {
    const { diagnostics } = await client.open('file:///workspace/notes.prompty', 'prompty', '{ not json');
    assert.deepEqual(diagnostics, []);
  });

  it('honours the datasets.diagnostics setting', async () => {
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: { chatwright: { datasets: { diagnostics: false } } } });
    const uri = 'file:///workspace/off.jsonl';
    const { diagnostics } = await client.open(uri, 'jsonl', '{oops}\n');
    assert.deepEqual(diagnostics, []);
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: { chatwright: { datasets: { diagnostics: true } } } });
  });
});
