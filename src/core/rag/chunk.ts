import { type ChunkLocation } from '../../shared/ragProtocol';

/** One retrievable passage of a document. */
export interface Chunk extends ChunkLocation {
  /** Stable id: a hash of the document path, heading path and text, so unchanged passages keep their id. */
  id: string;
  /** Hash of the text that is embedded (context + text): the key of its cached embedding. */
  contentHash: string;
  /** The passage as written in the source. */
  text: string;
  /** What is embedded and indexed: the heading path as context, then the passage. */
  embedText: string;
  /** Tokens of `embedText`, in the budget's tokens (the embedding model's, or the stated approximation). */
  tokens: number;
}

/** Counts tokens for chunk budgets: the embedding model's tokenizer, or an approximation when there is no model. */
export interface TokenCounter {
  readonly exact: boolean;
  readonly description: string;
  count(text: string): number;
}

/**
 * The approximation used without a model. WordPiece/BPE tokenizers of English embedding models produce about one token
 * per word piece: we count runs of letters/digits as ceil(length / 6) tokens and each punctuation mark as one. Over the
 * rclone docs this comes to 0.97x of bert-base-uncased's WordPiece count (bench/rag/quality.ts prints the ratio).
 */
export const approximateTokenCounter: TokenCounter = {
  exact: false,
  description: 'approximate (word pieces of up to 6 characters, punctuation 1 each)',
  count(text: string): number {
    let tokens = 0;
    const pattern = /[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu;
    for (const match of text.matchAll(pattern)) {
      const word = match[0];
      tokens += /^[\p{L}\p{N}_]/u.test(word) ? Math.ceil(word.length / 6) : 1;
    }
    return tokens;
  },
};

export interface ChunkBudget {
  /** Largest chunk, in tokens (including the heading context). */
  maxTokens: number;
  /** Tokens repeated from the end of one chunk at the start of the next when a section is split. */
  overlapTokens: number;
  counter: TokenCounter;
}
