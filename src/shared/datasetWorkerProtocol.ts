/**
 * Messages of the dataset validation workers (entry `src/worker/validationWorker.ts`, bundled as
 * dist/datasetWorker.js). The coordinator that validates a big file in parallel (`src/core/datasets/fileValidation.ts`)
 * asks one worker per byte range for `dataset/scanRange`; the extension host asks a worker for a whole file
 * (`dataset/validateFile`, which coordinates range workers of its own) or an editor's unsaved text
 * (`dataset/validateText`). Findings and progress stream to the request's progress token; cancelling a request
 * stops its work, and the caller then terminates the worker.
 */
import { ProgressType, RequestType, type ProgressToken } from 'vscode-jsonrpc';
import type { FileValidationOptions, FileValidationResult } from '../core/datasets/fileValidation';
import type { DatasetFinding } from '../core/datasets/findings';
import type { RangeScanMessage, RangeScanRequest, RangeScanResult } from '../core/datasets/rangeScan';
import type { TextValidationOptions } from '../core/datasets/textValidation';
import type { DatasetValidation } from '../core/datasets/validateDataset';

export const rangeScanProgress = new ProgressType<RangeScanMessage>();
export const scanRangeRequest = new RequestType<{ request: RangeScanRequest; progressToken: ProgressToken }, RangeScanResult, void>('dataset/scanRange');

/** The options of a whole-file validation that can cross to a worker (callbacks and the signal stay with the caller). */
export type FileJobOptions = Omit<FileValidationOptions, 'signal' | 'onProgress' | 'onFinding' | 'workerScript'>;

/** What a whole-file validation reports while it runs: findings (in batches), or bytes done of the file's size. */
export type FileValidationUpdate = { type: 'findings'; findings: DatasetFinding[] } | { type: 'progress'; bytes: number; total: number };

export const fileValidationProgress = new ProgressType<FileValidationUpdate>();
export const validateFileRequest = new RequestType<{ path: string; options: FileJobOptions; progressToken: ProgressToken }, FileValidationResult, void>('dataset/validateFile');

/** An editor's unsaved text: validated whole, with token counts (tokenizer null: the default one). */
export const validateTextRequest = new RequestType<{ text: string; options: TextValidationOptions }, DatasetValidation, void>('dataset/validateText');
