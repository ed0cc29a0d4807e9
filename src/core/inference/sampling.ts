import { type EngineSamplingOptions } from '../../shared/engineProtocol';
import { seededRandom } from '../text/seededRandom';

export type SamplingOptions = EngineSamplingOptions;

/** The sampler's random source: seeded for reproducible sampling, otherwise seeded at random. */
export class SeededRandom {
  readonly next: () => number;
  constructor(seed: number = Math.floor(Math.random() * 2 ** 32)) {
    this.next = seededRandom(seed);
  }
}

export function argMax(logits: ArrayLike<number>): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const value = logits[i]!;
    if (value > bestValue) {
      bestValue = value;
      best = i;
    }
  }
  return best;
}

/** Indices of the k largest values, largest first, in one pass (k is small next to the vocabulary). */
export function topKIndices(values: Float32Array, k: number): number[] {
  const indices: number[] = [];
  let floor = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (indices.length === k && value <= floor) continue;
    let position = indices.length;
    while (position > 0 && values[indices[position - 1]!]! < value) position--;
    indices.splice(position, 0, i);
    if (indices.length > k) indices.pop();
    if (indices.length === k) floor = values[indices[k - 1]!]!;
  }
  return indices;
}

/** Picks the next token from the last position's logits. Mutates `logits` (penalties, temperature). */
export class Sampler {
  private readonly random: SeededRandom;

  constructor(readonly options: Required<Omit<SamplingOptions, 'seed'>> & { seed?: number }) {
    this.random = new SeededRandom(options.seed);
  }

  get greedy(): boolean {
    return !this.options.doSample || this.options.temperature <= 0;
  }

  next(logits: Float32Array, context: Iterable<number>): number {
    const penalty = this.options.repetitionPenalty;
    if (penalty !== 1) {
      for (const token of new Set(context)) {
        const value = logits[token];
        if (value !== undefined) logits[token] = value < 0 ? value * penalty : value / penalty;
      }
    }
    if (this.greedy) return argMax(logits);
    const { temperature, topK, topP, minP } = this.options;
    const k = topK > 0 ? Math.min(topK, logits.length) : logits.length;
    if (k === logits.length && topP >= 1) return this.sampleAll(logits, temperature, minP);
    const candidates = k < logits.length ? topKIndices(logits, k) : Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]!);
    const top = logits[candidates[0]!]!;
    const weights = candidates.map((index) => Math.exp((logits[index]! - top) / temperature));
    let total = weights.reduce((sum, weight) => sum + weight, 0);
    let keep = weights.length;
    if (topP < 1) {
      let cumulative = 0;
      for (let i = 0; i < weights.length; i++) {
        cumulative += weights[i]! / total;
        if (cumulative >= topP) {
          keep = i + 1;
          break;
        }
      }
    }
    if (minP > 0) {
      const floor = minP * weights[0]!;
      while (keep > 1 && weights[keep - 1]! < floor) keep--;
    }
    total = 0;
    for (let i = 0; i < keep; i++) total += weights[i]!;
    let threshold = this.random.next() * total;
    for (let i = 0; i < keep; i++) {
      threshold -= weights[i]!;
      if (threshold <= 0) return candidates[i]!;
    }
    return candidates[keep - 1]!;
  }

  /** No top-k or top-p: sample over the whole vocabulary without sorting it. */
  private sampleAll(logits: Float32Array, temperature: number, minP: number): number {
    const top = logits[argMax(logits)]!;
    const weights = new Float32Array(logits.length);
    const floor = minP > 0 ? minP : 0;
    let total = 0;
    for (let i = 0; i < logits.length; i++) {
      const weight = Math.exp((logits[i]! - top) / temperature);
      weights[i] = weight >= floor ? weight : 0;
      total += weights[i]!;
    }
    let threshold = this.random.next() * total;
    for (let i = 0; i < weights.length; i++) {
      threshold -= weights[i]!;
      if (threshold <= 0 && weights[i]! > 0) return i;
    }
    return argMax(logits);
  }
}

/** Resolves sampling options against generation_config.json and Hugging Face's defaults. */
export function resolveSampling(requested: SamplingOptions, generationConfig: Record<string, unknown>): Required<Omit<SamplingOptions, 'seed'>> & { seed?: number } {
  const number = (key: string): number | undefined => (typeof generationConfig[key] === 'number' ? generationConfig[key] : undefined);
  const temperature = requested.temperature ?? number('temperature') ?? 1;
  const doSample = requested.doSample ?? (requested.temperature !== undefined ? requested.temperature > 0 : generationConfig.do_sample === true);
  const resolved = {
    doSample,
    temperature,
    topK: requested.topK ?? number('top_k') ?? 50,
    topP: requested.topP ?? number('top_p') ?? 1,
    minP: requested.minP ?? number('min_p') ?? 0,
    repetitionPenalty: requested.repetitionPenalty ?? number('repetition_penalty') ?? 1,
  };
  for (const [key, value] of Object.entries(resolved)) {
    if (typeof value === 'number' && (!Number.isFinite(value) || value < 0)) throw new RangeError(`${key} must be a non-negative number, got ${value}`);
  }
  if (resolved.topP > 1) throw new RangeError(`topP must be at most 1, got ${resolved.topP}`);
  if (resolved.repetitionPenalty === 0) throw new RangeError('repetitionPenalty must be positive');
  return requested.seed === undefined ? resolved : { ...resolved, seed: requested.seed };
}
