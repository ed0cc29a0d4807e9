// The child side of bench/rpc/tokenStream.bench.ts: streams `count` tokens for each generate request, either through
// the RPC layer (argv[2] = 'rpc') or through the hand-written IPC protocol the engine used before it (argv[2] = 'legacy').
// Tokens come in a burst, or one per event-loop turn (`temperature` 1 in the request), as a model produces them.
import { connectToParentProcess, onRequest, progressReporter } from '../../src/core/rpc/connection';
import { engineGenerateRequest, engineTokenProgress, type EngineGenerationResult } from '../../src/shared/engineProtocol';
import { streamedTokens } from './streamedTokens';

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function result(count: number): EngineGenerationResult {
  const stats = { promptTokens: 1, generatedTokens: count, timeToFirstTokenMs: 0, tokensPerSecond: 0, totalMs: 0, finishReason: 'length' as const, provider: 'cpu' as const };
  return { text: '', stats };
}

if (process.argv[2] === 'rpc') {
  const connection = connectToParentProcess();
  onRequest(connection, engineGenerateRequest, async ({ options, progressToken }) => {
    const count = options.maxNewTokens ?? 0;
    // As the engine worker reports its text.
    const report = progressReporter(connection, engineTokenProgress, progressToken!, (earlier, later) => earlier + later);
    for (let index = 0; index < count; index++) {
      if (options.temperature === 1) await nextTurn();
      report(streamedTokens[index % streamedTokens.length]!);
    }
    return result(count);
  });
  connection.listen();
} else {
  // The base commit's engine protocol: { type: 'request', id, kind, params } in, { type: 'token' | 'result', id } out.
  process.on('message', (message: { type: string; id: number; params: { options: { maxNewTokens: number; temperature: number } } }) => {
    if (message.type !== 'request') return;
    void (async () => {
      const { maxNewTokens: count, temperature } = message.params.options;
      for (let index = 0; index < count; index++) {
        if (temperature === 1) await nextTurn();
        process.send!({ type: 'token', id: message.id, text: streamedTokens[index % streamedTokens.length] });
      }
      process.send!({ type: 'result', id: message.id, result: result(count) });
    })();
  });
}
