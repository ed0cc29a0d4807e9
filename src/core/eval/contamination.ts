import { detectRowFormat } from '../datasets/formats';
import { rowTurns } from '../datasets/tokenCount';
import { type ContaminationFinding, type ContaminationReport, type EvalQuestion } from './evalTypes';

/**
 * Finds eval questions that also appear in training data or few-shot examples: a model that saw a question's answer
 * while training (or in its prompt) is not being evaluated on it.
 *
 * Each source row is read in whatever dataset format it is in and turned into prompt/response pairs (every user turn
 * with the assistant turn after it; `prompt`/`completion`; Alpaca's instruction + input / output; an eval row's
 * question / answer). Texts are normalized (NFKC, lower case, punctuation and symbols dropped, whitespace collapsed). A
 * question is contaminated when its normalized text equals a pair's prompt (similarity 1), or when the Jaccard
 * similarity of its shingles with the prompt's — or of question + reference with prompt + response — is at least
 * `contaminationThreshold`.
 *
 * Shingles are word 8-grams (the usual unit of contamination checks: a shared 8-gram is rarely a coincidence). A text
 * of fewer than `shortTextUnits` units has too few 8-grams for a Jaccard to mean anything (a 10-word question has 3),
 * so short texts use 3-grams, on both sides of the comparison. In scripts written without spaces (Chinese, Japanese,
 * Thai, Lao, Khmer, Myanmar) each character is a unit, so CJK text gets character n-grams.
 *
 * Candidates come from an inverted index of shingle hashes with prefix filtering: a pair can reach the threshold only
 * if it shares one of the question's rarest `|Q| − ⌈t·|Q|⌉ + 1` shingles, so only those shingles' postings are read;
 * each candidate is then verified exactly. No all-pairs comparison.
 */

/** A source's similarity must be at least this to count (Jaccard of shingle sets). */
export const contaminationThreshold = 0.8;
/** Texts with fewer units than this are shingled in 3-grams instead of 8-grams. */
export const shortTextUnits = 16;
const longShingle = 8;
const shortShingle = 3;

/** A file whose rows an eval set must not overlap: training data, or few-shot examples shown to the model. */
export interface ContaminationSource {
  kind: 'training' | 'examples';
  /** As shown in findings (workspace-relative when possible). */
  label: string;
  text: string;
}

/** Text as compared: NFKC, case-folded, punctuation and symbols dropped, whitespace collapsed. */
export function normalizeForContamination(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\p{P}\p{S}]+/gu, ' ')
    .replace(/\s+/gu, ' ')
    .trim();
}

const unspacedScripts = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Thai}\\p{Script=Lao}\\p{Script=Khmer}\\p{Script=Myanmar}';
const unitPattern = new RegExp(`[${unspacedScripts}]|[^\\s${unspacedScripts}]+`, 'gu');

/** The units of a normalized text: words, and single characters of scripts written without spaces. */
export function textUnits(normalized: string): string[] {
  return normalized.match(unitPattern) ?? [];
}

/**
 * A shingle's hash: two 32-bit hashes (64 bits together, so collisions are negligible at millions of shingles), left in
 * `hashA`/`hashB` to spare an allocation per shingle. Each unit is hashed once (FNV-1a over its characters); a
 * shingle's hash mixes its units' hashes in order.
 */
let hashA = 0;
let hashB = 0;

/** Per-unit hashes of the text being shingled, reused across texts (grown as needed) to spare allocations. */
let unitHashA = new Int32Array(256);
let unitHashB = new Int32Array(256);

function hashUnits(units: readonly string[]): void {
  if (unitHashA.length < units.length) {
    unitHashA = new Int32Array(units.length * 2);
    unitHashB = new Int32Array(units.length * 2);
  }
  for (let index = 0; index < units.length; index++) {
    const unit = units[index]!;
    let x = 0x811c9dc5;
    let y = 0x01000193;
    for (let i = 0; i < unit.length; i++) {
      const c = unit.charCodeAt(i);
      x = Math.imul(x ^ c, 0x01000193);
      y = Math.imul(y ^ c, 0x5bd1e995) ^ (y >>> 15);
    }
    unitHashA[index] = x;
    unitHashB[index] = y;
  }
}

/** The hash of the shingle of `length` units at `start` of the text last given to `hashUnits`. */
function hashShingle(start: number, length: number): void {
  let a = 0x811c9dc5 ^ length;
  let b = 0x27d4eb2f ^ length;
  for (let u = start; u < start + length; u++) {
    a = Math.imul(a ^ unitHashA[u]!, 0x01000193);
    a ^= a >>> 13;
    b = Math.imul(b ^ unitHashB[u]!, 0x5bd1e995);
    b ^= b >>> 15;
  }
  hashA = Math.imul(a ^ (a >>> 16), 0x85ebca6b) | 0;
  hashB = b | 0;
}

/** How many shingles of n units a text of `units` units has (a text shorter than n is one shingle of itself). */
function shingleCount(units: number, n: number): number {
  return units === 0 ? 0 : units <= n ? 1 : units - n + 1;
}

/** Hashes shingle `i` of a text whose units went to `hashUnits`. */
function hashShingleAt(units: number, n: number, i: number): void {
  if (units <= n) hashShingle(0, units);
  else hashShingle(i, n);
}

function shingleSize(units: readonly string[]): number {
  return units.length < shortTextUnits ? shortShingle : longShingle;
}

/** One prompt/response pair of a source row. */
interface SourcePair {
  line: number;
  prompt: string[];
  combined: string[];
  promptText: string;
}

/** The prompt/response pairs of one parsed row, in any dataset format. */
function rowPairs(row: Record<string, unknown>): { prompt: string; response: string }[] {
  const format = detectRowFormat(row);
  if (!format) return [];
  const text = (value: unknown): string => (typeof value === 'string' ? value : '');
  switch (format) {
    case 'eval':
      return [{ prompt: text(row.question), response: text(row.answer) || text(row.reference) }];
    case 'prompt-completion':
    case 'unpaired-preference':
      return [{ prompt: text(row.prompt), response: text(row.completion) }];
    case 'preference': {
      const prompt = typeof row.prompt === 'string' ? row.prompt : '';
      return [{ prompt, response: text(row.chosen) }];
    }
    default: {
      const turns = rowTurns(row, format);
      if (typeof turns === 'string') return [{ prompt: turns, response: '' }];
      const pairs: { prompt: string; response: string }[] = [];
      turns.forEach((turn, index) => {
        if (turn.role !== 'user') return;
        const next = turns[index + 1];
        pairs.push({ prompt: turn.content, response: next?.role === 'assistant' ? next.content : '' });
      });
      return pairs;
    }
  }
}

function readPairs(source: ContaminationSource): SourcePair[] {
  const pairs: SourcePair[] = [];
  const body = source.text.charCodeAt(0) === 0xfeff ? source.text.slice(1) : source.text;
  let line = 0;
  for (const raw of body.split('\n')) {
    line++;
    if (raw.trim() === '') continue;
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch {
      continue; // The validator reports broken lines; a broken line cannot contaminate anything.
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) continue;
    let found: { prompt: string; response: string }[];
    try {
      found = rowPairs(row as Record<string, unknown>);
    } catch {
      continue;
    }
    for (const pair of found) {
      const promptText = normalizeForContamination(pair.prompt);
      if (promptText === '') continue;
      // Normalization works within words, and the two texts are separated by a space: the combined units are the concatenation.
      const prompt = textUnits(promptText);
      pairs.push({ line, promptText, prompt, combined: pair.response === '' ? prompt : prompt.concat(textUnits(normalizeForContamination(pair.response))) });
    }
  }
  return pairs;
}

/**
 * The shingles of one side of every pair for one n: an open-addressing hash table of shingle hashes (typed arrays, no
 * object per shingle: a Map of millions of postings spends most of its time in the garbage collector), each slot with
 * its posting list as a linked list of entries, and each pair's distinct slots.
 */
class ShingleIndex {
  private readonly mask: number;
  private readonly keyA: Int32Array;
  private readonly keyB: Int32Array;
  /** Per slot: first posting entry (-1: a free slot; a claimed slot gets its entry at once), postings count, and the last pair or query that touched it. */
  private readonly head: Int32Array;
  private readonly count: Int32Array;
  private readonly stamp: Int32Array;
  private readonly entryNext: Int32Array;
  private readonly entryPair: Int32Array;
  /** Pair p's distinct slots are `pairSlots[pairStart[p] … pairStart[p + 1])`. */
  private readonly pairStart: Int32Array;
  private readonly pairSlots: Int32Array;
  private stampCounter = 0;

  constructor(units: readonly (readonly string[])[], n: number) {
    let estimate = 0;
    for (const list of units) estimate += Math.max(1, list.length - n + 1);
    let capacity = 1024;
    while (capacity < estimate * 1.5) capacity *= 2;
    this.mask = capacity - 1;
    this.keyA = new Int32Array(capacity);
    this.keyB = new Int32Array(capacity);
    this.head = new Int32Array(capacity).fill(-1);
    this.count = new Int32Array(capacity);
    this.stamp = new Int32Array(capacity).fill(-1);
    this.entryNext = new Int32Array(estimate + 1);
    this.entryPair = new Int32Array(estimate + 1);
    this.pairStart = new Int32Array(units.length + 1);
    this.pairSlots = new Int32Array(estimate + 1);
    const { stamp, head, count, entryPair, entryNext, pairSlots } = this;
    let entries = 0;
    for (let pair = 0; pair < units.length; pair++) {
      this.pairStart[pair] = entries;
      const list = units[pair]!;
      const stampValue = this.nextStamp();
      const shingles = shingleCount(list.length, n);
      hashUnits(list);
      for (let i = 0; i < shingles; i++) {
        hashShingleAt(list.length, n, i);
        const slot = this.slotOf(true);
        if (stamp[slot] === stampValue) continue;
        stamp[slot] = stampValue;
        entryPair[entries] = pair;
        entryNext[entries] = head[slot]!;
        head[slot] = entries;
        count[slot]!++;
        pairSlots[entries] = slot;
        entries++;
      }
    }
    this.pairStart[units.length] = entries;
  }

  private nextStamp(): number {
    return this.stampCounter++;
  }

  /** The slot of the shingle in `hashA`/`hashB`: found, or claimed when `insert`, else -1. */
  private slotOf(insert: boolean): number {
    let slot = hashA & this.mask;
    while (this.head[slot] !== -1) {
      if (this.keyA[slot] === hashA && this.keyB[slot] === hashB) return slot;
      slot = (slot + 1) & this.mask;
    }
    if (!insert) return -1;
    this.keyA[slot] = hashA;
    this.keyB[slot] = hashB;
    return slot;
  }

  /** Each pair whose shingle Jaccard similarity with `query` (units shingled the same way) is at least `threshold`. */
  matches(query: readonly string[], n: number, threshold: number): { id: number; similarity: number }[] {
    // The query's distinct shingles: those the index holds by slot, the others only counted.
    const present: number[] = [];
    const absent = new Set<string>();
    const stampValue = this.nextStamp();
    const shingles = shingleCount(query.length, n);
    hashUnits(query);
    for (let i = 0; i < shingles; i++) {
      hashShingleAt(query.length, n, i);
      const slot = this.slotOf(false);
      if (slot < 0) absent.add(`${hashA},${hashB}`);
      else if (this.stamp[slot] !== stampValue) {
        this.stamp[slot] = stampValue;
        present.push(slot);
      }
    }
    const size = present.length + absent.size;
    if (size === 0) return [];
    // A pair at the threshold shares at least ⌈t·|Q|⌉ of Q's shingles, hence at least one of any |Q| − ⌈t·|Q|⌉ + 1 of
    // them: the absent ones first (free), then the rarest present ones; only their postings are read.
    const needed = Math.ceil(threshold * size - 1e-9);
    if (present.length < needed) return [];
    const prefix = size - needed + 1 - absent.size;
    present.sort((x, y) => this.count[x]! - this.count[y]!);
    const candidates = new Set<number>();
    for (let i = 0; i < prefix; i++) {
      for (let entry = this.head[present[i]!]!; entry >= 0; entry = this.entryNext[entry]!) candidates.add(this.entryPair[entry]!);
    }
    const out: { id: number; similarity: number }[] = [];
    for (const pair of candidates) {
      const start = this.pairStart[pair]!;
      const length = this.pairStart[pair + 1]! - start;
      // Sizes alone can rule a pair out: J ≤ min/max.
      if (Math.min(length, size) < threshold * Math.max(length, size)) continue;
      let shared = 0;
      for (let i = start; i < start + length; i++) if (this.stamp[this.pairSlots[i]!] === stampValue) shared++;
      const similarity = shared / (length + size - shared);
      if (similarity >= threshold) out.push({ id: pair, similarity });
    }
    return out;
  }
}

/** One source's pairs, with the exact-match table and the shingle indexes built as queries need them. */
class IndexedSource {
  private readonly exact = new Map<string, number>();
  private readonly indexes = new Map<string, ShingleIndex>();

  constructor(readonly pairs: readonly SourcePair[]) {
    pairs.forEach((pair, id) => {
      if (!this.exact.has(pair.promptText)) this.exact.set(pair.promptText, id);
    });
  }

  exactMatch(normalizedQuestion: string): number | undefined {
    return this.exact.get(normalizedQuestion);
  }

  index(side: 'prompt' | 'combined', n: number): ShingleIndex {
    const key = `${side}:${n}`;
    let index = this.indexes.get(key);
    if (!index) {
      index = new ShingleIndex(
        this.pairs.map((pair) => pair[side]),
        n,
      );
      this.indexes.set(key, index);
    }
    return index;
  }
}

/** Finds eval questions (question + reference) that also appear, exactly or nearly, in the sources' rows. */
export function checkContamination(questions: readonly EvalQuestion[], sources: readonly ContaminationSource[]): ContaminationReport {
  const findings: ContaminationFinding[] = [];
  const prepared = questions.map((question) => {
    const normalized = normalizeForContamination(question.question);
    const units = textUnits(normalized);
    const combined = question.reference.trim() === '' ? [] : textUnits(normalizeForContamination(`${question.question} ${question.reference}`));
    const promptN = shingleSize(units);
    const combinedN = shingleSize(combined);
    return { question, normalized, units, combined, promptN, combinedN };
  });
  for (const source of sources) {
    const indexed = new IndexedSource(readPairs(source));
    if (indexed.pairs.length === 0) continue;
    for (const item of prepared) {
      if (item.normalized === '') continue;
      // The best match in this source: one finding per question and file, not one per similar row.
      let best: { id: number; similarity: number } | undefined;
      const consider = (match: { id: number; similarity: number }): void => {
        if (!best || match.similarity > best.similarity || (match.similarity === best.similarity && match.id < best.id)) best = match;
      };
      const exact = indexed.exactMatch(item.normalized);
      if (exact !== undefined) consider({ id: exact, similarity: 1 });
      else {
        for (const match of indexed.index('prompt', item.promptN).matches(item.units, item.promptN, contaminationThreshold)) consider(match);
        if (item.combined.length > 0) for (const match of indexed.index('combined', item.combinedN).matches(item.combined, item.combinedN, contaminationThreshold)) consider(match);
      }
      if (best) {
        findings.push({
          kind: source.kind,
          questionId: item.question.id,
          line: item.question.line,
          source: `${source.label}:${indexed.pairs[best.id]!.line}`,
          similarity: Math.round(best.similarity * 1000) / 1000,
        });
      }
    }
  }
  findings.sort((a, b) => a.line - b.line || b.similarity - a.similarity);
  const distinct = (kind: ContaminationFinding['kind']): number => new Set(findings.filter((item) => item.kind === kind).map((item) => item.questionId)).size;
  return { checkedFiles: sources.map((source) => source.label), findings, trainingOverlap: distinct('training'), examplesOverlap: distinct('examples') };
}
