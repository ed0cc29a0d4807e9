/**
 * How answers and references are normalized and split into words before they are compared, for every language.
 *
 * SQuAD's normalization (lower case, punctuation out, English articles out, whitespace collapsed), made Unicode-aware:
 * - NFKC first, so full-width `ＡＢＣ１２３` is `ABC123`, ligatures and compatibility forms fold, and a decomposed
 *   `e + ◌́` is the same `é` as the precomposed one. Accents are kept: `año` and `ano` are different words.
 * - Case folded without a locale: `toLowerCase()` (the Unicode default mapping, the same on every machine), plus the
 *   one full folding it misses in everyday text, `ß` → `ss` (so `Straße` matches `STRASSE`). Turkish dotless `ı` is
 *   left as it is (a locale-free fold cannot know the text is Turkish).
 * - Punctuation and symbols (`\p{P}`, `\p{S}`) removed, not replaced by a space, as SQuAD does (`don't` → `dont`).
 *   Numbers lose their separators the same way: `3.5` is the word `35` (equal to a written `35`), `1,000` is `1000`,
 *   `v2.1` is `v21`. Kept for comparability with SQuAD-style scores; the same number written the same way still matches.
 * - The English articles `a`, `an`, `the` dropped as whole words (SQuAD's rule; other languages' articles are kept).
 * - Words are the whitespace-separated runs, except that Han, Hiragana and Katakana characters are one word each:
 *   Chinese and Japanese are written without spaces, and character-level tokens are what SQuAD-style metrics for
 *   them (CMRC, DuReader) use. Hangul keeps its space-separated words. Scripts written without spaces that are not
 *   split here (Thai, Lao, Khmer, Myanmar) count a whole run as one word, so their token metrics are coarse.
 */

const punctuationOrSymbol = /[\p{P}\p{S}]/gu;
const ideographic = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
const ideographicChar = /([\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}])/u;
const articles = new Set(['a', 'an', 'the']);

/** Compatibility-normalized and case-folded, nothing removed: the form words are compared in. */
export function foldText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/ß/g, 'ss');
}

/** The normalized words of a text (see the file's comment), in order, repeats kept. */
export function answerTokens(text: string): string[] {
  const folded = foldText(text).replace(punctuationOrSymbol, '');
  const tokens: string[] = [];
  const hasIdeographs = ideographic.test(folded); // most texts have none: then no word needs the per-word test
  for (const word of folded.split(/\s+/u)) {
    if (word === '' || articles.has(word)) continue;
    if (!hasIdeographs || !ideographic.test(word)) {
      tokens.push(word);
      continue;
    }
    for (const piece of word.split(ideographicChar)) if (piece !== '') tokens.push(piece);
  }
  return tokens;
}

/** The normalized text: its words joined by single spaces. */
export function normalizeAnswer(text: string): string {
  return answerTokens(text).join(' ');
}
