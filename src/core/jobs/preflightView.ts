import { previewSegments } from './lossMaskPreview';
import { type PreflightResult } from './preflight';
import { type JobPreflightView } from '../../shared/jobPageProtocol';

/** How many rendered examples the job page shows. */
export const previewExampleCount = 3;

/** A preflight's result as the job page shows it: findings, stats, and the first examples as trained / untrained runs of text. */
export function preflightView(result: PreflightResult, examples = previewExampleCount): JobPreflightView {
  return {
    ok: result.ok,
    findings: result.findings,
    examples: result.preview.slice(0, examples).map((example) => ({
      source: example.source,
      tokens: example.inputIds.length,
      trainedTokens: example.lossMask.reduce<number>((sum, bit) => sum + bit, 0),
      segments: previewSegments(example),
    })),
    stats: result.stats,
  };
}
