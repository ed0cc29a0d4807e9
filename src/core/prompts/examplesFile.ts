import { validateDatasetText } from '../datasets/validateDataset';
import { type ChatTurn } from '../text/chatTurn';
import { splitLines } from '../text/lineIndex';
import { type FewShotExample } from './fewShotSelection';

export interface ExamplesProblem {
  line: number;
  severity: 'error' | 'warning';
  code: string;
  message: string;
}

/**
 * Reads a few-shot examples file: JSONL rows of `{"messages": [...]}`, the fine-tuning format, so one file can serve
 * both. The rows are checked by the dataset validator (`validateDatasetText`, the same checks as for training data,
 * with the `messages` format required and the row-count minimum off); the usable rows become examples.
 */
export function readExamplesText(text: string): { examples: FewShotExample[]; problems: ExamplesProblem[] } {
  const problems: ExamplesProblem[] = validateDatasetText(text, { format: 'messages', minRows: 0, trainingData: true, checkDuplicates: true })
    .filter((finding) => finding.severity !== 'information')
    .map((finding) => ({ line: finding.range.start.line, severity: finding.severity === 'error' ? 'error' : 'warning', code: finding.code, message: finding.message }));
  const badLines = new Set(problems.filter((p) => p.severity === 'error').map((p) => p.line));
  const examples: FewShotExample[] = [];
  splitLines(text).forEach((line, index) => {
    if (!line.trim() || badLines.has(index)) return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      return;
    }
    const messages = (row as { messages?: unknown } | null)?.messages;
    if (!Array.isArray(messages)) return;
    const parsed: ChatTurn[] = [];
    for (const message of messages as unknown[]) {
      const role = (message as { role?: unknown } | null)?.role;
      const content = contentText((message as { content?: unknown } | null)?.content);
      if (typeof role !== 'string' || (content === undefined && role !== 'assistant')) return;
      parsed.push({ role, content: content ?? '' });
    }
    examples.push({ line: index, messages: parsed });
  });
  return { examples, problems };
}

/** Message content as text: a string, or the text parts of a content list (`text` or LLaMA-Factory's `value`). */
function contentText(content: unknown): string | undefined {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    const parts = content.map((part) => (part && typeof part === 'object' ? ((part as { text?: unknown; value?: unknown }).text ?? (part as { value?: unknown }).value) : undefined));
    if (parts.every((part) => typeof part === 'string')) return parts.join('');
  }
  return undefined;
}
