import { type DatasetFindingCode } from './findings';

/** A JSON path inside one row: keys and array indexes. */
export type RowPath = (string | number)[];

/** A mechanical fix for one row, expressed on the row's own JSON so the scanner can turn it into a text edit. */
export type RowFix = { title: string; kind: 'replaceValue'; path: RowPath; json: string } | { title: string; kind: 'replaceRow'; json: string };

/** A problem found in one parsed row; the scanner locates `path` in the line text only when it reports it. */
export interface RowProblem {
  code: DatasetFindingCode;
  message: string;
  /** Where: the value at this path, or its key when `part` is 'key'. Empty: the whole row. */
  path: RowPath;
  part?: 'key' | 'value';
  /** The fix to offer first (the editor's preferred one). */
  fix?: RowFix;
  /** Other plausible fixes, offered after `fix`. */
  alternativeFixes?: RowFix[];
}

/** What a row contributes to the report besides problems. */
export interface RowShape {
  turns: number;
}
