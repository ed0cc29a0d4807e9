// Diagnostics latency through the real language server over stdio: open a 50,000-row chat document, then time
// one-line edits (from sending didChange to receiving publishDiagnostics). Run: npx tsx bench/datasets/languageServer.bench.ts
import { LspTestClient } from '../../test/support/lspClient';

function row(i: number): string {
  return JSON.stringify({
    messages: [
      { role: 'system', content: 'You are a helpful support assistant for an online shop.' },
      { role: 'user', content: `Question number ${i}: where is my order, and when will it arrive at my address?` },
      { role: 'assistant', content: `Answer ${i}: your order ships within two days; you will get a tracking link by e-mail as soon as it leaves.` },
    ],
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))]!;
}

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 50_000);
  const edits = Number(process.argv[3] ?? 40);
  const lines = Array.from({ length: rows }, (_, i) => row(i));
  const text = `${lines.join('\n')}\n`;
  const client = await LspTestClient.start();
  try {
    const uri = 'file:///bench/train.jsonl';
    const started = performance.now();
    const opened = await client.open(uri, 'jsonl', text);
    const openMs = performance.now() - started;
    const timings: number[] = [];
    for (let k = 0; k < edits; k++) {
      const line = Math.floor((rows * (k + 0.5)) / edits);
      const at = lines[line]!.indexOf('"role":"user"');
      // Alternate: break the row (a role the checker rejects), then repair it.
      const newText = k % 2 === 0 ? '"role":"usr"' : '"role":"user"';
      const original = k % 2 === 0 ? '"role":"user"' : '"role":"usr"';
      const target = k % 2 === 0 ? line : Math.floor((rows * (k - 0.5)) / edits);
      const atTarget = k % 2 === 0 ? at : lines[target]!.indexOf('"role":"user"');
      const t0 = performance.now();
      const published = await client.change(uri, [{ range: { start: { line: target, character: atTarget }, end: { line: target, character: atTarget + original.length } }, text: newText }]);
      timings.push(performance.now() - t0);
      if (k % 2 === 0 && !published.diagnostics.some((d) => d.code === 'unrecognized-role' && d.range.start.line === target)) throw new Error(`edit ${k}: no unrecognized-role on line ${target + 1}`);
    }
    timings.sort((a, b) => a - b);
    console.log(`document: ${rows} rows, ${(text.length / 1e6).toFixed(1)} MB; diagnostics after open: ${opened.diagnostics.length}`);
    console.log(`open → diagnostics: ${openMs.toFixed(0)} ms (target < 1000 ms)`);
    console.log(`one-line edit → diagnostics over ${edits} edits: median ${percentile(timings, 0.5).toFixed(1)} ms, p95 ${percentile(timings, 0.95).toFixed(1)} ms (target < 30 ms)`);
  } finally {
    await client.stop();
  }
}

void main();
