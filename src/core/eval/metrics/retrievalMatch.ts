import picomatch from 'picomatch';
import { type Passage } from '../../chat/chatTypes';

/**
 * Whether a retrieved passage comes from one of the files a question names as its sources. A source is a
 * workspace-relative path matched exactly, a folder ending in `/` that matches every file under it, or a glob
 * (`docs/**\/*.md`, `guide/{install,setup}.md`). Back slashes count as `/` on both sides and a leading `./` or `/` is
 * ignored. Matching is case-sensitive where the file system is (Linux), and case-insensitive elsewhere.
 */
export type SourceMatcher = (file: string) => boolean;

const globCharacters = /[*?[\]{}!]/;

/** Forward slashes, no leading `./` or `/`, no doubled slashes. */
export function normalizeSourcePath(path: string): string {
  return path
    .replace(/\\/g, '/')
    .replace(/\/{2,}/g, '/')
    .replace(/^(\.\/|\/)+/, '');
}

/** Whether this platform's usual file system tells `README.md` from `readme.md`. */
export const pathsAreCaseSensitive = process.platform !== 'win32' && process.platform !== 'darwin';

export function sourceMatcher(sources: readonly string[], caseSensitive: boolean = pathsAreCaseSensitive): SourceMatcher {
  const fold = (path: string): string => (caseSensitive ? path : path.toLowerCase());
  const exact = new Set<string>();
  const folders: string[] = [];
  const globs: string[] = [];
  for (const raw of sources) {
    const source = normalizeSourcePath(raw.trim());
    if (source === '') continue;
    if (globCharacters.test(source)) globs.push(source);
    else if (source.endsWith('/')) folders.push(fold(source));
    else exact.add(fold(source));
  }
  const glob = globs.length > 0 ? picomatch(globs, { dot: true, nocase: !caseSensitive }) : undefined;
  return (file) => {
    const path = normalizeSourcePath(file);
    const folded = fold(path);
    return exact.has(folded) || folders.some((folder) => folded.startsWith(folder)) || (glob !== undefined && glob(path));
  };
}

/** 1 when any retrieved passage comes from an expected source, else 0. */
export function retrievalHit(passages: readonly Passage[], matches: SourceMatcher): number {
  return passages.some((passage) => matches(passage.file)) ? 1 : 0;
}

/** Reciprocal rank of the first passage (in retrieval order) from an expected source: 1, 1/2, 1/3…; 0 when none is. */
export function retrievalMrr(passages: readonly Passage[], matches: SourceMatcher): number {
  const rank = passages.findIndex((passage) => matches(passage.file));
  return rank < 0 ? 0 : 1 / (rank + 1);
}
