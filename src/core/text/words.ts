/** Lower-cased word tokens: runs of letters and digits of any script. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Lower-cased words as keyword search sees them: letters, digits and `_`, so `max_tokens` stays one word. */
export function searchWords(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? [];
}
