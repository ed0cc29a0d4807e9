import { type DatasetReport } from '../../shared/datasetReportProtocol';
import { countBySeverity, type DatasetStats } from './datasetScan';
import { datasetChecks, severityRank, type DatasetFindingCode } from './findings';
import { datasetFormats, type DatasetFormat } from './formats';

/** The value at quantile q of a histogram given as sorted [value, count] pairs. */
export function quantile(histogram: [number, number][], q: number): number {
  const total = histogram.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const [value, count] of histogram) {
    seen += count;
    if (seen >= rank) return value;
  }
  return histogram[histogram.length - 1]![0];
}

/** Buckets a token histogram into about `buckets` ranges of equal width, for the chart. */
function bucketize(histogram: [number, number][], buckets: number): { from: number; to: number; rows: number }[] {
  if (histogram.length === 0) return [];
  const min = histogram[0]![0];
  const max = histogram[histogram.length - 1]![0];
  const width = Math.max(1, Math.ceil((max - min + 1) / buckets));
  const out: { from: number; to: number; rows: number }[] = [];
  for (let from = min; from <= max; from += width) out.push({ from, to: from + width - 1, rows: 0 });
  for (const [value, count] of histogram) out[Math.min(out.length - 1, Math.floor((value - min) / width))]!.rows += count;
  return out;
}

export function buildDatasetReport(file: string, stats: DatasetStats): DatasetReport {
  const totals = countBySeverity(stats);
  const findings = (Object.entries(stats.findings) as [DatasetFindingCode, number][])
    .map(([code, count]) => ({ code, title: datasetChecks[code].title, severity: datasetChecks[code].severity, count }))
    .sort((a, b) => severityRank[a.severity] - severityRank[b.severity] || b.count - a.count);
  const t = stats.tokens;
  return {
    file,
    bytes: stats.bytes,
    lines: stats.lines,
    rows: stats.rows,
    trainingData: stats.trainingData,
    formats: (Object.entries(stats.formats) as [DatasetFormat, number][]).map(([format, rows]) => ({ format, label: datasetFormats[format], rows })).sort((a, b) => b.rows - a.rows),
    findings,
    errors: totals.error,
    warnings: totals.warning,
    information: totals.information,
    duplicates: stats.duplicates,
    turns: stats.turns.map(([turns, rows]) => ({ turns, rows })),
    ...(t.rows > 0
      ? {
          tokens: {
            counter: t.counter ?? 'tokenizer',
            rows: t.rows,
            total: t.total,
            mean: Math.round(t.total / t.rows),
            p5: quantile(t.histogram, 0.05),
            median: quantile(t.histogram, 0.5),
            p95: quantile(t.histogram, 0.95),
            max: t.max,
            ...(t.maxTokens !== undefined ? { maxTokens: t.maxTokens } : {}),
            overLimit: t.overLimit,
            perEpoch: t.trainingTotal,
            histogram: bucketize(t.histogram, 20),
          },
        }
      : {}),
  };
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The report as Markdown, for pasting into a data card or an issue. */
export function reportToMarkdown(report: DatasetReport): string {
  const out: string[] = [];
  out.push(`# Dataset report: ${escapeCell(report.file)}`, '');
  out.push(`- Size: ${report.bytes.toLocaleString('en-US')} bytes, ${report.lines.toLocaleString('en-US')} lines, ${report.rows.toLocaleString('en-US')} rows`);
  out.push(`- Problems: ${report.errors} error(s), ${report.warnings} warning(s), ${report.information} note(s)`);
  out.push(`- Duplicates: ${report.duplicates.exact} exact, ${report.duplicates.normalized} after normalization`);
  if (!report.trainingData) out.push('- This file does not look like training data: only its JSON syntax was checked.');
  out.push('', '## Rows by format', '', '| Format | Rows |', '| --- | ---: |');
  for (const format of report.formats) out.push(`| ${escapeCell(format.label)} | ${format.rows} |`);
  out.push('', '## Problems by check', '');
  if (report.findings.length === 0) out.push('No problems found.');
  else {
    out.push('| Check | Code | Severity | Count |', '| --- | --- | --- | ---: |');
    for (const finding of report.findings) out.push(`| ${finding.title} | \`${finding.code}\` | ${finding.severity} | ${finding.count} |`);
  }
  if (report.tokens) {
    const t = report.tokens;
    out.push('', `## Tokens per row (${escapeCell(t.counter)})`, '');
    out.push('| p5 | median | p95 | max | mean | total |', '| ---: | ---: | ---: | ---: | ---: | ---: |');
    out.push(`| ${t.p5} | ${t.median} | ${t.p95} | ${t.max} | ${t.mean} | ${t.total} |`, '');
    out.push(`Estimated training tokens per epoch: ${t.perEpoch.toLocaleString('en-US')}${t.maxTokens !== undefined ? ` (rows over ${t.maxTokens} tokens counted up to it; ${t.overLimit} such rows)` : ''}.`, '');
    out.push('| Tokens | Rows |', '| --- | ---: |');
    for (const bucket of t.histogram) out.push(`| ${bucket.from}–${bucket.to} | ${bucket.rows} |`);
  }
  out.push('', '## Turns per row', '', '| Turns | Rows |', '| ---: | ---: |');
  for (const turn of report.turns) out.push(`| ${turn.turns} | ${turn.rows} |`);
  return `${out.join('\n')}\n`;
}
