import { uniformTurnCount, type DatasetReport, type DatasetReportOccurrence } from '../../shared/datasetReportProtocol';
import { countOf, formatByteSize } from '../../shared/humanText';
import { countBySeverity, type DatasetStats } from './datasetScan';
import { datasetChecks, severityRank, type DatasetFinding, type DatasetFindingCode } from './findings';
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

/** Occurrences listed per check: enough to work through by hand; the Problems panel holds them all. */
export const reportOccurrencesPerCheck = 200;

/** The first occurrences of each check, by line (the findings may arrive out of order from parallel workers). */
function occurrencesByCode(findings: readonly DatasetFinding[]): Map<DatasetFindingCode, DatasetReportOccurrence[]> {
  const byCode = new Map<DatasetFindingCode, DatasetReportOccurrence[]>();
  for (const item of findings) {
    let list = byCode.get(item.code);
    if (!list) byCode.set(item.code, (list = []));
    list.push({ line: item.range.start.line, character: item.range.start.character, message: item.message });
  }
  for (const [code, list] of byCode) byCode.set(code, list.sort((a, b) => a.line - b.line || a.character - b.character).slice(0, reportOccurrencesPerCheck));
  return byCode;
}

/** Rows by number of turns, leaving out rows with none (invalid or unrecognized rows count none). */
function turnRows(stats: DatasetStats): { turns: number; rows: number }[] {
  return stats.turns.filter(([turns, rows]) => turns > 0 && rows > 0).map(([turns, rows]) => ({ turns, rows }));
}

/**
 * The report's numbers. `findings` are the located findings the scan reported (possibly capped per check): they
 * give each check's occurrences; the counts come from `stats`, which counts every finding.
 */
export function buildDatasetReport(file: string, stats: DatasetStats, located: readonly DatasetFinding[] = []): DatasetReport {
  const totals = countBySeverity(stats);
  const occurrences = occurrencesByCode(located);
  const turns = turnRows(stats);
  const findings = (Object.entries(stats.findings) as [DatasetFindingCode, number][])
    .map(([code, count]) => ({ code, title: datasetChecks[code].title, severity: datasetChecks[code].severity, count, occurrences: occurrences.get(code) ?? [] }))
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
    turns,
    turnsVary: turns.length > 1,
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

/** Up to five one-based line numbers, as people count lines. */
function firstLines(occurrences: readonly DatasetReportOccurrence[]): string {
  const lines = [...new Set(occurrences.map((o) => o.line + 1))];
  return lines.slice(0, 5).join(', ') + (lines.length > 5 ? ', …' : '');
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The report as Markdown, for pasting into a data card or an issue. */
export function reportToMarkdown(report: DatasetReport): string {
  const out: string[] = [];
  out.push(`# Dataset report: ${escapeCell(report.file)}`, '');
  out.push(`- Size: ${formatByteSize(report.bytes)}, ${countOf(report.lines, 'line')}, ${countOf(report.rows, 'row')}`);
  out.push(`- Problems: ${countOf(report.errors, 'error')}, ${countOf(report.warnings, 'warning')}, ${countOf(report.information, 'note')}`);
  out.push(`- Duplicates: ${report.duplicates.exact} exact, ${report.duplicates.normalized} after normalization`);
  if (!report.trainingData) out.push('- This file does not look like training data: only its JSON syntax was checked.');
  out.push('', '## Rows by format', '', '| Format | Rows |', '| --- | ---: |');
  for (const format of report.formats) out.push(`| ${escapeCell(format.label)} | ${format.rows} |`);
  out.push('', '## Problems by check', '');
  if (report.findings.length === 0) out.push('No problems found.');
  else {
    out.push('| Check | Code | Severity | Count | First lines |', '| --- | --- | --- | ---: | --- |');
    for (const finding of report.findings) out.push(`| ${finding.title} | \`${finding.code}\` | ${finding.severity} | ${finding.count} | ${firstLines(finding.occurrences)} |`);
  }
  if (report.tokens) {
    const t = report.tokens;
    out.push('', `## Tokens per row (${escapeCell(t.counter)})`, '');
    out.push('| p5 | median | p95 | max | mean | total |', '| ---: | ---: | ---: | ---: | ---: | ---: |');
    out.push(`| ${t.p5} | ${t.median} | ${t.p95} | ${t.max} | ${t.mean} | ${t.total} |`, '');
    out.push(
      `Estimated training tokens per epoch: ${t.perEpoch.toLocaleString('en-US')}${t.maxTokens !== undefined ? ` (rows over ${t.maxTokens} tokens counted up to it; ${countOf(t.overLimit, 'such row')})` : ''}.`,
      '',
    );
    out.push('| Tokens | Rows |', '| --- | ---: |');
    for (const bucket of t.histogram) out.push(`| ${bucket.from}–${bucket.to} | ${bucket.rows} |`);
  }
  const uniformTurns = uniformTurnCount(report);
  if (report.turnsVary) {
    out.push('', '## Turns per row', '', '| Turns | Rows |', '| ---: | ---: |');
    for (const turn of report.turns) out.push(`| ${turn.turns} | ${turn.rows} |`);
  } else if (uniformTurns !== undefined) {
    out.push('', '## Turns per row', '', `Every row has ${countOf(uniformTurns, 'turn')}.`);
  }
  return `${out.join('\n')}\n`;
}
