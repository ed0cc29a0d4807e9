import { type FewShotExample } from './chatTypes';
import { type ExampleChoice } from './chatRunner';
import { selectExamples } from '../prompts/fewShotSelection';
import { type TextEmbedder } from '../inference/embedding';

export interface ExamplesReadResult {
  examples: FewShotExample[];
  /** Rows that could not be used, with their line numbers. */
  skipped: { line: number; reason: string }[];
}

/**
 * Reads few-shot examples from a JSONL file of `messages` rows (the fine-tuning format, so one file serves both).
 * Takes the first `k` usable rows; system turns of a row are dropped, since the chat's own system prompt applies.
 * The prompt-template feature has the `random`/`similar` strategies for templates' own examples.
 */
export function readFewShotExamples(text: string, fileLabel: string, k: number): ExamplesReadResult {
  const examples: FewShotExample[] = [];
  const skipped: { line: number; reason: string }[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length && examples.length < k; i++) {
    const line = lines[i]!.replace(/^\uFEFF/, '').trim();
    if (line.length === 0) continue;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      skipped.push({ line: i + 1, reason: 'not valid JSON' });
      continue;
    }
    const messages = typeof row === 'object' && row !== null ? (row as { messages?: unknown }).messages : undefined;
    if (!Array.isArray(messages)) {
      skipped.push({ line: i + 1, reason: 'no "messages" list' });
      continue;
    }
    const turns = messages.flatMap((m: unknown) => {
      if (typeof m !== 'object' || m === null) return [];
      const { role, content } = m as { role?: unknown; content?: unknown };
      return (role === 'user' || role === 'assistant') && typeof content === 'string' ? [{ role, content }] : [];
    });
    if (!turns.some((t) => t.role === 'user') || !turns.some((t) => t.role === 'assistant')) {
      skipped.push({ line: i + 1, reason: 'needs a user and an assistant turn with text content' });
      continue;
    }
    examples.push({ source: `${fileLabel}:${i + 1}`, messages: turns });
  }
  return { examples, skipped };
}

/**
 * Few-shot examples chosen from a whole examples file as `choice` says: the first `k`, `k` at random with the seed,
 * or the `k` most similar to the question (by the embedder's vectors when one is given, else BM25). The chat's and
 * the evaluation's sources both read examples through this, so the same settings choose the same rows.
 */
export async function chooseFewShotExamples(
  text: string,
  fileLabel: string,
  k: number,
  choice: ExampleChoice | undefined,
  options: { embedder?: TextEmbedder; signal?: AbortSignal; allRows?: ExamplesReadResult } = {},
): Promise<ExamplesReadResult & { method: string }> {
  if (!choice || choice.selection === 'first') {
    const read = readFewShotExamples(text, fileLabel, k);
    return { ...read, method: `the first ${read.examples.length}` };
  }
  // `allRows`: the caller read this very text already (readFewShotExamples with no limit) and keeps it.
  const all = options.allRows ?? readFewShotExamples(text, fileLabel, Number.MAX_SAFE_INTEGER);
  const indexed = all.examples.map((example, line) => ({ line, messages: example.messages }));
  const selected = await selectExamples(indexed, {
    k,
    strategy: choice.selection,
    seed: choice.seed,
    query: choice.query,
    ...(options.embedder ? { embedder: options.embedder } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { examples: selected.examples.map((example) => all.examples[example.line]!), skipped: all.skipped, method: selected.method };
}
