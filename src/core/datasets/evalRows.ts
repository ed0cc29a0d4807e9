import { typeName, type Json } from './jsonValues';

/**
 * The rules of an eval-set row (`{question, answer|reference, sources?, id?}`) that the dataset validator and the eval
 * set reader (`src/core/eval/evalSet.ts`) share, so both say the same thing about the same row.
 */

/** The keys that may hold a row's reference answer: `answer`, or `reference` (ragas and other eval tools name it so). */
export const evalReferenceKeys = ['answer', 'reference'] as const;

/**
 * What is wrong with a row's `sources`, or undefined when it is fine (absent counts as fine). Sources name the
 * workspace files the answer should be retrieved from: workspace-relative paths or globs, never absolute, never `..`.
 */
export function evalSourcesProblem(sources: Json): string | undefined {
  if (sources === undefined) return undefined;
  if (!Array.isArray(sources)) return `"sources" is ${typeName(sources)}; it must be a list of workspace-relative paths or globs, e.g. ["docs/setup.md"].`;
  for (let index = 0; index < sources.length; index++) {
    const source: unknown = sources[index];
    if (typeof source !== 'string') return `Source ${index + 1} is ${typeName(source)}; each source must be a string (a workspace-relative path or glob).`;
    if (source.trim() === '') return `Source ${index + 1} is empty; name a workspace file such as "docs/setup.md", or remove it.`;
    if (/^([\\/]|[A-Za-z]:)/.test(source)) return `Source ${index + 1} ("${source}") is absolute; write it relative to the workspace folder, e.g. "docs/setup.md".`;
    if (source.split(/[\\/]/).includes('..')) return `Source ${index + 1} ("${source}") leaves the workspace with ".."; sources must be files inside the workspace.`;
  }
  return undefined;
}
