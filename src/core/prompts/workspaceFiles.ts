import { existsSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileSizeCaps, readBoundedTextSync, UnsafeFileError } from '../files/boundedRead';

/** The most a template may pull in through `${file:…}` or an examples file. */
export const maxReferencedFileBytes = fileSizeCaps.template;

/**
 * Resolves a path named by a template (relative to the template's folder) and refuses anything outside the
 * workspace roots, after following symbolic links, so a template cannot read `~/.ssh` or `../../etc/passwd`.
 */
export function resolveInsideWorkspace(reference: string, templatePath: string | undefined, roots: readonly string[]): { path: string } | { error: string } {
  const base = templatePath ? dirname(templatePath) : (roots[0] ?? process.cwd());
  const target = isAbsolute(reference) ? reference : resolve(base, reference);
  const allowedRoots = roots.length > 0 ? roots : [base];
  const real = existsSync(target) ? safeRealpath(target) : resolve(safeRealpath(dirname(target)), target.slice(dirname(target).length + 1));
  if (!allowedRoots.some((root) => isInside(real, safeRealpath(root)))) {
    return { error: `\`${reference}\` is outside the workspace; a template may only read files inside ${allowedRoots.map((r) => `\`${r}\``).join(', ')}.` };
  }
  return { path: target };
}

function safeRealpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && !rel.startsWith(`..${sep}`));
}

/**
 * Reads a confined file as text, with a clear error for missing, unreadable, oversized files and for what is not a
 * regular file (a named pipe would hang the reader, a link to /dev/zero fill memory): checked on the opened file.
 */
export function readWorkspaceFile(reference: string, templatePath: string | undefined, roots: readonly string[]): { path: string; text: string } | { error: string } {
  const resolved = resolveInsideWorkspace(reference, templatePath, roots);
  if ('error' in resolved) return resolved;
  try {
    return { path: resolved.path, text: readBoundedTextSync(resolved.path, { kind: 'template', maxBytes: maxReferencedFileBytes }) };
  } catch (error) {
    if (error instanceof UnsafeFileError && error.code === 'ENOENT') return { error: `\`${reference}\` does not exist (looked for ${resolved.path}).` };
    if (error instanceof UnsafeFileError && error.reason !== 'unreadable') return { error: `\`${reference}\`: ${error.message}` };
    return { error: `cannot read \`${reference}\`: ${error instanceof Error ? error.message : String(error)}` };
  }
}
