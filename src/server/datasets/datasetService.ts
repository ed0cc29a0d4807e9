import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CodeActionKind, DiagnosticSeverity, type CodeAction, type Diagnostic, type Hover, type TextEdit } from 'vscode-languageserver';
import { type TextDocument } from 'vscode-languageserver-textdocument';
import { collectFingerprints } from '../../core/datasets/fileValidation';
import { datasetChecks, lineRange, type DatasetFinding } from '../../core/datasets/findings';
import { type FingerprintTable } from '../../core/datasets/fingerprint';
import { findSiblingSplits } from '../../core/datasets/splits';
import { configuredFormatFor } from '../../core/datasets/formatSettings';
import { datasetFormats, type DatasetFormat } from '../../core/datasets/formats';
import { RowLocator } from '../../core/datasets/locate';
import { convertLineToMessages, type LineAnalysisOptions } from '../../core/datasets/rowAnalysis';
import { rowCounterFor, type TokenCounter } from '../../core/datasets/tokenCount';
import { defaultTokenCounterSync, loadTokenCounter } from '../../core/datasets/tokenizer';
import { collectFindings } from '../../core/datasets/validateDataset';
import { diagnosticSource } from '../../shared/languageServerProtocol';
import { type LanguageService, type ServiceEnvironment } from '../languageService';
import { DocumentAnalysis } from './documentAnalysis';

/** More diagnostics than this in one document help nobody and slow the editor; the rest is summarised. */
const maxDiagnostics = 5000;
/** Sibling splits larger than this are not compared in the editor (the CLI and "Validate Dataset File…" do). */
const maxSiblingBytes = 64 * 1024 * 1024;

const severities = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, information: DiagnosticSeverity.Information } as const;

function toDiagnostic(item: DatasetFinding, uri: string): Diagnostic {
  return {
    range: item.range,
    severity: severities[item.severity],
    code: item.code,
    source: diagnosticSource,
    message: item.message,
    ...(item.relatedLine !== undefined && !item.relatedFile
      ? { relatedInformation: [{ location: { uri, range: lineRange(item.relatedLine, 0, 0) }, message: 'first occurrence' }] }
      : {}),
  };
}

interface DocumentState {
  analysis: DocumentAnalysis;
  findings: DatasetFinding[];
  version: number;
  format?: DatasetFormat;
  tokenJob?: { cancelled: boolean };
}

/** The `jsonl` language: fine-tuning datasets. Diagnostics, quick fixes and hover over src/core/datasets. */
export function createDatasetService(environment: ServiceEnvironment): LanguageService {
  const states = new Map<string, DocumentState>();
  /** Fingerprints of sibling splits on disk (train ↔ valid ↔ test), by path, refreshed when the file changes. */
  const splitTables = new Map<string, { mtimeMs: number; table?: FingerprintTable; loading?: Promise<void> }>();

  /** The sibling splits of a document whose fingerprints are ready; starts loading the others and re-checks after. */
  function readySplits(uri: string): { file: string; table: FingerprintTable }[] {
    if (!uri.startsWith('file:')) return [];
    let path: string;
    try {
      path = fileURLToPath(uri);
    } catch {
      return [];
    }
    const ready: { file: string; table: FingerprintTable }[] = [];
    for (const sibling of findSiblingSplits(path)) {
      let mtimeMs: number;
      let size: number;
      try {
        ({ mtimeMs, size } = statSync(sibling));
      } catch {
        continue;
      }
      // Fingerprinting a huge sibling would hold up the server; "Validate Dataset File…" covers those.
      if (size > maxSiblingBytes) continue;
      const cached = splitTables.get(sibling);
      if (cached?.mtimeMs === mtimeMs) {
        if (cached.table) ready.push({ file: basename(sibling), table: cached.table });
        continue;
      }
      const entry: { mtimeMs: number; table?: FingerprintTable; loading?: Promise<void> } = { mtimeMs };
      entry.loading = collectFingerprints(sibling).then(
        (table) => {
          entry.table = table;
          environment.revalidate(uri);
        },
        (error: unknown) => environment.log(`Cannot read the sibling split ${sibling}: ${error instanceof Error ? error.message : String(error)}`),
      );
      splitTables.set(sibling, entry);
    }
    return ready;
  }
  /** The configured tokenizer; `failure` says why it cannot count (e.g. its chat template ran out of budget). */
  let counter: { path: string; promise: Promise<TokenCounter>; failure?: string } | undefined;

  function tokenCounter(): Promise<TokenCounter> {
    const path = environment.settings().datasets.tokenizerPath;
    if (!counter || counter.path !== path) {
      const entry: NonNullable<typeof counter> = { path, promise: loadTokenCounter(path || undefined) };
      entry.promise.catch((error: unknown) => (entry.failure = error instanceof Error ? error.message : String(error)));
      counter = entry;
    }
    return counter.promise;
  }

  function configuredFormat(uri: string): DatasetFormat | undefined {
    if (!uri.startsWith('file:')) return undefined;
    try {
      return configuredFormatFor(fileURLToPath(uri), environment.settings().datasets.formats, environment.workspaceFolders());
    } catch {
      return undefined;
    }
  }

  /**
   * A configured maximum is applied by the background count (`tokenFindings`); without one, the line analysis itself
   * flags rows long enough to pass the default model's context.
   */
  function lineOptions(format: DatasetFormat | undefined, contextCheck: boolean): LineAnalysisOptions {
    return { ...(format ? { format } : {}), checkDuplicates: true, ...(contextCheck ? { contextCounter: defaultTokenCounterSync } : {}) };
  }

  function analyse(document: TextDocument): DocumentState {
    const format = configuredFormat(document.uri);
    const contextCheck = !(environment.settings().datasets.maxTokens > 0);
    const key = `${format ?? ''}|${contextCheck ? 'context' : ''}`;
    let state = states.get(document.uri);
    if (!state || !state.analysis.matches(key)) {
      state = { analysis: new DocumentAnalysis(key), findings: [], version: -1, ...(format ? { format } : {}) };
      states.set(document.uri, state);
    }
    if (state.version !== document.version) {
      const changes = state.version >= 0 ? environment.changesBetween?.(document.uri, state.version, document.version) : undefined;
      if (!changes || !state.analysis.applyChanges(changes, lineOptions(format, contextCheck))) state.analysis.update(document.getText(), lineOptions(format, contextCheck));
      state.version = document.version;
    }
    return state;
  }

  function tokenFindings(state: DocumentState, maxTokens: number, counterName: string): DatasetFinding[] {
    const out: DatasetFinding[] = [];
    const { analysis } = state;
    analysis.tokens.forEach((tokens, line) => {
      if (tokens <= maxTokens) return;
      const format = analysis.analyses[line]?.format;
      const [start, end] = new RowLocator(analysis.lines[line]!).locate(format === 'messages' ? ['messages'] : [], 'key');
      out.push({
        code: 'too-many-tokens',
        severity: datasetChecks['too-many-tokens'].severity,
        message: `The row is ${tokens} tokens (${counterName}), over the limit of ${maxTokens}; trainers truncate or drop it. Shorten or split the conversation.`,
        range: lineRange(line, start + (line === 0 && analysis.bom ? 1 : 0), end + (line === 0 && analysis.bom ? 1 : 0)),
      });
    });
    return out;
  }

  /** Counts tokens in the background, a slice at a time, then re-publishes: structural diagnostics never wait. */
  function scheduleTokenCounting(uri: string, state: DocumentState): void {
    if (state.tokenJob) state.tokenJob.cancelled = true;
    const job = { cancelled: false };
    state.tokenJob = job;
    const version = state.version;
    void tokenCounter().then(
      (count) => {
        let line = 0;
        const step = (): void => {
          if (job.cancelled || state.version !== version) return;
          const started = Date.now();
          const { analysis } = state;
          while (line < analysis.lines.length && Date.now() - started < 15) {
            if (analysis.tokens[line] === -1) {
              const value = parseRow(analysis.lines[line]!);
              const format = analysis.analyses[line]?.format;
              analysis.tokens[line] = value && format ? rowCounterFor(count).count(value, format) : 0;
            }
            line++;
          }
          if (line < analysis.lines.length) setImmediate(step);
          else environment.revalidate(uri);
        };
        step();
      },
      (error: unknown) => {
        environment.log(`Token counting is off: ${error instanceof Error ? error.message : String(error)}`);
        // Once, to show why: the next diagnose sees the failure and does not schedule again.
        environment.revalidate(uri);
      },
    );
  }

  return {
    async diagnose(document) {
      const settings = environment.settings().datasets;
      if (!settings.diagnostics) {
        states.delete(document.uri);
        return [];
      }
      const state = analyse(document);
      const { analysis } = state;
      const splits = readySplits(document.uri);
      const { findings } = collectFindings(analysis.analyses, { bom: analysis.bom, terminated: analysis.terminated, lines: analysis.lines }, { ...(state.format ? { format: state.format } : {}), minRows: settings.minRows, ...(splits.length > 0 ? { splits } : {}), expectedRows: analysis.analyses.length, histograms: false });
      let counterFailure: Diagnostic | undefined;
      if (settings.maxTokens > 0) void tokenCounter();
      if (settings.maxTokens > 0 && counter?.failure !== undefined) {
        counterFailure = { range: lineRange(0, 0, 0), severity: DiagnosticSeverity.Warning, code: 'tokenizer-unusable', source: diagnosticSource, message: `Token counting is off: ${counter.failure} Fix or change the setting chatwright.datasets.tokenizerPath.` };
      } else if (settings.maxTokens > 0) {
        const pending = analysis.tokens.some((tokens, line) => tokens === -1 && analysis.analyses[line]?.kind === 'row');
        if (pending) scheduleTokenCounting(document.uri, state);
        else findings.push(...tokenFindings(state, settings.maxTokens, (await tokenCounter()).name));
      }
      state.findings = findings;
      const diagnostics = findings.slice(0, maxDiagnostics).map((item) => toDiagnostic(item, document.uri));
      if (counterFailure) diagnostics.unshift(counterFailure);
      if (findings.length > maxDiagnostics) {
        diagnostics.push({
          range: lineRange(0, 0, 0),
          severity: DiagnosticSeverity.Information,
          code: 'more-findings',
          source: diagnosticSource,
          message: `${findings.length - maxDiagnostics} more problems are not listed. Run "Chatwright: Validate Dataset File…" or "Show Dataset Report" for all of them.`,
        });
      }
      return diagnostics;
    },

    codeActions(document, params) {
      const state = states.get(document.uri);
      if (!state || state.version !== document.version) return [];
      const actions: CodeAction[] = [];
      const { start, end } = params.range;
      for (const item of state.findings) {
        if ((!item.fix && !item.alternativeFixes) || item.range.end.line < start.line || item.range.start.line > end.line) continue;
        const diagnostic = params.context.diagnostics.find((d) => d.code === item.code && d.range.start.line === item.range.start.line && d.range.start.character === item.range.start.character);
        const fixes = [...(item.fix ? [{ fix: item.fix, preferred: true }] : []), ...(item.alternativeFixes ?? []).map((fix) => ({ fix, preferred: false }))];
        for (const { fix, preferred } of fixes) {
          actions.push({
            title: fix.title,
            kind: CodeActionKind.QuickFix,
            ...(diagnostic ? { diagnostics: [diagnostic] } : {}),
            ...(preferred ? { isPreferred: true } : {}),
            edit: { changes: { [document.uri]: fix.edits } },
          });
        }
      }
      const { analysis } = state;
      for (let line = start.line; line <= end.line && line < analysis.lines.length; line++) {
        const format = analysis.analyses[line]?.format;
        if (format !== 'sharegpt' && format !== 'alpaca') continue;
        const converted = convertLineToMessages(analysis.lines[line]!);
        if (!converted) continue;
        const shift = line === 0 && analysis.bom ? 1 : 0;
        actions.push({
          title: `Convert this ${format === 'sharegpt' ? 'ShareGPT' : 'Alpaca'} row to OpenAI messages`,
          kind: CodeActionKind.RefactorRewrite,
          edit: { changes: { [document.uri]: [{ range: lineRange(line, shift, shift + analysis.lines[line]!.length), newText: converted }] } },
        });
      }
      const convertible = analysis.analyses.some((a) => a.format === 'sharegpt' || a.format === 'alpaca');
      if (convertible && (params.context.only === undefined || params.context.only.some((kind) => kind.startsWith('source') || kind.startsWith('refactor')))) {
        const edits: TextEdit[] = [];
        analysis.analyses.forEach((a, line) => {
          if (a.format !== 'sharegpt' && a.format !== 'alpaca') return;
          const converted = convertLineToMessages(analysis.lines[line]!);
          const shift = line === 0 && analysis.bom ? 1 : 0;
          if (converted) edits.push({ range: lineRange(line, shift, shift + analysis.lines[line]!.length), newText: converted });
        });
        if (edits.length > 0) actions.push({ title: `Convert all ${edits.length} ShareGPT/Alpaca rows to OpenAI messages`, kind: `${CodeActionKind.Source}.convertToMessages`, edit: { changes: { [document.uri]: edits } } });
      }
      return actions;
    },

    async hover(document, params) {
      const state = states.get(document.uri) ?? analyse(document);
      const line = params.position.line;
      const analysis = state.analysis.analyses[line];
      const text = state.analysis.lines[line];
      if (!analysis || text === undefined || analysis.kind === 'blank') return null;
      const parts: string[] = [];
      if (analysis.kind === 'invalid') {
        parts.push(`**Row ${line + 1}**: not a valid JSON object`);
      } else {
        parts.push(`**Row ${line + 1}**: ${analysis.format ? datasetFormats[analysis.format] : 'no training format'}${analysis.format ? `, ${analysis.turns} turn${analysis.turns === 1 ? '' : 's'}` : ''}`);
        const value = parseRow(text);
        if (value && analysis.format) {
          try {
            const count = await tokenCounter();
            const tokens = rowCounterFor(count).count(value, analysis.format);
            state.analysis.tokens[line] = tokens;
            parts.push(`${tokens} tokens (${count.name})`);
          } catch (error) {
            parts.push(`tokens: not counted (${error instanceof Error ? error.message : String(error)})`);
          }
        }
      }
      const problems = state.findings.filter((item) => item.range.start.line === line);
      if (problems.length > 0) parts.push(`${problems.length} problem${problems.length === 1 ? '' : 's'}: ${[...new Set(problems.map((p) => p.code))].join(', ')}`);
      const shift = line === 0 && state.analysis.bom ? 1 : 0;
      return { contents: { kind: 'markdown', value: parts.join('  \n') }, range: lineRange(line, 0, text.length + shift) } satisfies Hover;
    },

    forget(uri) {
      const state = states.get(uri);
      if (state?.tokenJob) state.tokenJob.cancelled = true;
      states.delete(uri);
    },
  };
}

function parseRow(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
