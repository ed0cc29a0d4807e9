import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

/** The most a template may pull in through `${file:…}` or an examples file. */
export const maxReferencedFileBytes = 16 * 1024 * 1024;

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

/** Reads a confined file as text, with a clear error for missing, unreadable or oversized files. */
export function readWorkspaceFile(reference: string, templatePath: string | undefined, roots: readonly string[]): { path: string; text: string } | { error: string } {
  const resolved = resolveInsideWorkspace(reference, templatePath, roots);
  if ('error' in resolved) return resolved;
  try {
    const stats = statSync(resolved.path);
    if (!stats.isFile()) return { error: `\`${reference}\` is not a file.` };
    if (stats.size > maxReferencedFileBytes) return { error: `\`${reference}\` is ${Math.round(stats.size / 1048576)} MB; the limit is ${maxReferencedFileBytes / 1048576} MB.` };
    return { path: resolved.path, text: readFileSync(resolved.path, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { error: code === 'ENOENT' ? `\`${reference}\` does not exist (looked for ${resolved.path}).` : `cannot read \`${reference}\`: ${error instanceof Error ? error.message : String(error)}` };
  }
}
