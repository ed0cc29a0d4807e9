// The benchmark's endpoint in a process of its own, as a real endpoint is: the scripted test server with the
// orchestration benchmark's two models, answering each request after `--delay` ms. Prints `{"url": …}` once
// listening; each `stats` line on stdin gets `{"requests": n, "peak": n}` back; stdin closing stops it.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { startScriptedServer } from '../../test/support/scriptedOpenAiServer';
import { benchModels } from './benchModels';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { delay: { type: 'string', default: '50' } } });
  const server = await startScriptedServer({ models: benchModels, delayMs: Number(values.delay) });
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
  const input = createInterface({ input: process.stdin });
  input.on('line', (line) => {
    if (line.trim() === 'stats') process.stdout.write(`${JSON.stringify({ requests: server.requests.length, peak: server.peak.overall })}\n`);
  });
  input.on('close', () => void server.close().then(() => process.exit(0)));
}

void main();
