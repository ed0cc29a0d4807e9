/**
 * The answer cache's keys. An answer is reused while neither key changes, so each key holds exactly what shapes the
 * answer and nothing else.
 *
 * A strategy's key holds: the model reference, temperature, max tokens, the sampling seed, the template's path and
 * text, the few-shot settings (k, selection, seed, the examples file's path and text) and the retrieval settings
 * (k, index name). Editing the template or the examples file therefore reruns that strategy, and only it.
 *
 * Not in it: the strategy's name, description and `fineTuned` run folder — they label or describe the answers without
 * shaping them, so renaming a strategy keeps its answers (the cached record is reported under the current name).
 * Nor is the contents of the retrieval index: re-indexing the documents does not rerun a retrieval strategy; delete
 * the comparison's `answers.jsonl` (or change the strategy) to answer again from the new index. Nor what a backend
 * serves under a model name: a model replaced behind the same `<backend>/<model>` is not noticed.
 */
import { createHash } from 'node:crypto';
import { type EvalQuestion, type StrategySpec } from './evalTypes';

/** Bumped when the key's content changes meaning, so old caches are answered again rather than misread. */
const keyVersion = 1;

type Canonical = null | boolean | number | string | Canonical[] | { [key: string]: Canonical };

/** JSON with every object's keys sorted: the same value always gives the same text, whatever order it was built in. */
function canonicalJson(value: Canonical): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key]!)}`).join(',')}}`;
}

function shortHash(value: Canonical): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}

/** The cache key of a strategy: sha256 (first 16 hex) of its model, sampling, few-shot, retrieval and the texts of its template and examples file. */
export function strategyKey(strategy: StrategySpec, texts: { template?: string; examples?: string }): string {
  const fewShot = strategy.fewShot;
  const retrieval = strategy.retrieval;
  return shortHash({
    version: keyVersion,
    model: strategy.model,
    temperature: strategy.temperature,
    maxTokens: strategy.maxTokens,
    seed: strategy.seed ?? null,
    // A missing file (text undefined) keys differently from an empty one: its answers failed or went without it.
    template: strategy.template !== undefined ? { path: strategy.template, text: texts.template ?? null } : null,
    fewShot: fewShot
      ? { k: fewShot.k, selection: fewShot.selection, seed: fewShot.seed, examples: fewShot.examples !== undefined ? { path: fewShot.examples, text: texts.examples ?? null } : null }
      : null,
    retrieval: retrieval ? { k: retrieval.k, index: retrieval.index ?? null } : null,
  });
}

/**
 * The cache key of a question: sha256 (first 16 hex) of its question, history and reference. Its id, line and
 * sources are not in it: moving a row in the file, or naming its sources, keeps its answers.
 */
export function questionKey(question: EvalQuestion): string {
  return shortHash({
    version: keyVersion,
    question: question.question,
    history: question.history.map((turn) => ({ role: turn.role, content: turn.content })),
    reference: question.reference,
  });
}
