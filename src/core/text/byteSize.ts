/**
 * Sizes as people read them. Two conventions, each kept where its readers expect it: decimal units (1 MB = 1000 KB)
 * for downloads and disk use, as the Hugging Face Hub and file managers show them; binary units (1 MiB = 1024 KiB)
 * for limits, which are set in powers of two.
 */

/** "512 B", "1.5 MB", "340 MB", "12.3 GB": decimal units, one decimal below 100. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/** "1000 B", "2 KiB", "4.9 KiB", "80.0 MiB": binary units up to MiB, with `fractionDigits` decimals. */
export function formatBinaryBytes(bytes: number, fractionDigits = 0): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(fractionDigits)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(fractionDigits)} MiB`;
}
