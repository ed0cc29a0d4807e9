/**
 * Messages of the preflight worker (entry `src/worker/preflightWorker.ts`, bundled as dist/preflightWorker.js): the
 * extension host sends a resolved job and gets back what the job page and the diagnostics show. Preflight reads the
 * whole dataset and tokenizes every row, so it never runs on the extension host's thread.
 */
import { RequestType } from 'vscode-jsonrpc';
import type { ResolvedJobConfig } from '../core/jobs/jobFile';
import type { Hardware } from '../core/hub/memoryEstimate';
import type { JobPreflightView } from './jobPageProtocol';

export interface PreflightParams {
  config: ResolvedJobConfig;
  /** The machine the job would train on (from the environment probe), for the memory fit; absent: not judged. */
  hardware?: Hardware;
  /** The largest LoRA rank the serving side loads; absent: vLLM's default. */
  serverMaxLoraRank?: number;
}

export const preflightRequest = new RequestType<PreflightParams, JobPreflightView, void>('jobs/preflight');
