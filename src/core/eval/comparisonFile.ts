/** STUB — owned by helper B (comparison files). Replace the body; keep the signature. */
import { type ComparisonProblem, type ComparisonSpec } from './evalTypes';

export interface ComparisonFileOptions {
  /** The workspace folder relative paths resolve against; default the comparison file's folder. */
  workspaceRoot?: string;
}

/** Whether a path names a comparison file: `*.compare.yaml`, `*.compare.yml` or `*.compare.json`. */
export function isComparisonFilePath(path: string): boolean {
  return /\.compare\.(ya?ml|json)$/i.test(path);
}

/**
 * Parses and checks a comparison file. `spec` is present when there are no errors (warnings allowed); every problem
 * is located. Checks what can be checked from the text and the disk (files exist, names unique, endpoints' URLs);
 * never contacts a backend.
 */
export function parseComparison(text: string, file: string, options: ComparisonFileOptions = {}): { spec?: ComparisonSpec; problems: ComparisonProblem[] } {
  void text;
  void file;
  void options;
  throw new Error('parseComparison: not implemented yet');
}
