// Token counting throughput with the same Qwen3 tokenizer.json: ours (src/core/datasets/tokenizer.ts, over
// @huggingface/tokenizers) against transformers.js's PreTrainedTokenizer, on the rendered rows of real datasets.
// Also checks that both count the same tokens. Run: npx tsx bench/datasets/tokenizer.bench.mts [rounds=3]
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { detectRowFormat } from '../../src/core/datasets/formats';
import { renderForCounting, RowTokenCounter } from '../../src/core/datasets/tokenCount';
import { defaultTokenizerPath, loadTokenCounter } from '../../src/core/datasets/tokenizer';

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 3);
  const data = '/work/shared/data/datasets';
  const texts: string[] = [];
  const rows: { row: Record<string, unknown>; format: NonNullable<ReturnType<typeof detectRowFormat>> }[] = [];
  for (const file of ['openai-chat/toy_chat_fine_tuning.jsonl', 'openai-chat-tools/drone_training.jsonl', 'alpaca/alpaca_en_demo.jsonl', 'sharegpt/dummy_conversation.jsonl', 'text/c4_demo.jsonl']) {
    for (const line of readFileSync(join(data, file), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const row = JSON.parse(line) as Record<string, unknown>;
      const format = detectRowFormat(row);
      if (format) {
        texts.push(renderForCounting(row, format));
        rows.push({ row, format });
      }
    }
  }
  const path = defaultTokenizerPath()!;
  const ours = await loadTokenCounter();
  const theirs = new PreTrainedTokenizer(JSON.parse(readFileSync(path, 'utf8')), JSON.parse(readFileSync(join(path, '..', 'tokenizer_config.json'), 'utf8')));
  const countTheirs = (text: string): number => theirs.encode(text, { add_special_tokens: false }).length;

  let mismatches = 0;
  let tokens = 0;
  for (const text of texts) {
    const a = ours.count(text);
    tokens += a;
    if (a !== countTheirs(text)) mismatches++;
  }
  console.log(
    `${texts.length} rendered rows, ${tokens.toLocaleString()} tokens; rows where the two counts differ: ${mismatches}; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );

  function timeIt(count: (text: string) => number, sample: string[]): number {
    const started = performance.now();
    let total = 0;
    for (const text of sample) total += count(text);
    return total / ((performance.now() - started) / 1000);
  }
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  // Short alternating rounds, median of the per-round ratios: the machine is shared, so one long run says little.
  const sample = texts.filter((_, i) => i % 4 === 0);
  const ratios: number[] = [];
  const rates: [number, number][] = [];
  for (let round = 0; round < rounds * 3; round++) {
    const oursFirst = round % 2 === 0;
    const a = oursFirst ? timeIt((t) => ours.count(t), sample) : timeIt(countTheirs, sample);
    const b = oursFirst ? timeIt(countTheirs, sample) : timeIt((t) => ours.count(t), sample);
    const [mine, theirs2] = oursFirst ? [a, b] : [b, a];
    rates.push([mine, theirs2]);
    ratios.push(mine / theirs2);
  }
  console.log(
    `encode, ${ratios.length} alternating rounds: ours median ${Math.round(median(rates.map((r) => r[0]))).toLocaleString()} tokens/s, transformers.js median ${Math.round(median(rates.map((r) => r[1]))).toLocaleString()} tokens/s, median ratio ${median(ratios).toFixed(2)}x (target >= 1x)`,
  );

  // The task itself: the token count of every row of a dataset, rendered and encoded by each side.
  const rowCounter = new RowTokenCounter(ours);
  let same = 0;
  for (const { row, format } of rows) if (rowCounter.count(row, format) === countTheirs(renderForCounting(row, format))) same++;
  console.log(`row counts equal to transformers.js on ${same} of ${rows.length} rows`);
  const rowRatios: number[] = [];
  const rowSample = rows.filter((_, i) => i % 4 === 0);
  for (let round = 0; round < rounds * 3; round++) {
    const fresh = new RowTokenCounter(ours);
    const measureOurs = (): number => {
      const started = performance.now();
      let total = 0;
      for (const { row, format } of rowSample) total += fresh.count(row, format);
      return total / ((performance.now() - started) / 1000);
    };
    const measureTheirs = (): number => {
      const started = performance.now();
      let total = 0;
      for (const { row, format } of rowSample) total += countTheirs(renderForCounting(row, format));
      return total / ((performance.now() - started) / 1000);
    };
    if (round % 2 === 0) {
      const mine = measureOurs();
      rowRatios.push(mine / measureTheirs());
    } else {
      const theirRate = measureTheirs();
      rowRatios.push(measureOurs() / theirRate);
    }
  }
  console.log(`rows (RowTokenCounter: render + encode), ${rowRatios.length} alternating rounds: median ratio ${median(rowRatios).toFixed(2)}x`);
}

void main();
