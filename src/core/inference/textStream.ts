/** The subset of a tokenizer that streaming needs. */
export interface Detokenizer {
  decode(ids: number[], options?: { skip_special_tokens?: boolean }): string;
}

/**
 * Turns token ids into text deltas as they arrive without ever emitting a broken character: a byte-level token may
 * hold half of a UTF-8 sequence, and decoders drop leading spaces at the start of a decode. So each step decodes a
 * short window with one token of context before it and emits only what that context did not already show, and holds
 * text back while it ends in U+FFFD (an incomplete sequence). The incremental scheme of text-generation-inference.
 */
export class StreamingDetokenizer {
  private readonly ids: number[] = [];
  private prefixOffset = 0;
  private readOffset = 0;

  constructor(private readonly tokenizer: Detokenizer) {}

  private decode(ids: number[]): string {
    return ids.length === 0 ? '' : this.tokenizer.decode(ids, { skip_special_tokens: true });
  }

  push(id: number): string {
    this.ids.push(id);
    const prefixText = this.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const newText = this.decode(this.ids.slice(this.prefixOffset));
    if (newText.length > prefixText.length && !newText.endsWith('\uFFFD')) {
      const delta = newText.slice(prefixText.length);
      this.prefixOffset = this.readOffset;
      this.readOffset = this.ids.length;
      return delta;
    }
    return '';
  }

  /** What is still held back (at the end of generation: an incomplete sequence decodes to U+FFFD). */
  flush(): string {
    const prefixText = this.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const newText = this.decode(this.ids.slice(this.prefixOffset));
    this.prefixOffset = this.readOffset = this.ids.length;
    return newText.length > prefixText.length ? newText.slice(prefixText.length) : '';
  }
}

/**
 * Finds stop strings in streamed text, also when one spans several tokens: text that could still become a stop
 * string is held back until it either completes one (generation ends before it) or cannot any more (it is released).
 */
export class StopStringMatcher {
  private pending = '';
  private readonly stops: string[];

  constructor(stops: readonly string[]) {
    this.stops = stops.filter((stop) => stop.length > 0);
  }

  /** Returns the text safe to emit, and whether a stop string has been reached (then nothing more may be emitted). */
  push(delta: string): { text: string; stopped: boolean; stop?: string } {
    const text = this.pending + delta;
    let earliest = -1;
    let found: string | undefined;
    for (const stop of this.stops) {
      const at = text.indexOf(stop);
      if (at >= 0 && (earliest < 0 || at < earliest)) {
        earliest = at;
        found = stop;
      }
    }
    if (found !== undefined) {
      this.pending = '';
      return { text: text.slice(0, earliest), stopped: true, stop: found };
    }
    const hold = this.longestPartialStop(text);
    this.pending = text.slice(text.length - hold);
    return { text: text.slice(0, text.length - hold), stopped: false };
  }

  flush(): string {
    const text = this.pending;
    this.pending = '';
    return text;
  }

  private longestPartialStop(text: string): number {
    let longest = 0;
    for (const stop of this.stops) {
      for (let length = Math.min(stop.length - 1, text.length); length > longest; length--) {
        if (text.endsWith(stop.slice(0, length))) {
          longest = length;
          break;
        }
      }
    }
    // Never split a surrogate pair between what is emitted and what is held.
    const cut = text.length - longest;
    if (longest > 0 && cut > 0 && /[\uD800-\uDBFF]/.test(text[cut - 1]!)) longest++;
    return longest;
  }
}
