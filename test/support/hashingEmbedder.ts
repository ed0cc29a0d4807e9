import { createHash } from 'node:crypto';
import { type EmbeddingRole, type TextEmbedder } from '../../src/core/inference/embedding';

/**
 * A deterministic stand-in embedder for plumbing tests: a hashed bag of words, L2-normalised. Texts sharing words get
 * similar vectors, so vector search behaves plausibly; it says nothing about a real model's quality.
 */
export class HashingEmbedder implements TextEmbedder {
  readonly maxTokens = 512;
  calls = 0;
  embeddedTexts = 0;
  readonly roles: EmbeddingRole[] = [];

  constructor(
    readonly modelKey = 'test/hashing@1',
    readonly dimensions = 64,
  ) {}

  embed(texts: readonly string[], role: EmbeddingRole): Promise<Float32Array[]> {
    this.calls++;
    this.embeddedTexts += texts.length;
    this.roles.push(role);
    return Promise.resolve(texts.map((text) => this.vector(text)));
  }

  countTokens(text: string): number {
    return text.split(/\s+/).filter(Boolean).length;
  }

  private vector(text: string): Float32Array {
    const vector = new Float32Array(this.dimensions);
    for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
      const digest = createHash('md5').update(`${this.modelKey}:${word}`).digest();
      const slot = digest.readUInt16LE(0) % this.dimensions;
      vector[slot] = (vector[slot] ?? 0) + ((digest[2] ?? 0) & 1 ? 1 : -1);
    }
    let norm = 0;
    for (const value of vector) norm += value * value;
    norm = Math.sqrt(norm) || 1;
    return vector.map((value) => value / norm);
  }
}
