/**
 * Quoting for POSIX shells (bash): a word that the shell reads back as exactly the same string, whatever it holds
 * (spaces, quotes, `$`, backticks, `*`, newlines). Plain words stay bare so that generated scripts read like ones a
 * person would write; anything else is single-quoted, the one quoting in which nothing is special, with each `'`
 * written as `'\''`.
 */

/** Characters that never mean anything to the shell in a word (no globbing, expansion, splitting or redirection). */
const plainWord = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** `word` as one shell word. */
export function shellQuote(word: string): string {
  if (plainWord.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command line: each word quoted, joined by spaces. */
export function shellCommandLine(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}
