import { type TextRange } from '../text/lineIndex';

export type FindingSeverity = 'error' | 'warning' | 'information' | 'hint';

/** One problem in a prompt template, located in the whole document's coordinates. */
export interface PromptFinding {
  range: TextRange;
  severity: FindingSeverity;
  /** A stable id (`yaml-syntax`, `undeclared-variable`, …) for filtering and code actions. */
  code: string;
  message: string;
  /** A safe edit that fixes it, offered as a quick fix. */
  fix?: PromptFix;
}

export interface PromptFix {
  title: string;
  edits: { range: TextRange; newText: string }[];
}

/** A finding before it is placed in the document: offsets within the analysed text. */
export interface OffsetFinding {
  start: number;
  end: number;
  severity: FindingSeverity;
  code: string;
  message: string;
  fix?: { title: string; edits: { start: number; end: number; newText: string }[] };
}
