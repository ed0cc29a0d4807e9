import { type PreflightFinding, type PreflightResult } from '../../core/jobs/preflight';
import { escapeControlCharacters } from '../../core/files/fileNames';

/** `file[:line[:column]]`, the form terminals link, plus the job file's field when the fix is there. */
function locationText(finding: PreflightFinding): string | undefined {
  const location = finding.location;
  if (!location) return undefined;
  let where = location.file;
  if (location.line !== undefined) where += `:${location.line}${location.column !== undefined ? `:${location.column}` : ''}`;
  return location.field ? `${where} (job field ${location.field})` : where;
}

/**
 * One finding as the CLI prints it: `severity code: message`, then `  → what to do`, then `  at where`. Errors come
 * first, so a refusal's reason is the first thing read.
 */
export function preflightLines(result: PreflightResult): string[] {
  const order = { error: 0, warning: 1, information: 2 };
  const lines: string[] = [];
  for (const finding of [...result.findings].sort((a, b) => order[a.severity] - order[b.severity])) {
    lines.push(`${finding.severity} ${finding.code}: ${escapeControlCharacters(finding.message)}`);
    lines.push(`  → ${escapeControlCharacters(finding.action)}`);
    const where = locationText(finding);
    if (where) lines.push(`  at ${escapeControlCharacters(where)}`);
  }
  return lines;
}

/** The numbers preflight found: rows, tokens, trained tokens, the eval file. */
export function preflightSummary(result: PreflightResult): string {
  const { stats } = result;
  const errors = result.findings.filter((finding) => finding.severity === 'error').length;
  const warnings = result.findings.filter((finding) => finding.severity === 'warning').length;
  // No row tokenized (the model could not be read): token counts of zero would read as a finding of their own.
  const tokens = stats.labelled === 0 && stats.rows > 0 ? 'not tokenized' : `${stats.tokens} token(s) in ${stats.labelled} checked row(s), ${stats.trainedTokens} trained`;
  const parts = [`${stats.rows} row(s)`, tokens];
  if (stats.truncated > 0) parts.push(`${stats.truncated} truncated`);
  if (stats.dropped > 0) parts.push(`${stats.dropped} dropped`);
  if (stats.evalFile) parts.push(`eval: ${stats.evalFile}`);
  return `Preflight: ${errors} error(s), ${warnings} warning(s); ${parts.join(', ')}`;
}
