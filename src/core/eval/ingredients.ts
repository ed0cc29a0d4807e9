/**
 * Whether a strategy got what it asked for. The chat goes on without a missing ingredient (no index, no template
 * renderer, no examples reader) and says so in the answer's notes; an evaluation must not: a retrieval strategy that
 * quietly answered zero-shot would be scored, cached as done and compared as if it had retrieved. Such an answer fails
 * with `ingredient-missing` instead, and since a failed answer is asked again, the next run (once the index is built,
 * the file fixed) answers it. Retrieval that works but finds no passage for a question is not missing: it is a miss.
 */
import { type ChatSources } from '../chat/chatRunner';
import { type StrategySpec } from './evalTypes';

export const ingredientMissingCode = 'ingredient-missing';

export type Ingredient = 'retrieval' | 'examples' | 'template';

/** What a strategy asks for that these sources cannot give at all, as the answer's error message; undefined when nothing is. */
export function missingIngredient(strategy: StrategySpec, sources: ChatSources): string | undefined {
  if (strategy.retrieval && !sources.retrieve) {
    return `Strategy "${strategy.name}" retrieves passages, but there is no document index here: build it (chatwright index, or Build Index in the editor) and run again.`;
  }
  if (strategy.template !== undefined && !sources.renderTemplate) return `Strategy "${strategy.name}" uses the template ${strategy.template}, but templates cannot be rendered here.`;
  if (strategy.fewShot?.examples !== undefined && !sources.readExamples) return `Strategy "${strategy.name}" takes examples from ${strategy.fewShot.examples}, but examples files cannot be read here.`;
  return undefined;
}

/** Sources that note which ingredient failed (threw) for one answer, so its error can say `ingredient-missing`. */
export function watchedSources(sources: ChatSources): { sources: ChatSources; failure: () => { ingredient: Ingredient; message: string } | undefined } {
  let failure: { ingredient: Ingredient; message: string } | undefined;
  const watch =
    <A extends unknown[], R>(ingredient: Ingredient, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await call(...args);
      } catch (error) {
        failure ??= { ingredient, message: error instanceof Error ? error.message : String(error) };
        throw error;
      }
    };
  const watched: ChatSources = { backend: (id) => sources.backend(id) };
  if (sources.modelInfo) watched.modelInfo = sources.modelInfo.bind(sources);
  if (sources.retrieve) watched.retrieve = watch('retrieval', sources.retrieve.bind(sources));
  if (sources.readExamples) watched.readExamples = watch('examples', sources.readExamples.bind(sources));
  if (sources.renderTemplate) watched.renderTemplate = watch('template', sources.renderTemplate.bind(sources));
  if (sources.templateRetrieval) watched.templateRetrieval = watch('template', sources.templateRetrieval.bind(sources));
  return { sources: watched, failure: () => failure };
}

/** The error of an answer whose ingredient could not be had. */
export function ingredientError(ingredient: Ingredient, message: string): { code: string; message: string } {
  const what = ingredient === 'retrieval' ? 'Retrieval' : ingredient === 'examples' ? 'The few-shot examples' : 'The template';
  return { code: ingredientMissingCode, message: `${what} could not be used: ${message}` };
}
