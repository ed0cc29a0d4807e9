/**
 * Counts and sizes as people read them, the same in the host, the core and the webviews (which may import only
 * src/shared). English only, like the rest of the UI.
 */

const englishPlurals = new Intl.PluralRules('en-US');

/** `1 error`, `2 errors`, `1,204 rows`; `plural` for irregular nouns (`1 entry`, `3 entries`). */
export function countOf(count: number, singular: string, plural = `${singular}s`): string {
  return `${count.toLocaleString('en-US')} ${englishPlurals.select(count) === 'one' ? singular : plural}`;
}

const byteUnits = ['KB', 'MB', 'GB', 'TB'] as const;

/**
 * A size in decimal units (as the Explorer and the Hub show them): `812 bytes`, `3 KB`, `4.5 MB`. One decimal below
 * 10 of a unit, none above, so a small file never reads `0.00 MB`.
 */
export function formatByteSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1000) return countOf(Number.isFinite(bytes) ? Math.max(0, Math.round(bytes)) : 0, 'byte');
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 999.95 && unit < byteUnits.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = value < 9.95 ? 1 : 0;
  const text = value.toFixed(digits).replace(/\.0$/, '');
  return `${text} ${byteUnits[unit]}`;
}
