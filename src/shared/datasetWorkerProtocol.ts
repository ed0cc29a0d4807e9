/**
 * Messages of the dataset validation workers (entry `src/worker/validationWorker.ts`, bundled as
 * dist/datasetWorker.js): a whole-file or unsaved-text job for the extension host, or one byte range of a file for
 * the coordinator that validates big files in parallel (`src/core/datasets/fileValidation.ts`).
 */
import type { FileValidationOptions, FileValidationResult } from '../core/datasets/fileValidation';
import type { DatasetFinding } from '../core/datasets/findings';
import type { RangeScanRequest } from '../core/datasets/rangeScan';
import type { TextValidationOptions } from '../core/datasets/textValidation';

/** What a dataset worker is asked to do: one byte range (for the coordinator), or a whole file (for the editor). */
export type DatasetWorkerData =
  | { kind: 'range'; request: RangeScanRequest }
  | { kind: 'file'; path: string; options: Omit<FileValidationOptions, 'signal' | 'onProgress' | 'onFinding'> }
  /** An editor's unsaved text: validated whole, with token counts (null: the default tokenizer). */
  | { kind: 'text'; text: string; options: TextValidationOptions };

/** Messages of a whole-file worker. */
export type FileWorkerMessage =
  | { type: 'findings'; findings: DatasetFinding[] }
  | { type: 'progress'; bytes: number; total: number }
  | { type: 'done'; result: FileValidationResult }
  | { type: 'error'; message: string };
