import { lstatSync, readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';
import { readBoundedTextSync, UnsafeFileError } from '../files/boundedRead';
import { undecodableFileNameReason } from '../files/fileNames';
import { formatBinaryBytes } from '../text/byteSize';

export const defaultDocumentGlobs = ['**/*.{md,mdx,markdown,txt,rst,adoc,asciidoc,html,htm,pdf}'];
export const codeGlobs = ['**/*.{ts,tsx,js,jsx,mjs,cjs,py,go,rs,java,kt,c,h,cc,cpp,hpp,cs,rb,php,swift,scala,sh,sql,lua}'];
export const defaultExcludeGlobs = ['**/node_modules/**', '**/.git/**', '**/.hg/**', '**/.svn/**', '**/dist/**', '**/out/**', '**/build/**', '**/.venv/**', '**/__pycache__/**', '**/*.min.*'];

export interface SourceOptions {
  include: readonly string[];
  exclude: readonly string[];
  /** Files larger than this are skipped (bytes). PDFs get `maxPdfBytes`. */
  maxFileBytes: number;
  maxPdfBytes: number;
  respectGitignore: boolean;
  /** Also honour `.chatwrightignore` files (gitignore syntax), at any depth. */
  ignoreFileName: string;
}

export const defaultSourceOptions: SourceOptions = {
  include: defaultDocumentGlobs,
  exclude: defaultExcludeGlobs,
  maxFileBytes: 2 * 1024 * 1024,
  maxPdfBytes: 50 * 1024 * 1024,
  respectGitignore: true,
  ignoreFileName: '.chatwrightignore',
};

/** A file the index should hold: path relative to the folder (POSIX separators), with what stat said. */
export interface SourceFile {
  path: string;
  absolutePath: string;
  size: number;
  mtimeMs: number;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface SourceScan {
  files: SourceFile[];
  skipped: SkippedFile[];
}

interface IgnoreScope {
  /** Folder of the ignore file, relative to the root, '' for the root, with a trailing '/' otherwise. */
  base: string;
  rules: Ignore;
}

function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}

function isInside(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !/^[a-zA-Z]:/.test(rel));
}

/**
 * Globs are relative to the folder: "/README.md" and "./README.md" mean the folder's own README.md, as in
 * `.gitignore`, rather than matching nothing.
 */
function folderRelativeGlob(glob: string): string {
  return glob.replace(/^(\.\/|\/)+/, '');
}

/**
 * Decides, for one folder's options, whether a relative path is a source (used by the scan and by the file watcher).
 * No file is special: the folder's own README.md is indexed when an include glob matches it and no exclude glob does.
 * Both kinds match case-insensitively, so `readme.md` in `exclude` removes the README.md the default globs include.
 */
export class SourceFilter {
  private readonly included: (path: string) => boolean;
  private readonly excluded: (path: string) => boolean;

  constructor(readonly options: SourceOptions) {
    this.included = picomatch(options.include.map(folderRelativeGlob), { dot: false, nocase: true });
    this.excluded = picomatch(options.exclude.map(folderRelativeGlob), { dot: true, nocase: true });
  }

  isExcludedFolder(path: string): boolean {
    return this.excluded(path) || this.excluded(`${path}/`) || this.excluded(`${path}/x`);
  }

  matches(path: string): boolean {
    return this.included(path) && !this.excluded(path);
  }

  /** Whether a path is ignored by the .gitignore / .chatwrightignore files on its way down from the root. */
  isIgnored(root: string, path: string, isFolder = false): boolean {
    const parts = path.split('/');
    let scopes: IgnoreScope[] = [];
    for (let depth = 0; depth < parts.length; depth++) {
      const base = parts.slice(0, depth).join('/');
      scopes = [...scopes, ...loadIgnoreScopes(join(root, base), base ? `${base}/` : '', this.options)];
      const candidate = parts.slice(0, depth + 1).join('/');
      const folder = depth < parts.length - 1 || isFolder;
      if (ignoredBy(scopes, candidate, folder)) return true;
    }
    return false;
  }
}

/** The largest .gitignore or .chatwrightignore read; real ones are a few KB, generated ones rarely over 100 KB. */
const maxIgnoreFileBytes = 1 << 20;

function loadIgnoreScopes(folder: string, base: string, options: SourceOptions, onProblem?: (path: string, reason: string) => void): IgnoreScope[] {
  const names = options.respectGitignore ? ['.gitignore', options.ignoreFileName] : [options.ignoreFileName];
  const scopes: IgnoreScope[] = [];
  for (const name of names) {
    let text: string;
    try {
      // Bounded and checked on the descriptor: an ignore file that is a pipe must not hang the walk.
      text = readBoundedTextSync(join(folder, name), { kind: 'small', maxBytes: maxIgnoreFileBytes });
    } catch (error) {
      if (error instanceof UnsafeFileError && error.reason !== 'unreadable') onProblem?.(`${base}${name}`, `ignored: ${error.message}`);
      continue;
    }
    scopes.push({ base, rules: ignore().add(text) });
  }
  return scopes;
}

function ignoredBy(scopes: readonly IgnoreScope[], path: string, folder: boolean): boolean {
  let ignored = false;
  for (const scope of scopes) {
    if (!path.startsWith(scope.base)) continue;
    const rel = path.slice(scope.base.length);
    if (!rel) continue;
    const result = scope.rules.test(folder ? `${rel}/` : rel);
    if (result.ignored) ignored = true;
    else if (result.unignored) ignored = false;
  }
  return ignored;
}

/**
 * Walks a folder for the files to index. Excluded and ignored folders are not entered. Symbolic links are followed
 * only when their target stays inside the folder (and each real folder is visited once, so link cycles end).
 * Over-size files are reported as skipped with their reason; content checks (binary, minified, encoding) happen when a
 * file is read, in `readSourceText`.
 */
export function scanSources(root: string, options: SourceOptions = defaultSourceOptions, signal?: AbortSignal): SourceScan {
  const filter = new SourceFilter(options);
  const realRoot = realpathSync(root);
  const files: SourceFile[] = [];
  const skipped: SkippedFile[] = [];
  const visited = new Set<string>([realRoot]);
  const walk = (folderRel: string, scopes: IgnoreScope[]): void => {
    if (signal?.aborted) return;
    const folderAbs = join(root, folderRel);
    const here = [...scopes, ...loadIgnoreScopes(folderAbs, folderRel ? `${folderRel}/` : '', options, (path, reason) => skipped.push({ path, reason }))];
    let entries;
    try {
      // Names as bytes: a name that is not valid UTF-8 would otherwise come back with U+FFFD in it, naming no file.
      entries = readdirSync(folderAbs, { withFileTypes: true, encoding: 'buffer' });
    } catch (error) {
      skipped.push({ path: folderRel || '.', reason: `folder cannot be read: ${(error as Error).message}` });
      return;
    }
    const named: { name: string; entry: (typeof entries)[number] }[] = [];
    for (const entry of entries) {
      const name = decodeFileName(entry.name);
      if (name === undefined) {
        const shown = folderRel ? `${folderRel}/${entry.name.toString('utf8')}` : entry.name.toString('utf8');
        if (filter.matches(shown)) skipped.push({ path: shown, reason: undecodableFileNameReason });
        continue;
      }
      named.push({ name, entry });
    }
    named.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const { name, entry } of named) {
      const rel = folderRel ? `${folderRel}/${name}` : name;
      const abs = join(folderAbs, name);
      let stats: Stats;
      let isLink = entry.isSymbolicLink();
      try {
        stats = isLink ? statSync(abs) : lstatSync(abs);
      } catch (error) {
        if (isLink) {
          const loop = (error as NodeJS.ErrnoException).code === 'ELOOP';
          if (filter.matches(rel)) skipped.push({ path: rel, reason: loop ? 'symbolic link loop: not followed' : 'broken symbolic link' });
        } else skipped.push({ path: rel, reason: `cannot be read: ${(error as Error).message}` });
        continue;
      }
      if (stats.isDirectory()) {
        if (filter.isExcludedFolder(rel) || ignoredBy(here, rel, true)) continue;
        let real: string;
        try {
          real = realpathSync(abs);
        } catch {
          continue;
        }
        if (isLink && !isInside(realRoot, real)) {
          skipped.push({ path: rel, reason: 'symbolic link to a folder outside the workspace: not followed' });
          continue;
        }
        if (visited.has(real)) continue;
        visited.add(real);
        walk(rel, here);
        continue;
      }
      if (!stats.isFile() || !filter.matches(rel) || ignoredBy(here, rel, false)) continue;
      if (isLink) {
        let real: string;
        try {
          real = realpathSync(abs);
        } catch {
          continue;
        }
        if (!isInside(realRoot, real)) {
          skipped.push({ path: rel, reason: 'symbolic link to a file outside the workspace: not followed' });
          continue;
        }
      }
      isLink = false;
      const cap = rel.toLowerCase().endsWith('.pdf') ? options.maxPdfBytes : options.maxFileBytes;
      if (stats.size > cap) {
        skipped.push({ path: rel, reason: `too large: ${formatBinaryBytes(stats.size, 1)} (limit ${formatBinaryBytes(cap, 1)})` });
        continue;
      }
      files.push({ path: toPosix(rel), absolutePath: abs, size: stats.size, mtimeMs: stats.mtimeMs });
    }
  };
  walk('', []);
  return { files, skipped };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function decodeFileName(name: Buffer): string | undefined {
  try {
    return strictUtf8.decode(name);
  } catch {
    return undefined;
  }
}

export type ReadOutcome = { ok: true; text: string } | { ok: false; reason: string };

/**
 * Decodes a file's bytes as text, or says why it is not indexable: binary (NUL bytes), invalid UTF-8 (UTF-16 with a
 * byte-order mark is decoded), or minified/generated (very long lines on average, or one line over `maxLineLength`).
 */
export function decodeSourceText(bytes: Uint8Array, format: string, maxLineLength = 100_000): ReadOutcome {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    const text = new TextDecoder(bytes[0] === 0xff ? 'utf-16le' : 'utf-16be').decode(bytes);
    return checkLines(text, format, maxLineLength);
  }
  const probe = bytes.subarray(0, Math.min(bytes.length, 8192));
  if (probe.includes(0)) return { ok: false, reason: 'binary file (contains NUL bytes)' };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, reason: 'not valid UTF-8 text (re-save it as UTF-8 to index it)' };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return checkLines(text, format, maxLineLength);
}

function checkLines(text: string, format: string, maxLineLength: number): ReadOutcome {
  let longest = 0;
  let lines = 1;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i === text.length || text.charCodeAt(i) === 10) {
      longest = Math.max(longest, i - start);
      start = i + 1;
      if (i < text.length) lines++;
    }
  }
  if (longest > maxLineLength) return { ok: false, reason: `a line of ${longest.toLocaleString('en-US')} characters (limit ${maxLineLength.toLocaleString('en-US')}): generated or minified` };
  const mean = text.length / lines;
  if ((format === 'code' || format === 'html') && text.length > 2000 && mean > 500) return { ok: false, reason: `minified (average line ${Math.round(mean)} characters)` };
  return { ok: true, text };
}
