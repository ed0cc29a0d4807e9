import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HoverRequest, type Connection, type TextDocuments } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { requestRoutes, type ServerState } from '../../src/server/handlers';
import { type LanguageService } from '../../src/server/languageService';
import { previewPromptRequest } from '../../src/shared/languageServerProtocol';

type Handler = (params: unknown) => unknown;

/** The handlers the routes register, by method, on a connection that only records them. */
function registered(services: Record<string, LanguageService>, open: TextDocument[]): { handlers: Map<string, Handler>; errors: string[] } {
  const handlers = new Map<string, Handler>();
  const errors: string[] = [];
  const connection = { onRequest: (type: { method: string }, handler: Handler) => (handlers.set(type.method, handler), { dispose: () => undefined }) } as unknown as Connection;
  const documents = { get: (uri: string) => open.find((document) => document.uri === uri) } as unknown as TextDocuments<TextDocument>;
  const state: ServerState = { documents, services, logError: (message) => errors.push(message) };
  for (const route of requestRoutes) route.register(connection, state);
  return { handlers, errors };
}

const dataset = TextDocument.create('file:///a.jsonl', 'jsonl', 1, '{}\n');
const template = TextDocument.create('file:///a.prompty', 'prompty', 3, 'user:\nhi\n');
const position = { textDocument: { uri: dataset.uri }, position: { line: 0, character: 0 } };

describe("the server's request table", () => {
  it('routes each request once, and announces a capability for each standard one', () => {
    const methods = requestRoutes.map((route) => route.method);
    assert.equal(new Set(methods).size, methods.length);
    assert.ok(methods.includes(previewPromptRequest.method));
    for (const route of requestRoutes) if (route.method.startsWith('textDocument/')) assert.notDeepEqual(route.capability, {}, route.method);
  });

  it("asks the service of the document's language, with the document and the params", async () => {
    const seen: [string, unknown][] = [];
    const { handlers } = registered({ jsonl: { hover: (document, params) => (seen.push([document.uri, params]), { contents: 'row' }) } }, [dataset]);
    assert.deepEqual(await handlers.get(HoverRequest.method)!(position), { contents: 'row' });
    assert.deepEqual(seen, [[dataset.uri, position]]);
  });

  it('answers the empty answer for a document that is not open or a language without the feature', async () => {
    const { handlers } = registered({ jsonl: {} }, [dataset]);
    assert.equal(await handlers.get(HoverRequest.method)!(position), null);
    assert.deepEqual(await handlers.get('textDocument/completion')!({ ...position, textDocument: { uri: 'file:///closed.jsonl' } }), []);
    assert.deepEqual(await handlers.get(previewPromptRequest.method)!({ uri: 'file:///closed.prompty' }), {
      uri: 'file:///closed.prompty',
      version: -1,
      elapsedMs: 0,
      error: 'The template is not open.',
    });
  });

  it('logs a throwing feature, answers the empty answer and keeps serving', async () => {
    let calls = 0;
    const hover: LanguageService['hover'] = () => {
      calls++;
      if (calls === 1) throw new Error('bad row');
      return { contents: 'fine' };
    };
    const { handlers, errors } = registered({ jsonl: { hover }, prompty: { previewPrompt: () => Promise.reject(new Error('worker gone')) } }, [dataset, template]);
    assert.equal(await handlers.get(HoverRequest.method)!(position), null);
    assert.match(errors[0]!, /^Hover failed: Error: bad row/);
    assert.deepEqual(await handlers.get(HoverRequest.method)!(position), { contents: 'fine' });
    const preview = (await handlers.get(previewPromptRequest.method)!({ uri: template.uri })) as { error?: string };
    assert.equal(preview.error, 'The preview failed: worker gone', 'the preview shows why instead of waiting forever');
  });
});
