import { type TextRange } from '../text/lineIndex';

export type DatasetSeverity = 'error' | 'warning' | 'information';

/**
 * Every check the dataset validator runs, by stable code. Codes are part of the public surface (CLI output, JSON
 * reports, diagnostics, quick fixes): add new ones, never rename. Each severity follows the rule and the evidence in
 * docs/dataset-checks.md (a unit test holds that table and this one to the same codes and severities).
 */
export const datasetChecks = {
  // File level
  'invalid-utf8': { severity: 'error', title: 'Invalid UTF-8' },
  bom: { severity: 'warning', title: 'Byte order mark' },
  'blank-line': { severity: 'warning', title: 'Blank line' },
  'truncated-last-line': { severity: 'error', title: 'Truncated last line' },
  'mixed-formats': { severity: 'error', title: 'Row in another format than the file' },
  'too-few-rows': { severity: 'error', title: 'Too few rows' },
  'split-overlap': { severity: 'warning', title: 'Row also in another split' },
  // Row level, any format
  'invalid-json': { severity: 'error', title: 'Invalid JSON' },
  'not-an-object': { severity: 'error', title: 'Row is not an object' },
  'unrecognized-row': { severity: 'error', title: 'Row matches no training format' },
  'format-mismatch': { severity: 'error', title: 'Row is not in the configured format' },
  'duplicate-row': { severity: 'warning', title: 'Duplicate row' },
  'near-duplicate-row': { severity: 'warning', title: 'Duplicate row after normalization' },
  'special-token': { severity: 'warning', title: 'Literal special token' },
  'possible-secret': { severity: 'error', title: 'Possible secret' },
  'too-many-tokens': { severity: 'warning', title: 'Row over the token limit' },
  'wrong-type': { severity: 'error', title: 'Value of the wrong type' },
  'missing-field': { severity: 'error', title: 'Missing field' },
  'empty-value': { severity: 'warning', title: 'Empty value' },
  'empty-target': { severity: 'error', title: 'Empty training target' },
  'too-deeply-nested': { severity: 'warning', title: 'Row nested too deeply' },
  // OpenAI chat `messages` (the cookbook's categories and more)
  'missing-messages': { severity: 'error', title: 'Missing messages list' },
  'message-missing-role': { severity: 'error', title: 'Message without role' },
  'message-missing-content': { severity: 'error', title: 'Message without content' },
  'message-unrecognized-key': { severity: 'warning', title: 'Unrecognized message key' },
  'unrecognized-role': { severity: 'error', title: 'Unrecognized role' },
  'invalid-content': { severity: 'error', title: 'Content of the wrong type' },
  'no-assistant-message': { severity: 'error', title: 'No assistant message' },
  'no-user-message': { severity: 'warning', title: 'No user message' },
  'system-not-first': { severity: 'warning', title: 'System message after the start' },
  'tool-without-call': { severity: 'error', title: 'Tool message without a matching call' },
  'last-turn-not-assistant': { severity: 'warning', title: 'Last turn is not the assistant' },
  'empty-assistant-turn': { severity: 'error', title: 'Empty assistant turn' },
  'invalid-tool-arguments': { severity: 'error', title: 'Tool arguments are not JSON' },
  'tool-arguments-not-string': { severity: 'error', title: 'Tool arguments are not a string' },
  'invalid-tool-call': { severity: 'error', title: 'Malformed tool call' },
  'invalid-weight': { severity: 'error', title: 'Weight is not 0 or 1' },
  'invalid-tools': { severity: 'error', title: 'Malformed tools list' },
  // Preference
  'identical-preference': { severity: 'error', title: 'Chosen equals rejected' },
  'empty-preference': { severity: 'error', title: 'Empty chosen or rejected' },
  'invalid-label': { severity: 'error', title: 'Label is not a boolean' },
  // ShareGPT
  'unrecognized-speaker': { severity: 'error', title: 'Unrecognized ShareGPT speaker' },
  // Eval sets ({question, answer, sources?})
  'eval-empty-question': { severity: 'error', title: 'Empty eval question' },
  'eval-missing-reference': { severity: 'warning', title: 'Eval question without a reference answer' },
  'eval-two-references': { severity: 'error', title: 'Both answer and reference' },
  'eval-bad-sources': { severity: 'error', title: 'Malformed eval sources' },
} as const satisfies Record<string, { severity: DatasetSeverity; title: string }>;

export type DatasetFindingCode = keyof typeof datasetChecks;

/** An edit the validator proposes with a finding; applied by quick fixes. Ranges are in the same text. */
export interface DatasetFix {
  title: string;
  edits: { range: TextRange; newText: string }[];
}

/** One problem in a dataset, located LSP-style (zero-based line, UTF-16 character within the line). */
export interface DatasetFinding {
  code: DatasetFindingCode;
  severity: DatasetSeverity;
  /** What is wrong and how to fix it. */
  message: string;
  range: TextRange;
  /** Where relevant, the line (zero-based) of a related place: the first occurrence of a duplicate, the matching row in another split. */
  relatedLine?: number;
  /** Another file the finding refers to (a sibling split). */
  relatedFile?: string;
  /** A safe, mechanical fix, when there is one: the one to prefer. */
  fix?: DatasetFix;
  /** Other plausible fixes, offered after `fix` and never preferred. */
  alternativeFixes?: DatasetFix[];
}

/** The finding's fixes with every edit's positions moved by `move`: for findings that change line or column. */
export function movedFixes(item: DatasetFinding, move: (position: TextRange['start']) => TextRange['start']): Pick<DatasetFinding, 'fix' | 'alternativeFixes'> {
  const moved = (fix: DatasetFix): DatasetFix => ({ ...fix, edits: fix.edits.map((edit) => ({ ...edit, range: { start: move(edit.range.start), end: move(edit.range.end) } })) });
  return { ...(item.fix ? { fix: moved(item.fix) } : {}), ...(item.alternativeFixes ? { alternativeFixes: item.alternativeFixes.map(moved) } : {}) };
}

export const severityRank: Record<DatasetSeverity, number> = { error: 0, warning: 1, information: 2 };

export function finding(code: DatasetFindingCode, message: string, range: TextRange, extra: Partial<DatasetFinding> = {}): DatasetFinding {
  return { code, severity: datasetChecks[code].severity, message, range, ...extra };
}

export function lineRange(line: number, start: number, end: number): TextRange {
  return { start: { line, character: start }, end: { line, character: Math.max(start, end) } };
}
