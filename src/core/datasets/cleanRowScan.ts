import { specialContentNeedles } from './contentScan';
import { mix, sampledEnds, sampledQuotes } from './fingerprint';

/**
 * The fast path of file validation. Most rows of a chat dataset are plain, clean OpenAI `messages` rows; for those the
 * full path (decode the line, `JSON.parse`, walk the value, sample the duplicate key, look for special tokens) spends
 * most of its time building strings and objects that are thrown away. This scanner reads such a row's bytes once and
 * *certifies* it: valid JSON of exactly the shape {"messages": [{"role": …, "content": "…"}, …]} with known roles, in
 * a valid order, ending with a non-blank assistant reply. Anything else — another format, another key, an escape it
 * cannot judge, a control character, a needle of the special-token or secret checks, a problem of any kind — is not
 * certified and goes through the full path, which then reports exactly what it finds. So a certified
 * row is one the full path would pass without a finding; a unit test holds the two paths to that.
 */

export interface CertifiedRow {
  /** Index of the byte that ends the line (a '\n', or the limit). */
  lineEnd: number;
  /** Messages in the row (the full path's `turns`). */
  turns: number;
  /** UTF-16 code units in the line without a final '\r' (what the full path's `text.length` is). */
  length: number;
  /** Whether the line is all ASCII (its bytes then decode as latin1, faster). */
  ascii: boolean;
}

const quote = 0x22;
const backslash = 0x5c;

// Role codes.
const system = 1;
const user = 2;
const assistant = 3;
const developer = 4;

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d;
}

/** Whether `bytes` at `at` hold exactly the ASCII text `word`. */
function bytesAre(bytes: Uint8Array, at: number, word: string): boolean {
  if (at + word.length > bytes.length) return false;
  for (let k = 0; k < word.length; k++) if (bytes[at + k] !== word.charCodeAt(k)) return false;
  return true;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/**
 * Certifies lines of one region (whole lines of a file, in a buffer) as clean `messages` rows. Built once per region:
 * a word-at-a-time pass finds the lines holding a control character or a non-ASCII byte (never certified), and the
 * needles of the content checks are searched natively over the whole region. Strings are then skipped with native
 * searches for their closing quote; only strings with a backslash are walked byte by byte to check their escapes.
 * Lines must be asked about in order.
 */
export class RegionCertifier {
  /** Start offsets of lines that hold a control character, in order. */
  private readonly irregular: number[] = [];
  private irregularAt = 0;
  /** Offsets of the non-ASCII bytes that start runs of them, in order (one per line is enough to know it is not ASCII). */
  private readonly wideBytes: number[] = [];
  private wideAt = 0;
  private readonly needles: NeedleIndex;
  private nextBackslash = -2;

  constructor(private readonly region: Buffer) {
    this.needles = new NeedleIndex(region);
    this.findIrregularLines();
  }

  private findIrregularLines(): void {
    const bytes = this.region;
    const length = bytes.length;
    let i = 0;
    const flag = (at: number): void => {
      // Record the line and skip to its end: one control character is enough.
      let lineStart = at;
      while (lineStart > 0 && bytes[lineStart - 1] !== 0x0a) lineStart--;
      if (this.irregular[this.irregular.length - 1] !== lineStart) this.irregular.push(lineStart);
      const newline = bytes.indexOf(0x0a, at);
      i = newline < 0 ? length : newline + 1;
    };
    const isControl = (at: number): boolean => {
      const c = bytes[at]!;
      if (c >= 0x80 && (at === 0 || bytes[at - 1]! < 0x80)) this.wideBytes.push(at);
      if (c >= 0x20 || c === 0x0a) return false;
      // A '\r' ending the line is allowed; any other control character is not.
      return !(c === 0x0d && (at + 1 === length || bytes[at + 1] === 0x0a));
    };
    if (bytes.byteOffset % 4 === 0) {
      const words = new Uint32Array(bytes.buffer, bytes.byteOffset, length >>> 2);
      let previousWide = -8;
      while (i + 4 <= length) {
        const word = words[i >>> 2]!;
        // No byte below 0x20 in the word (exact: a borrow can only start at such a byte).
        if (((word - 0x20202020) & ~word & 0x80808080) === 0) {
          if ((word & 0x80808080) !== 0 && previousWide !== i - 4) {
            // Non-ASCII text, within one line (no line end in the word): note where a run of such words starts.
            let k = i;
            while (bytes[k]! < 0x80) k++;
            this.wideBytes.push(k);
          }
          if ((word & 0x80808080) !== 0) previousWide = i;
          i += 4;
          continue;
        }
        // A control byte (a line end, usually): look at the word byte by byte.
        const wordStart = i;
        let k = wordStart;
        while (k < wordStart + 4 && !isControl(k)) k++;
        if (k === wordStart + 4) {
          i = k;
          continue;
        }
        flag(k);
        // Realign on a word boundary, checking the bytes in between.
        while (i < length && i % 4 !== 0) {
          if (isControl(i)) flag(i);
          else i++;
        }
      }
    }
    while (i < length) {
      if (isControl(i)) flag(i);
      else i++;
    }
  }

  /** Whether the line starting at `start` is a clean `messages` row; on success `out` describes it. */
  certify(start: number, out: CertifiedRow): boolean {
    const bytes = this.region;
    const newline = bytes.indexOf(0x0a, start);
    const lineEnd = newline < 0 ? bytes.length : newline;
    while (this.irregularAt < this.irregular.length && this.irregular[this.irregularAt]! < start) this.irregularAt++;
    if (this.irregular[this.irregularAt] === start) return false;
    if (this.needles.within(start, lineEnd)) return false;
    while (this.wideAt < this.wideBytes.length && this.wideBytes[this.wideAt]! < start) this.wideAt++;
    const ascii = !(this.wideAt < this.wideBytes.length && this.wideBytes[this.wideAt]! < lineEnd);
    if (!this.parse(start, lineEnd, out, ascii)) return false;
    out.lineEnd = lineEnd;
    out.ascii = ascii;
    return true;
  }

  /** The index of the quote closing the string whose opening quote is at `open`, or -1 when it is not certifiable. */
  private closeString(open: number, limit: number): number {
    const bytes = this.region;
    const close = bytes.indexOf(quote, open + 1);
    if (close < 0 || close >= limit) return -1;
    if (this.nextBackslash !== -1 && this.nextBackslash <= open) this.nextBackslash = bytes.indexOf(backslash, open + 1);
    if (this.nextBackslash === -1 || this.nextBackslash > close) return close;
    // Escapes: walk the string, checking each.
    let i = open + 1;
    for (;;) {
      if (i >= limit) return -1;
      const c = bytes[i]!;
      if (c === quote) return i;
      if (c === backslash) {
        const next = bytes[i + 1];
        if (next === 0x75 /* u */) {
          if (!(isHex(bytes[i + 2] ?? 0) && isHex(bytes[i + 3] ?? 0) && isHex(bytes[i + 4] ?? 0) && isHex(bytes[i + 5] ?? 0))) return -1;
          i += 6;
        } else if (next === quote || next === backslash || next === 0x2f || next === 0x62 || next === 0x66 || next === 0x6e || next === 0x72 || next === 0x74) i += 2;
        else return -1;
        continue;
      }
      i++;
    }
  }

  /**
   * Whether the string between the quotes at `open` and `close` holds text String#trim would keep. Escapes of
   * whitespace (\n, \t, \r, \f) are blank; a string whose only text is \u escapes counts as blank (not judged here).
   */
  private hasText(open: number, close: number): boolean {
    const bytes = this.region;
    for (let i = open + 1; i < close; i++) {
      const c = bytes[i]!;
      if (c === 0x20) continue;
      if (c >= 0x80) {
        const [codePoint, size] = decodeUtf8(bytes, i);
        if (!isJsWhitespace(codePoint)) return true;
        i += size - 1;
        continue;
      }
      if (c !== backslash) return true;
      const next = bytes[i + 1];
      if (next === 0x6e || next === 0x74 || next === 0x72 || next === 0x66) {
        i++;
        continue;
      }
      if (next === 0x75) return false;
      return true;
    }
    return false;
  }

  private parse(start: number, limit: number, out: CertifiedRow, ascii: boolean): boolean {
    const bytes = this.region;
    let i = start;
    while (i < limit && isJsonSpace(bytes[i]!)) i++;
    if (bytes[i] !== 0x7b /* { */) return false;
    i++;
    while (i < limit && isJsonSpace(bytes[i]!)) i++;
    if (!bytesAre(bytes, i, '"messages"')) return false;
    i += 10;
    while (i < limit && isJsonSpace(bytes[i]!)) i++;
    if (bytes[i] !== 0x3a /* : */) return false;
    i++;
    while (i < limit && isJsonSpace(bytes[i]!)) i++;
    if (bytes[i] !== 0x5b /* [ */) return false;
    i++;
    let turns = 0;
    let seenNonSystem = false;
    let assistants = 0;
    let users = 0;
    let lastRole = 0;
    for (;;) {
      while (i < limit && isJsonSpace(bytes[i]!)) i++;
      if (bytes[i] !== 0x7b) return false; // An empty list, or a message that is not an object.
      i++;
      let role = 0;
      let contentOpen = -1;
      let contentClose = -1;
      for (;;) {
        while (i < limit && isJsonSpace(bytes[i]!)) i++;
        if (bytes[i] !== quote) return false;
        let isRole: boolean;
        if (bytesAre(bytes, i, '"role"')) {
          if (role !== 0) return false;
          isRole = true;
          i += 6;
        } else if (bytesAre(bytes, i, '"content"')) {
          if (contentOpen >= 0) return false;
          isRole = false;
          i += 9;
        } else return false;
        while (i < limit && isJsonSpace(bytes[i]!)) i++;
        if (bytes[i] !== 0x3a) return false;
        i++;
        while (i < limit && isJsonSpace(bytes[i]!)) i++;
        if (bytes[i] !== quote) return false;
        if (isRole) {
          if (bytesAre(bytes, i, '"assistant"')) [role, i] = [assistant, i + 11];
          else if (bytesAre(bytes, i, '"user"')) [role, i] = [user, i + 6];
          else if (bytesAre(bytes, i, '"system"')) [role, i] = [system, i + 8];
          else if (bytesAre(bytes, i, '"developer"')) [role, i] = [developer, i + 11];
          else return false;
        } else {
          const close = this.closeString(i, limit);
          if (close < 0) return false;
          contentOpen = i;
          contentClose = close;
          i = close + 1;
        }
        while (i < limit && isJsonSpace(bytes[i]!)) i++;
        const separator = bytes[i];
        i++;
        if (separator === 0x2c /* , */) continue;
        if (separator === 0x7d /* } */) break;
        return false;
      }
      if (role === 0 || contentOpen < 0) return false;
      if (role === system || role === developer) {
        if (seenNonSystem) return false;
      } else seenNonSystem = true;
      if (role === assistant) {
        if (!this.hasText(contentOpen, contentClose)) return false;
        assistants++;
      } else if (role === user) users++;
      lastRole = role;
      turns++;
      while (i < limit && isJsonSpace(bytes[i]!)) i++;
      const separator = bytes[i];
      i++;
      if (separator === 0x2c) continue;
      if (separator === 0x5d /* ] */) break;
      return false;
    }
    if (assistants === 0 || users === 0 || lastRole !== assistant) return false;
    while (i < limit && isJsonSpace(bytes[i]!)) i++;
    if (bytes[i] !== 0x7d) return false;
    i++;
    while (i < limit && isJsonSpace(bytes[i]!)) i++;
    if (i !== limit) return false;
    // The line's text excludes one final '\r' (as the full path strips it); other trailing spaces count.
    out.turns = turns;
    const end = limit > start && bytes[limit - 1] === 0x0d ? limit - 1 : limit;
    out.length = ascii ? end - start : utf16Length(bytes, start, end);
    return true;
  }
}

/** The code point of the (valid) UTF-8 sequence starting at `at`, and its length in bytes. */
function decodeUtf8(bytes: Uint8Array, at: number): [number, number] {
  const lead = bytes[at]!;
  if (lead < 0x80) return [lead, 1];
  if (lead < 0xe0) return [((lead & 0x1f) << 6) | (bytes[at + 1]! & 0x3f), 2];
  if (lead < 0xf0) return [((lead & 0x0f) << 12) | ((bytes[at + 1]! & 0x3f) << 6) | (bytes[at + 2]! & 0x3f), 3];
  return [((lead & 0x07) << 18) | ((bytes[at + 1]! & 0x3f) << 12) | ((bytes[at + 2]! & 0x3f) << 6) | (bytes[at + 3]! & 0x3f), 4];
}

/** What String#trim removes besides ASCII whitespace. */
function isJsWhitespace(codePoint: number): boolean {
  return (
    codePoint === 0xa0 ||
    codePoint === 0x1680 ||
    (codePoint >= 0x2000 && codePoint <= 0x200a) ||
    codePoint === 0x2028 ||
    codePoint === 0x2029 ||
    codePoint === 0x202f ||
    codePoint === 0x205f ||
    codePoint === 0x3000 ||
    codePoint === 0xfeff
  );
}

/** UTF-16 code units of valid UTF-8 bytes: one per sequence, two for a 4-byte one (a surrogate pair). */
function utf16Length(bytes: Uint8Array, start: number, end: number): number {
  let units = 0;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if ((c & 0xc0) !== 0x80) units += c >= 0xf0 ? 2 : 1;
  }
  return units;
}

function fold(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/**
 * `sampleKey` (fingerprint.ts) of a line given as valid UTF-8 bytes: the same value, without decoding the line. The
 * string version walks UTF-16 code units, so a character outside the BMP counts as its two surrogates, in order.
 */
export function sampleKeyOfUtf8Bytes(bytes: Buffer, start: number, end: number): number {
  let hash = 0x811c9dc5;
  let taken = 0;
  for (let i = start; i < end && taken < sampledEnds;) {
    const c = bytes[i]!;
    if (c < 0x80) {
      i++;
      if (c <= 32) continue;
      hash = mix(hash, fold(c));
      taken++;
      continue;
    }
    const [codePoint, size] = decodeUtf8(bytes, i);
    i += size;
    if (codePoint >= 0x10000) {
      hash = mix(hash, 0xd800 + ((codePoint - 0x10000) >> 10));
      taken++;
      if (taken >= sampledEnds) break;
      hash = mix(hash, 0xdc00 + ((codePoint - 0x10000) & 0x3ff));
    } else hash = mix(hash, codePoint);
    taken++;
  }
  taken = 0;
  for (let j = end - 1; j >= start && taken < sampledEnds;) {
    const c = bytes[j]!;
    if (c < 0x80) {
      j--;
      if (c <= 32) continue;
      hash = mix(hash, fold(c));
      taken++;
      continue;
    }
    let lead = j;
    while (lead > start && (bytes[lead]! & 0xc0) === 0x80) lead--;
    const [codePoint] = decodeUtf8(bytes, lead);
    j = lead - 1;
    if (codePoint >= 0x10000) {
      hash = mix(hash, 0xdc00 + ((codePoint - 0x10000) & 0x3ff));
      taken++;
      if (taken >= sampledEnds) break;
      hash = mix(hash, 0xd800 + ((codePoint - 0x10000) >> 10));
    } else hash = mix(hash, codePoint);
    taken++;
  }
  let at = end > start ? bytes.lastIndexOf(quote, end - 1) : -1;
  for (let quotes = 0; at >= start && quotes < sampledQuotes; quotes++, at = at > start ? bytes.lastIndexOf(quote, at - 1) : -1) {
    let k = at + 1;
    while (k < end && bytes[k]! <= 32) k++;
    let c = 0;
    if (k < end) {
      const [codePoint] = decodeUtf8(bytes, k);
      c = codePoint >= 0x10000 ? 0xd800 + ((codePoint - 0x10000) >> 10) : fold(codePoint);
    }
    hash = mix(hash, c);
  }
  hash = Math.imul(hash ^ (hash >>> 15), 0x2c1b3c6d);
  return (hash ^ (hash >>> 16)) >>> 0;
}

/**
 * Where the needles of the special-token and secret pre-filter occur in one region, found with native searches over
 * the whole region instead of one search per needle per line. Lines are asked about in order.
 */
export class NeedleIndex {
  private readonly next: number[];
  private readonly needles: Buffer[];

  constructor(private readonly region: Buffer) {
    this.needles = specialContentNeedles.map((needle) => Buffer.from(needle, 'latin1'));
    this.next = this.needles.map((needle) => region.indexOf(needle, 0));
  }

  /** Whether any needle starts within [start, end). `start` must not decrease between calls. */
  within(start: number, end: number): boolean {
    let hit = false;
    for (let n = 0; n < this.next.length; n++) {
      let at = this.next[n]!;
      if (at >= 0 && at < start) {
        at = this.region.indexOf(this.needles[n]!, start);
        this.next[n] = at;
      }
      if (at >= 0 && at < end) hit = true;
    }
    return hit;
  }
}
