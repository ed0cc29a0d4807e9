import '../../support/vscodeStub';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as vscode from 'vscode';
import { serveApiKeySecret, ServeApiKeyStore } from '../../../src/host/serving/serveApiKeyStore';

/** SecretStorage over a map: what VS Code keeps, without its encryption. */
function memorySecrets(): vscode.SecretStorage & { values: Map<string, string> } {
  const values = new Map<string, string>();
  return {
    values,
    get: (key: string) => Promise.resolve(values.get(key)),
    store: (key: string, value: string) => Promise.resolve(void values.set(key, value)),
    delete: (key: string) => Promise.resolve(void values.delete(key)),
    keys: () => Promise.resolve([...values.keys()]),
    onDidChange: () => ({ dispose: () => undefined }),
  } as unknown as vscode.SecretStorage & { values: Map<string, string> };
}

describe('the served API key', () => {
  it('is made once and kept; a reset makes a new one', async () => {
    const secrets = memorySecrets();
    const keys = new ServeApiKeyStore(secrets);
    const first = await keys.ensure();
    assert.match(first, /^cw-/);
    assert.equal(await keys.ensure(), first);
    const second = await keys.replace();
    assert.notEqual(second, first);
    assert.equal(secrets.values.get(serveApiKeySecret), second);
  });

  it('stays, for a server started before a reset, the key that server was given', async () => {
    const keys = new ServeApiKeyStore(memorySecrets());
    const before = await keys.ensure();
    await keys.rememberFor('/ws/.chatwright/runs/20261205-010000-serve-a', before);
    const after = await keys.replace();
    assert.equal(await keys.keyFor('/ws/.chatwright/runs/20261205-010000-serve-a'), before, 'the running server still expects its own key');
    assert.equal(await keys.keyFor('/ws/.chatwright/runs/20261205-020000-serve-b'), after, 'a server with no remembered key gets the current one');
  });
});
