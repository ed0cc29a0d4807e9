import { type EvalProgress } from '../../core/eval/evalTypes';
import { formatDuration } from '../../core/text/relativeTime';

export type EvalStage = 'answering' | 'judging' | 'scoring';

/** The notification's line: "312/2000 answers · 40 cached · about 3m 05s left · 3 failed". */
export function progressMessage(stage: EvalStage, progress: EvalProgress): string {
  if (stage === 'judging') return `judging: ${progress.done}/${progress.total} answers`;
  if (stage === 'scoring') return 'scoring the answers';
  const parts = [`${progress.done}/${progress.total} answers`];
  if (progress.cached > 0) parts.push(`${progress.cached} cached`);
  const eta = formatDuration(progress.etaSeconds !== undefined ? progress.etaSeconds * 1000 : undefined);
  if (eta !== undefined && progress.done < progress.total) parts.push(`about ${eta} left`);
  if (progress.failed > 0) parts.push(`${progress.failed} failed`);
  return parts.join(' · ');
}
