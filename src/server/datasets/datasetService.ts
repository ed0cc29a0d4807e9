import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CodeActionKind, DiagnosticSeverity, type CodeAction, type Diagnostic } from 'vscode-languageserver';
import { type TextDocument } from 'vscode-languageserver-textdocument';
import { DocumentAnalysis } from '../../core/datasets/documentAnalysis';
import { listedFindings, rowConversions, rowHover, tokenCountingOffNotice, tokenLimitFindings, type DocumentNotice } from '../../core/datasets/documentFeatures';
import { collectFingerprints } from '../../core/datasets/fileValidation';
import { lineRange, type DatasetFinding } from '../../core/datasets/findings';
import { type FingerprintTable } from '../../core/datasets/fingerprint';
import { findSiblingSplits } from '../../core/datasets/splits';
import { configuredFormatFor } from '../../core/datasets/formatSettings';
import { type DatasetFormat } from '../../core/datasets/formats';
import { type LineAnalysisOptions } from '../../core/datasets/rowAnalysis';
import { type TokenCounter } from '../../core/datasets/tokenCount';
import { defaultTokenCounterSync, loadTokenCounter } from '../../core/datasets/tokenizer';
import { collectFindings } from '../../core/datasets/validateDataset';
import { DocumentChangeLog } from '../../core/text/documentChangeLog';
import { diagnosticSource } from '../../shared/languageServerProtocol';
import { type LanguageService, type ServiceEnvironment } from '../languageService';

/** Sibling splits larger than this are not compared in the editor (the CLI and "Validate Dataset File…" do). */
const maxSiblingBytes = 64 * 1024 * 1024;

const severities = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, information: DiagnosticSeverity.Information } as const;

function toDiagnostic(item: DatasetFinding | DocumentNotice, uri: string): Diagnostic {
  return {
    range: item.range,
    severity: severities[item.severity],
    code: item.code,
    source: diagnosticSource,
    message: item.message,
    ...('relatedLine' in item && item.relatedLine !== undefined && !item.relatedFile
      ? { relatedInformation: [{ location: { uri, range: lineRange(item.relatedLine, 0, 0) }, message: 'first occurrence' }] }
      : {}),
  };
}

interface DocumentState {
  analysis: DocumentAnalysis;
  findings: DatasetFinding[];
  format?: DatasetFormat;
  tokenJob?: { cancelled: boolean };
}

/** The `jsonl` language: fine-tuning datasets. Diagnostics, quick fixes and hover over src/core/datasets. */
export function createDatasetService(environment: ServiceEnvironment): LanguageService {
  const states = new Map<string, DocumentState>();
  /** The editor's changes not yet applied to an analysis, so it catches up on just the edited lines. */
  const changeLog = new DocumentChangeLog();
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
   * A configured maximum is applied by the background count (`tokenLimitFindings`); without one, the line analysis itself
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
      state = { analysis: new DocumentAnalysis(key), findings: [], ...(format ? { format } : {}) };
      states.set(document.uri, state);
    }
    state.analysis.catchUp(
      document.version,
      () => document.getText(),
      (from) => changeLog.between(document.uri, from, document.version),
      lineOptions(format, contextCheck),
    );
    return state;
  }

  function forget(uri: string): void {
    const state = states.get(uri);
    if (state?.tokenJob) state.tokenJob.cancelled = true;
    states.delete(uri);
    changeLog.forget(uri);
  }

  /** Counts tokens in the background, a slice at a time, then re-publishes: structural diagnostics never wait. */
  function scheduleTokenCounting(uri: string, state: DocumentState): void {
    if (state.tokenJob) state.tokenJob.cancelled = true;
    const job = { cancelled: false };
    state.tokenJob = job;
    const { analysis } = state;
    const version = analysis.version;
    void tokenCounter().then(
      (count) => {
        let line = 0;
        const step = (): void => {
          if (job.cancelled || analysis.version !== version) return;
          line = analysis.countTokensUntil(line, count, Date.now() + 15);
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
        forget(document.uri);
        return [];
      }
      const state = analyse(document);
      const { analysis } = state;
      const splits = readySplits(document.uri);
      const { findings } = collectFindings(
        analysis.analyses,
        { bom: analysis.bom, terminated: analysis.terminated, lines: analysis.lines },
        { ...(state.format ? { format: state.format } : {}), minRows: settings.minRows, ...(splits.length > 0 ? { splits } : {}), expectedRows: analysis.analyses.length, histograms: false },
      );
      let counterFailure: DocumentNotice | undefined;
      if (settings.maxTokens > 0) void tokenCounter();
      if (settings.maxTokens > 0 && counter?.failure !== undefined) counterFailure = tokenCountingOffNotice(counter.failure);
      else if (settings.maxTokens > 0) {
        if (analysis.tokensPending()) scheduleTokenCounting(document.uri, state);
        else findings.push(...tokenLimitFindings(analysis, settings.maxTokens, (await tokenCounter()).name));
      }
      state.findings = findings;
      const { listed, notice } = listedFindings(findings);
      return [...(counterFailure ? [counterFailure] : []), ...listed, ...(notice ? [notice] : [])].map((item) => toDiagnostic(item, document.uri));
    },

    didChange(uri, fromVersion, toVersion, changes) {
      if (states.has(uri)) changeLog.record(uri, fromVersion, toVersion, changes);
    },

    codeActions(document, params) {
      const state = states.get(document.uri);
      if (!state || state.analysis.version !== document.version) return [];
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
      for (const conversion of rowConversions(state.analysis, start.line, end.line)) {
        actions.push({
          title: `Convert this ${conversion.format === 'sharegpt' ? 'ShareGPT' : 'Alpaca'} row to OpenAI messages`,
          kind: CodeActionKind.RefactorRewrite,
          edit: { changes: { [document.uri]: [{ range: conversion.range, newText: conversion.newText }] } },
        });
      }
      if (params.context.only === undefined || params.context.only.some((kind) => kind.startsWith('source') || kind.startsWith('refactor'))) {
        const edits = rowConversions(state.analysis).map(({ range, newText }) => ({ range, newText }));
        if (edits.length > 0)
          actions.push({
            title: `Convert all ${edits.length} ShareGPT/Alpaca rows to OpenAI messages`,
            kind: `${CodeActionKind.Source}.convertToMessages`,
            edit: { changes: { [document.uri]: edits } },
          });
      }
      return actions;
    },

    async hover(document, params) {
      const state = states.get(document.uri) ?? analyse(document);
      const hover = await rowHover(state.analysis, params.position.line, state.findings, tokenCounter);
      return hover ? { contents: { kind: 'markdown', value: hover.markdown }, range: hover.range } : null;
    },

    forget,
  };
}
