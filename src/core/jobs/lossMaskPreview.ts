import { type ChatTurn } from '../text/chatTurn';
import { renderChat, type TrainingModel } from './trainingModel';

/**
 * Which tokens a fine-tuning job trains on, computed in TypeScript exactly as `python/chatwright_train/masking.py`
 * does (a unit test holds both to the labels the real trainer produced on a GPU): chat rows train on each assistant
 * turn and the end-of-turn special token after it, prompt/completion rows on the completion and EOS, text rows on
 * everything. Works without Python, so the job page and preflight can show it before anything is installed.
 */

export type RowFormat = 'messages' | 'prompt_completion' | 'text';

export interface LabelledExample {
  /** `file:line`, as the trainer names rows. */
  source: string;
  inputIds: number[];
  /** 1 where the token is a training target, as the trainer's `labels != -100`. */
  lossMask: (0 | 1)[];
  /** Each token's text, contiguous: joined, they give the rendered example. */
  pieces: string[];
  /** Assistant turns with no end-of-turn token after them (the model would not learn to stop). */
  missingEndOfTurn: number;
  /** Tokens before truncation to `max_seq_length`. */
  fullLength: number;
}

/** A row whose tokens cannot be labelled: a template that rewrites earlier turns, or a malformed row. Located. */
export class LossMaskError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LossMaskError';
  }
}

export function detectRowFormat(value: unknown): RowFormat | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  if ('messages' in value) return 'messages';
  if ('prompt' in value || 'completion' in value) return 'prompt_completion';
  if ('text' in value) return 'text';
  return undefined;
}

function messageList(value: unknown, where: string, field: string): ChatTurn[] {
  if (!Array.isArray(value) || value.length === 0) throw new LossMaskError(`${where}: ${field}: must be a non-empty list of {role, content} objects`);
  return value.map((message: unknown, index) => {
    const { role, content } = (typeof message === 'object' && message !== null ? message : {}) as { role?: unknown; content?: unknown };
    if (typeof role !== 'string' || typeof content !== 'string') throw new LossMaskError(`${where}: ${field}[${index}]: must be an object with a string role and content`);
    return { role, content };
  });
}

/** Length of the special token at `position` (the longest that matches), else 0: masking.py's `_end_of_turn_length`. */
function endOfTurnLength(text: string, position: number, specials: readonly string[]): number {
  let best = 0;
  for (const token of specials) if (token && token.length > best && text.startsWith(token, position)) best = token.length;
  return best;
}

function render(model: TrainingModel, messages: readonly ChatTurn[], generationPrompt: boolean, where: string): string {
  let text: string | undefined;
  try {
    text = renderChat(model, messages, generationPrompt);
  } catch (error) {
    // A template that refuses a conversation (`raise_exception`) or runs out of its budget fails this row, located.
    throw new LossMaskError(`${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (text === undefined) throw new LossMaskError(`${where}: the model has no chat template: set data.chat_template in the job file, or convert the data to prompt/completion or text`);
  return text;
}

/** masking.py's `assistant_spans`: the rendered conversation and the [start, end) spans to train on. */
export function assistantSpans(model: TrainingModel, messages: readonly ChatTurn[], where: string, firstTrainedTurn = 0): { full: string; spans: [number, number][]; missingEndOfTurn: number } {
  const full = render(model, messages, false, where);
  const specials = [...new Set([...model.specialTokens, ...(model.eosToken ? [model.eosToken] : [])])];
  const spans: [number, number][] = [];
  let missingEndOfTurn = 0;
  let cursor = 0;
  messages.forEach((message, index) => {
    if (message.role !== 'assistant' || index < firstTrainedTurn) return;
    const prompt = index > 0 ? render(model, messages.slice(0, index), true, where) : '';
    if (!full.startsWith(prompt))
      throw new LossMaskError(`${where}: messages[${index}]: the chat template renders the conversation before this reply differently when more turns follow, so the reply's position cannot be found`);
    const start = Math.max(prompt.length, cursor);
    let content = message.content;
    let found = full.indexOf(content, start);
    if (found < 0) {
      // Templates commonly trim replies (`content | trim`).
      content = content.trim();
      found = content ? full.indexOf(content, start) : -1;
    }
    if (found < 0) throw new LossMaskError(`${where}: messages[${index}].content: the chat template changes the reply's text, so its tokens cannot be located`);
    let end = found + content.length;
    let eot = endOfTurnLength(full, end, specials);
    if (eot === 0 && end < full.length) {
      // Some templates put spaces or newlines between the reply and the end-of-turn token.
      const stripped = end + (/^[ \n]*/.exec(full.slice(end))?.[0].length ?? 0);
      eot = endOfTurnLength(full, stripped, specials);
      if (eot) end = stripped;
    }
    if (eot === 0) missingEndOfTurn++;
    spans.push([start, end + eot]);
    cursor = end + eot;
  });
  return { full, spans, missingEndOfTurn };
}

/** GPT-2's byte ↔ printable-character table, used by every byte-level BPE tokenizer (Qwen, Llama 3, Mistral Nemo…). */
const byteOfChar: Map<string, number> = (() => {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const map = new Map<string, number>();
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    if (printable.includes(b)) map.set(String.fromCharCode(b), b);
    else map.set(String.fromCharCode(256 + extra++), b);
  }
  return map;
})();

type PieceDecoder = (token: string) => Uint8Array | undefined;

/** How a vocabulary entry maps back to bytes of the text, read from tokenizer.json's decoder. */
function pieceDecoder(model: TrainingModel): PieceDecoder {
  const decoder = JSON.stringify((model.folder.tokenizerJson as { decoder?: unknown }).decoder ?? null);
  const encoder = new TextEncoder();
  if (decoder.includes('"ByteLevel"')) {
    return (token) => {
      const bytes: number[] = [];
      for (const char of token) {
        const byte = byteOfChar.get(char);
        if (byte === undefined) return undefined;
        bytes.push(byte);
      }
      return Uint8Array.from(bytes);
    };
  }
  if (decoder.includes('▁') || decoder.includes('"Metaspace"') || decoder.includes('"ByteFallback"')) {
    // SentencePiece-style: ▁ stands for a space, <0xNN> for a raw byte.
    return (token) => {
      const byte = /^<0x([0-9A-Fa-f]{2})>$/.exec(token);
      return byte ? Uint8Array.of(parseInt(byte[1]!, 16)) : encoder.encode(token.replace(/▁/g, ' '));
    };
  }
  throw new LossMaskError(`${model.folder.dir}/tokenizer.json: the loss-mask preview supports byte-level BPE and SentencePiece tokenizers; this one's decoder is ${decoder.slice(0, 80)}`);
}

/**
 * Token ids of `text` with each token's [start, end) in the text (UTF-16 units), as the trainer gets them from a fast
 * tokenizer's `return_offsets_mapping`. The JS tokenizer has no offsets, so each token's bytes are laid back onto the
 * text's UTF-8 bytes; a tokenizer that changes the text first (a normalizer rewriting it) is said, not guessed at.
 */
export function encodeWithOffsets(model: TrainingModel, text: string, where: string, addSpecialTokens = false): { ids: number[]; offsets: [number, number][] } {
  const { tokenizer } = model;
  const ids = tokenizer.encode(text, { add_special_tokens: addSpecialTokens }).ids;
  const added = tokenizer.get_added_tokens_decoder();
  const decode = pieceDecoder(model);
  const encoder = new TextEncoder();
  const textBytes = encoder.encode(text);
  // UTF-16 index of every byte's character, so byte positions become the text's positions.
  const charAt = new Int32Array(textBytes.length + 1);
  let byte = 0;
  let unit = 0;
  for (const char of text) {
    const size = encoder.encode(char).length;
    for (let k = 0; k < size; k++) charAt[byte + k] = unit;
    byte += size;
    unit += char.length;
  }
  charAt[textBytes.length] = unit;
  const offsets: [number, number][] = [];
  let cursor = 0;
  for (const id of ids) {
    const addedToken = added.get(id);
    let bytes = addedToken ? encoder.encode(addedToken.content) : decode(tokenizer.id_to_token(id) ?? '');
    if (bytes === undefined) throw new LossMaskError(`${where}: token ${id} cannot be mapped back to the text`);
    const matches = (candidate: Uint8Array): boolean => candidate.every((value, k) => textBytes[cursor + k] === value);
    // SentencePiece adds a space before the first word that the text does not have.
    if (!matches(bytes) && bytes[0] === 0x20 && matches(bytes.subarray(1))) bytes = bytes.subarray(1);
    if (!matches(bytes)) {
      if (addSpecialTokens && addedToken && cursor === 0) {
        // A BOS the tokenizer put before the text covers none of it.
        offsets.push([0, 0]);
        continue;
      }
      throw new LossMaskError(`${where}: the tokenizer changes this text before splitting it (normalization), so its tokens cannot be placed on the text at byte ${cursor}`);
    }
    offsets.push([charAt[cursor]!, charAt[cursor + bytes.length]!]);
    cursor += bytes.length;
  }
  if (cursor !== textBytes.length) throw new LossMaskError(`${where}: the tokens cover ${cursor} of the text's ${textBytes.length} bytes`);
  return { ids, offsets };
}

/** masking.py's `label_spans`: a token is trained when it starts inside a span. */
export function labelSpans(offsets: readonly [number, number][], spans: readonly [number, number][]): (0 | 1)[] {
  const mask: (0 | 1)[] = new Array<0 | 1>(offsets.length).fill(0);
  let spanIndex = 0;
  offsets.forEach(([start, end], position) => {
    if (end <= start) return;
    while (spanIndex < spans.length && spans[spanIndex]![1] <= start) spanIndex++;
    if (spanIndex < spans.length && spans[spanIndex]![0] <= start && start < spans[spanIndex]![1]) mask[position] = 1;
  });
  return mask;
}

/** Each token's text: from its start to the next token's start, so nothing between tokens is lost in the preview. */
function piecesOf(text: string, offsets: readonly [number, number][]): string[] {
  return offsets.map(([start], index) => {
    const next = offsets.slice(index + 1).find(([s, e]) => e > s)?.[0] ?? text.length;
    return offsets[index]![1] <= start ? '' : text.slice(start, Math.max(next, offsets[index]![1]));
  });
}

interface Untruncated {
  ids: number[];
  mask: (0 | 1)[];
  pieces: string[];
  missingEndOfTurn: number;
}

function labelChat(model: TrainingModel, messages: ChatTurn[], where: string, firstTrainedTurn: number): Untruncated {
  const { full, spans, missingEndOfTurn } = assistantSpans(model, messages, where, firstTrainedTurn);
  const { ids, offsets } = encodeWithOffsets(model, full, where);
  return { ids, mask: labelSpans(offsets, spans), pieces: piecesOf(full, offsets), missingEndOfTurn };
}

/** masking.py's `convert_row`: one row to ids and mask, before the length policy. */
function labelRow(model: TrainingModel, value: unknown, format: RowFormat, where: string): Untruncated {
  const row = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (format === 'messages') return labelChat(model, messageList(row.messages, where, 'messages'), where, 0);
  const eos = model.eosId;
  if (format === 'prompt_completion') {
    const { prompt, completion } = row;
    if (Array.isArray(prompt)) {
      const promptMessages = messageList(prompt, where, 'prompt');
      return labelChat(model, [...promptMessages, ...messageList(completion, where, 'completion')], where, promptMessages.length);
    }
    if (typeof prompt !== 'string' || typeof completion !== 'string') throw new LossMaskError(`${where}: prompt and completion must be strings (or lists of messages)`);
    const promptPart = prompt ? encodeWithOffsets(model, prompt, where) : { ids: [], offsets: [] };
    const completionPart = encodeWithOffsets(model, completion, where);
    const tail = eos !== undefined && completionPart.ids[completionPart.ids.length - 1] !== eos ? [eos] : [];
    return {
      ids: [...promptPart.ids, ...completionPart.ids, ...tail],
      mask: [...promptPart.ids.map(() => 0 as const), ...completionPart.ids.map(() => 1 as const), ...tail.map(() => 1 as const)],
      pieces: [...piecesOf(prompt, promptPart.offsets), ...piecesOf(completion, completionPart.offsets), ...tail.map(() => model.eosToken ?? '')],
      missingEndOfTurn: eos === undefined ? 1 : 0,
    };
  }
  const text = row.text;
  if (typeof text !== 'string') throw new LossMaskError(`${where}: text: must be a string`);
  const { ids, offsets } = encodeWithOffsets(model, text, where, true);
  const pieces = piecesOf(text, offsets).map((piece, index) => (offsets[index]![1] <= offsets[index]![0] ? (model.tokenizer.id_to_token(ids[index]!) ?? '') : piece));
  if (eos !== undefined && ids[ids.length - 1] !== eos) {
    ids.push(eos);
    pieces.push(model.eosToken ?? '');
  }
  return { ids, mask: ids.map(() => 1 as const), pieces, missingEndOfTurn: eos === undefined ? 1 : 0 };
}

export interface LabelOptions {
  maxSeqLength: number;
  overlong: 'truncate' | 'drop';
}

/**
 * One row as the trainer will see it: truncated to `max_seq_length` (or undefined when `overlong` is drop and it is
 * too long), the first token never a target. Throws LossMaskError (located) when the row cannot be labelled.
 */
export function labelExample(model: TrainingModel, value: unknown, format: RowFormat, source: string, options: LabelOptions): LabelledExample | undefined {
  const row = labelRow(model, value, format, source);
  const fullLength = row.ids.length;
  if (fullLength > options.maxSeqLength && options.overlong === 'drop') return undefined;
  const keep = Math.min(fullLength, options.maxSeqLength);
  const lossMask = row.mask.slice(0, keep);
  // Nothing precedes the first token to predict it from.
  if (lossMask.length > 0) lossMask[0] = 0;
  return { source, inputIds: row.ids.slice(0, keep), lossMask, pieces: row.pieces.slice(0, keep), missingEndOfTurn: row.missingEndOfTurn, fullLength };
}

export interface PreviewSegment {
  text: string;
  trained: boolean;
}

/** The example as runs of text that are trained or not, for the job page to highlight. */
export function previewSegments(example: LabelledExample): PreviewSegment[] {
  const segments: PreviewSegment[] = [];
  example.pieces.forEach((piece, index) => {
    const trained = example.lossMask[index] === 1;
    const last = segments[segments.length - 1];
    if (last && last.trained === trained) last.text += piece;
    else segments.push({ text: piece, trained });
  });
  return segments.filter((segment) => segment.text.length > 0);
}
