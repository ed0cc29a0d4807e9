// The engine's per-token stream: how many streamed tokens per second reach the host from a child process through
// (a) the hand-written IPC protocol of the engine before the RPC layer (a minimal copy, as the peer) and (b) the RPC
// layer (vscode-jsonrpc progress over IPC, through the process launcher), in the same run, rounds alternating. Twice:
// tokens produced in a burst (the channel's limit; the RPC side merges a burst's deltas into one message), and one
// token per event-loop turn (as the engine produces them: each token is then a message on both sides).
// Run: node --import tsx bench/rpc/tokenStream.bench.ts [tokens=20000] [rounds=5]
// Prints tokens/s for each and the ratio; never asserts a timing.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ProcessLauncher } from '../../src/core/process/launcher';
import { newProgressToken } from '../../src/core/rpc/connection';
import { engineGenerateRequest, engineTokenProgress } from '../../src/shared/engineProtocol';
import { streamedTokens } from './streamedTokens';

const peer = join(__dirname, 'tokenStreamPeer.ts');
const tokenCount = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 5);
const expectedCharacters = Array.from({ length: tokenCount }, (_, index) => streamedTokens[index % streamedTokens.length]!.length).reduce((a, b) => a + b, 0);

/** The peer: a pending map and ids, as the engine client had them. */
class LegacyClient {
  private readonly child: ChildProcess = fork(peer, ['legacy'], { execArgv: ['--import', 'tsx'], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  private readonly pending = new Map<number, { resolve: () => void; onToken: (text: string) => void }>();
  private nextId = 1;

  constructor() {
    this.child.on('message', (message: { type: string; id: number; text: string }) => {
      const entry = this.pending.get(message.id);
      if (message.type === 'token') entry?.onToken(message.text);
      else if (message.type === 'result') {
        this.pending.delete(message.id);
        entry?.resolve();
      }
    });
  }

  generate(count: number, perTurn: boolean, onToken: (text: string) => void): Promise<void> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { resolve, onToken });
      this.child.send({ type: 'request', id, kind: 'generate', params: { model: 'm', messages: [], options: { maxNewTokens: count, temperature: perTurn ? 1 : 0 } } });
    });
  }

  dispose(): void {
    this.child.kill();
  }
}

class RpcClient {
  private readonly launcher = new ProcessLauncher({ name: 'the benchmark peer', target: { kind: 'fork', entry: peer, args: ['rpc'] } });

  async generate(count: number, perTurn: boolean, onToken: (text: string) => void): Promise<void> {
    const progressToken = newProgressToken();
    await this.launcher.request(
      engineGenerateRequest,
      { model: 'm', messages: [], options: { maxNewTokens: count, temperature: perTurn ? 1 : 0 }, progressToken },
      { progress: { type: engineTokenProgress, token: progressToken, onValue: onToken } },
    );
  }

  dispose(): Promise<void> {
    return this.launcher.dispose();
  }
}

interface StreamingClient {
  generate(count: number, perTurn: boolean, onToken: (text: string) => void): Promise<void>;
}

async function tokensPerSecond(client: StreamingClient, perTurn: boolean): Promise<number> {
  let characters = 0;
  const started = process.hrtime.bigint();
  await client.generate(tokenCount, perTurn, (text) => (characters += text.length));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // Merged deltas are fewer messages but the same text: every token arrived.
  if (characters !== expectedCharacters) throw new Error(`received ${characters} of ${expectedCharacters} characters`);
  return tokenCount / seconds;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const legacy = new LegacyClient();
  const rpc = new RpcClient();
  try {
    // Warm-up: both children loaded and their code paths compiled.
    await legacy.generate(2000, false, () => undefined);
    await rpc.generate(2000, false, () => undefined);
    console.log(`${tokenCount} tokens from a child process, median of ${rounds} rounds`);
    for (const perTurn of [false, true]) {
      const legacyRates: number[] = [];
      const rpcRates: number[] = [];
      for (let round = 0; round < rounds; round++) {
        legacyRates.push(await tokensPerSecond(legacy, perTurn));
        rpcRates.push(await tokensPerSecond(rpc, perTurn));
      }
      const legacyRate = median(legacyRates);
      const rpcRate = median(rpcRates);
      console.log(perTurn ? 'one token per event-loop turn:' : 'tokens in a burst:');
      console.log(`  hand-written IPC protocol (peer): ${Math.round(legacyRate).toLocaleString('en')} tokens/s`);
      console.log(`  RPC layer (vscode-jsonrpc progress): ${Math.round(rpcRate).toLocaleString('en')} tokens/s`);
      console.log(`  ratio RPC layer / peer: ${(rpcRate / legacyRate).toFixed(2)}`);
    }
  } finally {
    legacy.dispose();
    await rpc.dispose();
  }
}

void main();
