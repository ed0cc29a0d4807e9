/**
 * The fine-tuning row formats Chatwright recognises, and how a row is classified. The shapes follow OpenAI's chat
 * fine-tuning format, TRL's dataset formats, Axolotl's dataset types and the Alpaca and ShareGPT conventions.
 */
export const datasetFormats = {
  messages: 'OpenAI chat (messages)',
  'prompt-completion': 'TRL prompt/completion',
  'conversational-prompt-completion': 'TRL conversational prompt/completion',
  text: 'language modelling (text)',
  preference: 'preference (chosen/rejected)',
  'unpaired-preference': 'unpaired preference (prompt/completion/label)',
  alpaca: 'Alpaca (instruction/input/output)',
  sharegpt: 'ShareGPT (conversations)',
  segments: 'Axolotl segments',
  eval: 'eval set (question/answer)',
} as const;

export type DatasetFormat = keyof typeof datasetFormats;

export function isDatasetFormat(value: string): value is DatasetFormat {
  return Object.prototype.hasOwnProperty.call(datasetFormats, value);
}

/** Keys that carry bookkeeping, not training content, and may sit beside any format. */
const metadataKeys = new Set([
  'id',
  'idx',
  'index',
  'uid',
  'uuid',
  'source',
  'meta',
  'metadata',
  'url',
  'timestamp',
  'created_at',
  'date',
  'title',
  'split',
  'lang',
  'language',
  'category',
  'tags',
  'dataset',
  'subset',
  'domain',
  'license',
  'score',
  'quality',
  'length',
  'num_tokens',
  'token_count',
  'system',
]);

function isChatList(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'object' && item !== null && !Array.isArray(item) && 'role' in item);
}

/**
 * The format one parsed row is in, or undefined when it looks like no training format (a log line, other data).
 * Decided from the keys alone, so a row with wrong values still classifies and gets precise findings.
 */
export function detectRowFormat(row: Record<string, unknown>): DatasetFormat | undefined {
  if ('messages' in row) return 'messages';
  if ('conversations' in row && !('chosen' in row)) return 'sharegpt';
  if ('chosen' in row && 'rejected' in row) return 'preference';
  if ('instruction' in row && 'output' in row) return 'alpaca';
  if ('segments' in row) return 'segments';
  if ('prompt' in row && 'completion' in row) {
    if ('label' in row) return 'unpaired-preference';
    return isChatList(row.prompt) || isChatList(row.completion) ? 'conversational-prompt-completion' : 'prompt-completion';
  }
  // An eval set's row: a question with its reference answer. `query`/`input` are not taken for `question`: retrieval
  // datasets use `query` with other meanings, and Alpaca's `input` is not the question.
  if ('question' in row && !('text' in row)) return 'eval';
  if ('text' in row) {
    // A bare `text` key is common in logs too: it counts only when nothing but bookkeeping sits beside it.
    for (const key in row) if (key !== 'text' && !metadataKeys.has(key)) return undefined;
    return 'text';
  }
  return undefined;
}

/** The keys a row must have in a format, said in a fix message. */
export const requiredKeysHint: Record<DatasetFormat, string> = {
  messages: 'a `messages` list of {role, content}',
  'prompt-completion': '`prompt` and `completion` strings',
  'conversational-prompt-completion': '`prompt` and `completion` lists of {role, content}',
  text: 'a `text` string',
  preference: '`chosen` and `rejected` (and optionally `prompt`)',
  'unpaired-preference': '`prompt`, `completion` and a boolean `label`',
  alpaca: '`instruction`, `input` and `output` strings',
  sharegpt: 'a `conversations` list of {from, value}',
  segments: 'a `segments` list of {text, label}',
  eval: '`question` and `answer` (or `reference`) strings, and optionally `sources` (a list of paths)',
};
