import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { RequestType } from 'vscode-jsonrpc';
import { connectToPort, onRequest, sendRequest, transferring } from '../../../src/core/rpc/connection';

const tableRequest = new RequestType<{ rows: number }, { table: Uint32Array; rows: number }, void>('test/table');

describe('results that move across a worker port instead of being copied', () => {
  it('a result marked with transferring() arrives whole and its buffer leaves the sender; unmarked results are copied', async () => {
    const { port1, port2 } = new MessageChannel();
    const server = connectToPort(port1);
    const client = connectToPort(port2);
    const sent: Uint32Array[] = [];
    onRequest(server, tableRequest, ({ rows }) => {
      const table = Uint32Array.from({ length: rows }, (_, index) => index * 3);
      sent.push(table);
      const result = { table, rows };
      return rows > 10 ? transferring(result, [table.buffer]) : result;
    });
    server.listen();
    client.listen();
    try {
      const moved = await sendRequest(client, tableRequest, { rows: 1000 });
      assert.equal(moved.table[999], 2997);
      assert.equal(sent[0]!.byteLength, 0, 'the sender no longer holds the moved buffer');
      const copied = await sendRequest(client, tableRequest, { rows: 5 });
      assert.equal(copied.table[4], 12);
      assert.equal(sent[1]!.byteLength, 20, 'an unmarked result is copied');
    } finally {
      client.dispose();
      server.dispose();
      port1.close();
      port2.close();
    }
  });
});
