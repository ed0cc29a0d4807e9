import { searchWords } from '../text/words';

/**
 * Keyword search's side of the index: the words of a query worth matching, FTS5 query text, and the text a document's
 * path is indexed under. The FTS5 table itself is declared in `storeSchema.ts`.
 */

const stopwords = new Set(
  'a an and are as at be by can do does for from how i if in into is it its of on or so that the their then there these this to was what when where which who why will with you your'.split(' '),
);

/** The words of a query worth matching: stopwords dropped unless nothing else is left. */
export function queryTerms(text: string): string[] {
  const words = searchWords(text);
  const content = words.filter((word) => !stopwords.has(word));
  return [...new Set(content.length > 0 ? content : words)];
}

/** Turns free text into an FTS5 query: each word a quoted term, OR-ed. */
export function ftsQuery(text: string | readonly string[]): string | undefined {
  const terms = typeof text === 'string' ? queryTerms(text) : text;
  if (terms.length === 0) return undefined;
  return terms.map(ftsTerm).join(' OR ');
}

/** Above this many passages, BM25 leaves out query words found in more than `commonTermShare` of them. */
const pruneAbove = 10_000;
const commonTermShare = 0.25;

/** One term as an FTS5 string: quoted, so that operators and punctuation in it are matched as text. */
export function ftsTerm(term: string): string {
  return `"${term}"`;
}

/**
 * The query words worth matching in an index of `total` passages. In large indexes, words found in more than a
 * quarter of the passages are left out (unless nothing else remains): their idf is near zero so they barely move the
 * ranking, but they make FTS5 score almost every passage (5–10x slower at 100,000 chunks).
 */
export function selectiveTerms(terms: string[], total: number, passagesWith: (term: string) => number): string[] {
  if (total <= pruneAbove) return terms;
  const counted = terms.map((term) => ({ term, passages: passagesWith(term) })).sort((a, b) => a.passages - b.passages);
  const selective = counted.filter((entry) => entry.passages <= total * commonTermShare);
  return (selective.length > 0 ? selective : counted.slice(0, 1)).map((entry) => entry.term);
}

/** A document's path as FTS5 indexes it: separators become spaces, so `docs/user_guide.md` matches "user guide". */
export function searchablePath(path: string): string {
  return path.replace(/[/_.-]+/g, ' ');
}
