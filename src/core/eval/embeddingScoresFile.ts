/**
 * The scores that need the embedding model, kept from the last run that had it: `<outputDir>/embedding-scores.jsonl`,
 * one JSON object a line naming the answer (its strategy and question keys and a hash of its text and reference), the
 * embedding model, and the answer's `embedding_similarity`, `faithfulness` and `citation_accuracy` as that run scored
 * them. Rebuilding only the report (grading an answer, `chatwright eval --report-only`) embeds nothing: it takes these
 * scores for the answers they were computed for. Reading is bounded and tolerant (a torn or foreign line is skipped);
 * writing replaces the whole file at once (a temporary file renamed over it).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMissingFileError, readBoundedTextSync } from '../files/boundedRead';
import { answerId, type AnswerScores, type EvalAnswer, type EvalQuestion } from './evalTypes';

export const embeddingScoresFileName = 'embedding-scores.jsonl';

/** The metrics whose value depends on the embedding model's vectors (the others are recomputed from the text alone). */
export const embeddingMetrics = ['embedding_similarity', 'faithfulness', 'citation_accuracy'] as const;
type EmbeddingMetric = (typeof embeddingMetrics)[number];
type EmbeddingScores = Partial<Record<EmbeddingMetric, number>>;

/** A line is ~200 bytes: far above any comparison's answers. */
const maxFileBytes = 64 << 20;

interface EmbeddingScoresLine {
  strategyKey: string;
  questionKey: string;
  textHash: string;
  model: string;
  scores: EmbeddingScores;
}

/** Which text was scored: the answer's content and the reference it was compared with. */
function textHashOf(answer: EvalAnswer, question: EvalQuestion): string {
  return createHash('sha256').update(answer.content).update('\u0000').update(question.reference).digest('hex').slice(0, 32);
}

function entryKey(strategyKey: string, questionKey: string, textHash: string): string {
  return `${strategyKey}\u0000${questionKey}\u0000${textHash}`;
}

function parseLine(line: string): EmbeddingScoresLine | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const fields = value as Record<string, unknown>;
  const { strategyKey, questionKey, textHash, model, scores } = fields;
  if (typeof strategyKey !== 'string' || typeof questionKey !== 'string' || typeof textHash !== 'string' || typeof model !== 'string') return undefined;
  if (typeof scores !== 'object' || scores === null) return undefined;
  const checked: EmbeddingScores = {};
  for (const metric of embeddingMetrics) {
    const score = (scores as Record<string, unknown>)[metric];
    if (typeof score === 'number' && Number.isFinite(score)) checked[metric] = score;
  }
  return { strategyKey, questionKey, textHash, model, scores: checked };
}

/** The kept lines of one embedding model, by answer; a missing file is none. */
function readLines(outputDir: string, model: string): Map<string, EmbeddingScoresLine> {
  let text: string;
  try {
    text = readBoundedTextSync(join(outputDir, embeddingScoresFileName), { kind: 'document', maxBytes: maxFileBytes });
  } catch (error) {
    if (isMissingFileError(error)) return new Map();
    throw error;
  }
  const lines = new Map<string, EmbeddingScoresLine>();
  for (const line of text.split('\n')) {
    const parsed = parseLine(line);
    if (parsed && parsed.model === model) lines.set(entryKey(parsed.strategyKey, parsed.questionKey, parsed.textHash), parsed);
  }
  return lines;
}

/**
 * Keeps the embedding scores of `answers` (scored with `model`) next to those kept for other answers of the same
 * model; lines of another model are dropped (they can never apply again to a comparison that names this one).
 */
export function keepEmbeddingScores(outputDir: string, model: string, questions: readonly EvalQuestion[], answers: readonly EvalAnswer[], scores: ReadonlyMap<string, AnswerScores>): void {
  const lines = readLines(outputDir, model);
  const questionsById = new Map(questions.map((question) => [question.id, question]));
  for (const answer of answers) {
    const question = questionsById.get(answer.questionId);
    const answerScores = scores.get(answerId(answer.strategy, answer.questionId));
    if (!question || !answerScores || answer.status !== 'done') continue;
    const kept: EmbeddingScores = {};
    for (const metric of embeddingMetrics) if (answerScores[metric] !== undefined) kept[metric] = answerScores[metric];
    const textHash = textHashOf(answer, question);
    lines.set(entryKey(answer.strategyKey, answer.questionKey, textHash), { strategyKey: answer.strategyKey, questionKey: answer.questionKey, textHash, model, scores: kept });
  }
  mkdirSync(outputDir, { recursive: true });
  const file = join(outputDir, embeddingScoresFileName);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, [...lines.values()].map((line) => `${JSON.stringify(line)}\n`).join(''));
  renameSync(temporary, file);
}

/**
 * Puts the kept embedding scores of `model` into `scores` (in place) for every answer they were computed for: the
 * embedding metrics of such an answer are the kept ones. Returns how many scored answers had none kept.
 */
export function applyKeptEmbeddingScores(outputDir: string, model: string, questions: readonly EvalQuestion[], answers: readonly EvalAnswer[], scores: Map<string, AnswerScores>): number {
  const lines = readLines(outputDir, model);
  const questionsById = new Map(questions.map((question) => [question.id, question]));
  let missing = 0;
  for (const answer of answers) {
    const question = questionsById.get(answer.questionId);
    const id = answerId(answer.strategy, answer.questionId);
    const answerScores = scores.get(id);
    if (!question || !answerScores || answer.status !== 'done') continue;
    const kept = lines.get(entryKey(answer.strategyKey, answer.questionKey, textHashOf(answer, question)));
    if (!kept) {
      missing++;
      continue;
    }
    const merged: AnswerScores = { ...answerScores };
    for (const metric of embeddingMetrics) {
      if (kept.scores[metric] !== undefined) merged[metric] = kept.scores[metric];
      else delete merged[metric];
    }
    scores.set(id, merged);
  }
  return missing;
}
