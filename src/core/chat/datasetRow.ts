import { type Conversation } from './chatTypes';
import { validateDatasetText, type DatasetFinding } from '../datasets/validateDataset';
import { type ChatRole, type ChatTurn } from '../text/chatTurn';
import { findAssistant, historyBefore } from './conversation';

export interface DatasetRow {
  messages: ChatTurn<ChatRole>[];
}

/**
 * The exchange that led to an answer, as a fine-tuning row in the `messages` format: the template's system prompt
 * (without the retrieved passages, which belong to this one question), the conversation up to the question, and
 * the answer — or the user's edited version of it.
 */
export function exchangeToDatasetRow(conversation: Conversation, answerId: string, editedAnswer?: string): DatasetRow {
  const answer = findAssistant(conversation, answerId);
  if (!answer) throw new Error('That answer is no longer in the conversation.');
  const content = (editedAnswer ?? answer.content).trim();
  if (content.length === 0) throw new Error('The answer is empty: write the answer the model should have given, then add it.');
  const history = historyBefore(conversation, answerId);
  if (!history.some((t) => t.role === 'user')) throw new Error('The answer has no question before it.');
  const system = answer.input?.systemPrompt?.trim();
  return {
    messages: [...(system ? [{ role: 'system' as const, content: system }] : []), ...history, { role: 'assistant', content }],
  };
}

/**
 * The text to append to a JSONL file so the row becomes its last line: a newline first when the file does not end
 * with one, so the row never joins the previous line.
 */
export function rowAppendText(existing: string, row: DatasetRow): string {
  const separator = existing.length > 0 && !existing.endsWith('\n') ? (existing.includes('\r\n') ? '\r\n' : '\n') : '';
  const newline = existing.includes('\r\n') ? '\r\n' : '\n';
  return `${separator}${JSON.stringify(row)}${newline}`;
}

/** Findings about the whole file, which the validator happens to place on a row. */
const fileLevelCodes = new Set<string>(['too-few-rows', 'mixed-formats', 'split-overlap', 'bom', 'blank-line', 'truncated-last-line', 'invalid-utf8']);

export interface AppendCheck {
  /** Zero-based line the row will be on. */
  line: number;
  errors: DatasetFinding[];
  warnings: DatasetFinding[];
}

/**
 * Validates the row as the dataset validator sees it in its file (so duplicates of earlier rows are caught too),
 * keeping only the findings on the new row: file-level remarks (too few rows…) are not about this row.
 */
export function checkAppendedRow(existing: string, appendText: string): AppendCheck {
  const text = existing + appendText;
  const line = (existing + appendText.replace(/\r?\n$/, '')).split(/\r\n|\n|\r/).length - 1;
  const findings = validateDatasetText(text, { format: 'messages', trainingData: true }).filter((f) => f.range.start.line === line && !fileLevelCodes.has(f.code));
  return { line, errors: findings.filter((f) => f.severity === 'error'), warnings: findings.filter((f) => f.severity === 'warning') };
}
