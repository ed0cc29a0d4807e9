import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '../../src/core/text/seededRandom';

export { seededRandom };

export function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
}

export function randomUnitVector(random: () => number, dimensions: number): Float32Array {
  const vector = new Float32Array(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    const value = gaussian(random);
    vector[i] = value;
    norm += value * value;
  }
  norm = Math.sqrt(norm);
  for (let i = 0; i < dimensions; i++) vector[i] = (vector[i] ?? 0) / norm;
  return vector;
}

/** A unit vector near `centre`: centre + noise of the given weight, normalised (clustered data, like real embeddings). */
export function nearVector(random: () => number, centre: Float32Array, noise: number): Float32Array {
  const jitter = randomUnitVector(random, centre.length);
  const vector = new Float32Array(centre.length);
  let norm = 0;
  for (let i = 0; i < centre.length; i++) {
    const value = (centre[i] ?? 0) + noise * (jitter[i] ?? 0);
    vector[i] = value;
    norm += value * value;
  }
  norm = Math.sqrt(norm);
  for (let i = 0; i < centre.length; i++) vector[i] = (vector[i] ?? 0) / norm;
  return vector;
}

/** Words of a real corpus with their frequencies, to sample realistic (Zipf-distributed) synthetic passages. */
export function corpusVocabulary(folder: string): { words: string[]; cumulative: Float64Array } {
  const counts = new Map<string, number>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.md'))
        for (const word of readFileSync(path, 'utf8')
          .toLowerCase()
          .match(/[a-z][a-z0-9]{1,20}/g) ?? [])
          counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  };
  walk(folder);
  const entries = [...counts].sort((a, b) => b[1] - a[1]);
  const cumulative = new Float64Array(entries.length);
  let total = 0;
  entries.forEach(([, count], index) => {
    total += count;
    cumulative[index] = total;
  });
  for (let i = 0; i < cumulative.length; i++) cumulative[i] = (cumulative[i] ?? 0) / total;
  return { words: entries.map(([word]) => word), cumulative };
}

export function sampleWord(vocabulary: { words: string[]; cumulative: Float64Array }, random: () => number): string {
  const target = random();
  let low = 0;
  let high = vocabulary.cumulative.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((vocabulary.cumulative[mid] ?? 1) < target) low = mid + 1;
    else high = mid;
  }
  return vocabulary.words[low] ?? 'rclone';
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? NaN;
}

export function summarise(samples: readonly number[]): { p50: number; p95: number; mean: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), mean: sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length) };
}

export function loadLine(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}
