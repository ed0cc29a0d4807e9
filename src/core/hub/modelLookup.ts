import { type CachedModel, type CachedRevision } from './cacheScan';

/** `org/name@rev` → its parts (revision defaults to main). */
export function parseModelRef(ref: string): { repoId: string; revision: string } {
  const at = ref.lastIndexOf('@');
  if (at > 0) return { repoId: ref.slice(0, at), revision: ref.slice(at + 1) || 'main' };
  return { repoId: ref, revision: 'main' };
}

/** The cached snapshot a revision names: a ref (main) or a commit (also abbreviated); else the newest one. */
export function cachedRevisionFor(model: CachedModel, revision = 'main'): CachedRevision | undefined {
  const commit = model.refs[revision] ?? revision;
  return (
    model.revisions.find((r) => r.commit === commit) ?? model.revisions.find((r) => revision.length >= 7 && r.commit.startsWith(revision)) ?? (revision === 'main' ? model.revisions[0] : undefined)
  );
}

/** "1.2B", "494M", "22.7M" */
export function formatParameters(count: number | undefined): string {
  if (count === undefined) return '?';
  if (count >= 1e9) return `${(count / 1e9).toFixed(count >= 1e10 ? 0 : 1)}B`;
  if (count >= 1e6) return `${(count / 1e6).toFixed(count >= 1e8 ? 0 : 1)}M`;
  if (count >= 1e3) return `${(count / 1e3).toFixed(0)}K`;
  return String(count);
}

/** "3B", "500M", "1.5e9" → a parameter count. */
export function parseParameterCount(text: string): number {
  const match = /^\s*([\d.]+(?:e\d+)?)\s*([KMB])?\s*$/i.exec(text);
  if (!match?.[1]) throw new Error(`'${text}' is not a parameter count (e.g. 500M, 3B)`);
  const scale = { K: 1e3, M: 1e6, B: 1e9 }[(match[2] ?? '').toUpperCase() as 'K' | 'M' | 'B'] ?? 1;
  return Number(match[1]) * scale;
}
