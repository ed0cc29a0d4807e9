import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { AbstractMessageReader, AbstractMessageWriter, createMessageConnection, RequestType, type DataCallback, type Disposable, type Message, type MessageConnection } from 'vscode-jsonrpc/node';
import { connectToWebview, onValidatedRequest, type WebviewEndpoint } from '../../src/host/webviewRpc';
import { registerRevivableErrors, reviveResponseError } from '../../src/shared/rpc/errorTransport';

/** An error with a field of its own, as the host's handlers throw (a file and a line). */
class LocatedError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'LocatedError';
  }
}
registerRevivableErrors({ LocatedError });

/**
 * A webview in memory: what the host posts reaches the page's listeners, what the page posts reaches the host's,
 * each a task later (as postMessage delivers). The page's side is a plain vscode-jsonrpc connection.
 */
function fakeWebview(): { endpoint: WebviewEndpoint; page: MessageConnection; pagePost: (data: unknown) => void } {
  const toHost = new Set<(message: unknown) => void>();
  const toPage = new Set<(message: Message) => void>();
  const endpoint: WebviewEndpoint = {
    postMessage: (message) => {
      const copy = structuredClone(message) as Message;
      setImmediate(() => toPage.forEach((listener) => listener(copy)));
      return Promise.resolve(true);
    },
    onDidReceiveMessage: (listener) => {
      toHost.add(listener);
      return { dispose: () => toHost.delete(listener) };
    },
  };
  const pagePost = (data: unknown) => {
    const copy = structuredClone(data);
    setImmediate(() => toHost.forEach((listener) => listener(copy)));
  };
  class PageReader extends AbstractMessageReader {
    listen(callback: DataCallback): Disposable {
      toPage.add(callback);
      return { dispose: () => toPage.delete(callback) };
    }
  }
  class PageWriter extends AbstractMessageWriter {
    write(message: Message): Promise<void> {
      pagePost(message);
      return Promise.resolve();
    }
    end(): void {}
  }
  const page = createMessageConnection(new PageReader(), new PageWriter());
  page.listen();
  return { endpoint, page, pagePost };
}

const renameRequest = new RequestType<{ id: string; title: string }, string, void>('test/rename');
const validateRename = (p: unknown) => {
  const { id, title } = (p ?? {}) as { id?: unknown; title?: unknown };
  return typeof id === 'string' && typeof title === 'string' && title.length <= 10 ? { id, title } : undefined;
};

describe('the typed RPC between the host and a webview', () => {
  const { endpoint, page, pagePost } = fakeWebview();
  const warnings: string[] = [];
  const host = connectToWebview(endpoint, (message) => warnings.push(message));
  const handled: { id: string; title: string }[] = [];
  onValidatedRequest(
    host,
    renameRequest,
    validateRename,
    (message) => warnings.push(message),
    (params) => {
      handled.push(params);
      if (params.title === 'fail') throw new LocatedError('The title is taken.', 'titles.txt', 3);
      return `renamed ${params.id}`;
    },
  );
  after(() => {
    host.dispose();
    page.dispose();
  });

  it('answers a valid request with its typed result, the params as validated', async () => {
    assert.equal(await page.sendRequest(renameRequest, { id: 'c-1', title: 'Pairing', extra: true } as never), 'renamed c-1');
    assert.deepEqual(handled.at(-1), { id: 'c-1', title: 'Pairing' }, 'the handler sees only the validated fields');
  });

  it('refuses malformed params with an error the page can show, without calling the handler', async () => {
    const before = handled.length;
    await assert.rejects(page.sendRequest(renameRequest, { id: 'c-1', title: 'far too long a title' }), /refused a malformed test\/rename request/);
    assert.equal(handled.length, before);
    assert.match(warnings.at(-1) ?? '', /invalid test\/rename request/);
  });

  it("revives a handler's error in the page as its class, with its fields", async () => {
    const error = await page.sendRequest(renameRequest, { id: 'c-1', title: 'fail' }).then(
      () => undefined,
      (rejection: unknown) => reviveResponseError(rejection),
    );
    assert.ok(error instanceof LocatedError);
    assert.equal(error.message, 'The title is taken.');
    assert.deepEqual({ file: error.file, line: error.line }, { file: 'titles.txt', line: 3 });
  });

  it('answers an unknown request with an error and logs it', async () => {
    await assert.rejects(page.sendRequest(new RequestType<{ code: string }, void, void>('test/eval'), { code: 'x' }), /Unknown request test\/eval/);
    assert.match(warnings.at(-1) ?? '', /unknown request test\/eval/);
  });

  it('drops and logs what is not JSON-RPC (the old message shapes, strings)', async () => {
    pagePost({ type: 'eval', requestId: 1, code: 'x' });
    pagePost('send');
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(
      warnings.slice(-2).map((w) => w.startsWith('not a JSON-RPC message')),
      [true, true],
    );
  });
});
