/**
 * The text of a new comparison file (`<name>.compare.yaml`), as the editor's "New Comparison" writes it: one
 * strategy per step of the ladder the user chose (zero-shot, few-shot, retrieval, fine-tuned), over one eval set
 * and one model. Paths are workspace-relative, as the format wants them; values are quoted by the YAML library, so
 * any path or model name round-trips.
 */
import { stringify } from 'yaml';

export interface NewComparisonChoices {
  name: string;
  /** Workspace-relative eval set (JSONL). */
  evalSet: string;
  /** `<backend>/<model>` every strategy but the fine-tuned one answers with. */
  model: string;
  zeroShot: boolean;
  /** Few-shot from an examples file (workspace-relative JSONL). */
  fewShot?: { examples: string; k: number };
  /** Retrieval from the workspace's index (`index` = a folder's name; undefined = the only one). */
  retrieval?: { k: number; index?: string };
  /** A fine-tuned strategy: its run folder (workspace-relative) and the model ref its adapter is served as. */
  fineTuned?: { run: string; model: string };
}

/** A comparison file's YAML; throws when no strategy was chosen (a comparison needs at least one). */
export function newComparisonFileText(choices: NewComparisonChoices): string {
  const strategies: Record<string, unknown>[] = [];
  if (choices.zeroShot) strategies.push({ name: 'zero-shot', model: choices.model, description: 'The model alone: no examples, no documents.' });
  if (choices.fewShot) {
    strategies.push({
      name: 'few-shot',
      model: choices.model,
      description: `${choices.fewShot.k} similar examples from ${choices.fewShot.examples} before the question.`,
      few_shot: { k: choices.fewShot.k, selection: 'similar', examples: choices.fewShot.examples, seed: 0 },
    });
  }
  if (choices.retrieval) {
    strategies.push({
      name: 'rag',
      model: choices.model,
      description: `The ${choices.retrieval.k} best passages of the workspace's documents with the question.`,
      retrieval: { k: choices.retrieval.k, ...(choices.retrieval.index !== undefined ? { index: choices.retrieval.index } : {}) },
    });
  }
  if (choices.fineTuned)
    strategies.push({ name: 'fine-tuned', model: choices.fineTuned.model, description: `The adapter trained in ${choices.fineTuned.run}, as served.`, fine_tuned: { run: choices.fineTuned.run } });
  if (strategies.length === 0) throw new Error('A comparison needs at least one strategy.');
  const header = [
    '# A strategy comparison: every strategy answers every question of the eval set; the report compares their scores',
    '# and recommends the cheapest that is not significantly worse than the best. Run it with the "Run Comparison"',
    '# lens above, or `chatwright eval` in a terminal. Fields: docs/evaluation.md ("Comparison files").',
  ].join('\n');
  return `${header}\n${stringify({ name: choices.name, eval_set: choices.evalSet, strategies, concurrency: 4, seed: 0 }, { lineWidth: 0 })}`;
}

/** A name the format accepts (letters, digits, `.`, `_`, `-`), from any text (a file's base name). */
export function comparisonNameFrom(text: string): string {
  const name = text
    .replace(/\.(eval\.)?(jsonl|ndjson|json)$/i, '')
    .replace(/[^\w.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return name || 'comparison';
}
