import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { withProgress } from '../../../src/core/rpc/connection';
import { ProcessLauncher, type LaunchTarget } from '../../../src/core/process/launcher';
import { registerRevivableErrors } from '../../../src/shared/rpc/errorTransport';
import {
  configureNotification,
  countProgress,
  countRequest,
  echoRequest,
  failRequest,
  FixtureFault,
  greetedNotification,
  spellProgress,
  spellRequest,
  vectorRequest,
  waitRequest,
} from '../../fixtures/rpc/fixtureProtocol';

const fixture = join(__dirname, '../../fixtures/rpc/fixtureServer.ts');
registerRevivableErrors({ FixtureFault });

const targets: Record<string, LaunchTarget> = {
  'a forked child': { kind: 'fork', entry: fixture },
  'a worker thread': { kind: 'worker', entry: fixture },
  'a spawned program over stdio': { kind: 'spawn', command: process.execPath, args: ['--import', 'tsx', fixture] },
};

for (const [label, target] of Object.entries(targets)) {
  describe(`the RPC layer over ${label}`, () => {
    const launcher = new ProcessLauncher({ name: 'the fixture', target });
    after(() => launcher.dispose());

    it('answers a typed request with its typed response', async () => {
      const answer = await launcher.request(echoRequest, { text: 'hello' });
      assert.equal(answer.text, 'hello');
      assert.equal(typeof answer.pid, 'number');
    });

    it('hands the handler an aborted signal when the caller aborts', async () => {
      const controller = new AbortController();
      const answer = launcher.request(waitRequest, {}, { signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      assert.equal(await answer, 'aborted');
    });

    it('streams progress values in order, all before the result', async () => {
      const seen: number[] = [];
      const connection = await launcher.connection();
      const result = await withProgress(
        connection,
        countProgress,
        (value) => seen.push(value),
        (progressToken) => launcher.request(countRequest, { count: 2000, progressToken }),
      );
      assert.equal(result, 2000);
      assert.deepEqual(
        seen,
        Array.from({ length: 2000 }, (_, index) => index),
      );
    });

    it('revives a thrown error as the same class with its fields', async () => {
      const error = await launcher.request(failRequest, {}).then(
        () => assert.fail('the request should fail'),
        (thrown: unknown) => thrown,
      );
      assert.ok(error instanceof FixtureFault, `got ${String(error)}`);
      assert.equal(error.name, 'FixtureFault');
      assert.equal(error.message, 'row 3 is not JSON');
      assert.equal(error.file, 'data/train.jsonl');
      assert.equal(error.line, 3);
      assert.equal(error.code, 'invalid-json');
    });

    it('delivers notifications both ways', async () => {
      const connection = await launcher.connection();
      const greeted = new Promise<string>((resolve) => connection.onNotification(greetedNotification, ({ greeting }) => resolve(greeting)));
      launcher.notify(configureNotification, { greeting: 'hi' });
      assert.equal(await greeted, 'hi');
    });
  });
}

for (const [label, target] of Object.entries(targets).filter(([, value]) => value.kind !== 'spawn')) {
  it(`carries a Float32Array intact both ways over ${label}`, async () => {
    const launcher = new ProcessLauncher({ name: 'the fixture', target });
    try {
      const values = [0.1, -2.5, 3.25, Math.PI];
      const answer = await launcher.request(vectorRequest, { vector: Float32Array.from(values) });
      assert.equal(answer.receivedTypedArray, true);
      assert.ok(answer.vector instanceof Float32Array);
      assert.deepEqual([...answer.vector], [...Float32Array.from(values, (value) => Math.fround(value) * 2)]);
    } finally {
      await launcher.dispose();
    }
  });
}

describe('merged progress (a forked child)', () => {
  const launcher = new ProcessLauncher({ name: 'the fixture', target: { kind: 'fork', entry: fixture } });
  after(() => launcher.dispose());

  async function spell(merge: boolean, perTurn: boolean): Promise<string[]> {
    const values: string[] = [];
    const connection = await launcher.connection();
    const answer = await withProgress(
      connection,
      spellProgress,
      (value) => values.push(value),
      (progressToken) => launcher.request(spellRequest, { text: 'streamed', merge, perTurn, progressToken }),
    );
    assert.equal(answer, 'spelled');
    return values;
  }

  it('sends a burst of values as one merged message, before the result', async () => {
    assert.deepEqual(await spell(true, false), ['streamed']);
  });

  it('sends values reported in separate event-loop turns one by one', async () => {
    assert.deepEqual(await spell(true, true), [...'streamed']);
  });

  it('sends every value as it is reported without a merge', async () => {
    assert.deepEqual(await spell(false, false), [...'streamed']);
  });
});

it('revives an unregistered error as an Error that keeps its name and fields', async () => {
  const { describeError, reviveError } = await import('../../../src/shared/rpc/errorTransport');
  const original = Object.assign(new RangeError('too far'), { limit: 10 });
  const revived = reviveError(describeError(Object.assign(new Error('x'), { name: 'UnknownFault', limit: 10 })));
  assert.equal(revived.name, 'UnknownFault');
  assert.equal((revived as Error & { limit?: number }).limit, 10);
  assert.equal(reviveError(describeError(original)).message, 'too far');
});
