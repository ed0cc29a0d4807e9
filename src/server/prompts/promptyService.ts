import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CodeActionKind,
  CompletionItemKind,
  DiagnosticSeverity,
  FoldingRangeKind,
  InsertTextFormat,
  MarkupKind,
  SymbolKind,
  type CompletionItem,
  type Diagnostic,
} from 'vscode-languageserver';
import { type TextDocument } from 'vscode-languageserver-textdocument';
import { scanHubCache } from '../../core/hub/cacheScan';
import { analyzePrompty, type PromptyAnalysis } from '../../core/prompts/promptyDiagnostics';
import { completePrompty, definitionPrompty, foldingPrompty, hoverPrompty, symbolsPrompty, type CompletionKind } from '../../core/prompts/promptyLanguageFeatures';
import { defaultRenderWorkerScript, RenderSandbox } from '../../core/prompts/renderSandbox';
import { diagnosticSource, previewPromptMethod, type PreviewPromptParams } from '../../shared/languageServerProtocol';
import { type PreviewPromptResult } from '../../shared/promptPreviewProtocol';
import { type LanguageService, type ServiceEnvironment } from '../languageService';

const severities = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, information: DiagnosticSeverity.Information, hint: DiagnosticSeverity.Hint } as const;
const completionKinds: Record<CompletionKind, CompletionItemKind> = {
  property: CompletionItemKind.Property,
  value: CompletionItemKind.Value,
  variable: CompletionItemKind.Variable,
  function: CompletionItemKind.Function,
  keyword: CompletionItemKind.Keyword,
  file: CompletionItemKind.File,
  module: CompletionItemKind.Module,
};

function pathOf(uri: string): string | undefined {
  return uri.startsWith('file:') ? fileURLToPath(uri) : undefined;
}

/** The `prompty` language: diagnostics, completion, hover, definition, symbols, folding and the rendered preview. */
export function createPromptyService(environment: ServiceEnvironment, options: { workerScript?: string } = {}): LanguageService {
  const analyses = new Map<string, { version: number; analysis: PromptyAnalysis }>();
  let sandbox: RenderSandbox | undefined;
  let sandboxTimeout = 0;
  let modelIds: { at: number; ids: string[]; refresh?: Promise<string[]> } = { at: 0, ids: [] };

  const contextFor = (uri: string): { templatePath?: string; workspaceRoots: string[] } => {
    const templatePath = pathOf(uri);
    const folders = environment.workspaceFolders();
    return { ...(templatePath !== undefined ? { templatePath } : {}), workspaceRoots: folders.length > 0 ? folders : templatePath ? [dirname(templatePath)] : [] };
  };

  // Files each open template reads (examples, samples): when one changes on disk, the template is re-checked.
  const watchers = new Map<string, Map<string, FSWatcher>>();
  const watchReferences = (uri: string, files: readonly string[]): void => {
    const current = watchers.get(uri) ?? new Map<string, FSWatcher>();
    watchers.set(uri, current);
    for (const [file, watcher] of current) {
      if (!files.includes(file)) {
        watcher.close();
        current.delete(file);
      }
    }
    for (const file of files) {
      if (current.has(file)) continue;
      try {
        const watcher = watch(file, { persistent: false }, () => {
          analyses.delete(uri);
          environment.revalidate(uri);
        });
        watcher.on('error', () => undefined);
        current.set(file, watcher);
      } catch {
        // A missing file is reported by the diagnostics; it is watched once it exists and the template is edited.
      }
    }
  };
  const unwatch = (uri: string): void => {
    for (const watcher of watchers.get(uri)?.values() ?? []) watcher.close();
    watchers.delete(uri);
  };

  const analyze = (document: TextDocument): PromptyAnalysis => {
    const cached = analyses.get(document.uri);
    if (cached?.version === document.version) return cached.analysis;
    const analysis = analyzePrompty(document.getText(), { ...contextFor(document.uri), env: process.env });
    analyses.set(document.uri, { version: document.version, analysis });
    watchReferences(document.uri, analysis.referencedFiles);
    return analysis;
  };

  const cachedModelIds = async (): Promise<string[]> => {
    if (Date.now() - modelIds.at > 30_000 && !modelIds.refresh) {
      modelIds.refresh = scanHubCache(process.env)
        .then((models) => models.map((model) => model.repoId))
        .catch(() => [])
        .then((ids) => {
          modelIds = { at: Date.now(), ids };
          return ids;
        });
      if (modelIds.at === 0) return modelIds.refresh;
    }
    return modelIds.ids;
  };

  const renderer = (): RenderSandbox => {
    const timeout = environment.settings().prompts?.renderTimeoutMs ?? 2000;
    if (!sandbox || sandboxTimeout !== timeout) {
      void sandbox?.dispose();
      sandbox = new RenderSandbox({ workerScript: options.workerScript ?? defaultRenderWorkerScript(), timeoutMs: timeout });
      sandboxTimeout = timeout;
    }
    return sandbox;
  };

  const preview = async (params: PreviewPromptParams, lookup: (uri: string) => TextDocument | undefined): Promise<PreviewPromptResult> => {
    const document = lookup(params.uri);
    if (!document) return { uri: params.uri, version: -1, elapsedMs: 0, error: 'The template is not open.' };
    const started = performance.now();
    const fallbackModel = params.fallbackModel || environment.settings().prompts?.previewModel || undefined;
    try {
      const rendered = await renderer().render({
        text: document.getText(),
        ...contextFor(document.uri),
        ...(params.inputs !== undefined ? { inputs: params.inputs } : {}),
        ...(params.model !== undefined ? { model: params.model } : {}),
        ...(fallbackModel !== undefined ? { fallbackModel } : {}),
        ...(params.embeddingModel !== undefined ? { embeddingModel: params.embeddingModel } : {}),
        env: { ...process.env },
      });
      return { uri: params.uri, version: document.version, elapsedMs: performance.now() - started, rendered };
    } catch (error) {
      return { uri: params.uri, version: document.version, elapsedMs: performance.now() - started, error: error instanceof Error ? error.message : String(error) };
    }
  };

  return {
    diagnose(document): Diagnostic[] {
      if (environment.settings().prompts?.diagnostics === false) return [];
      return analyze(document).findings.map((finding) => ({ range: finding.range, severity: severities[finding.severity], code: finding.code, source: diagnosticSource, message: finding.message }));
    },
    async complete(document, params): Promise<CompletionItem[]> {
      const analysis = analyze(document);
      const context = contextFor(document.uri);
      const ids = await cachedModelIds();
      return completePrompty(analysis, params.position, { modelIds: ids, ...context }).map((item) => ({
        label: item.label,
        kind: completionKinds[item.kind],
        ...(item.detail !== undefined ? { detail: item.detail } : {}),
        ...(item.documentation ? { documentation: { kind: MarkupKind.Markdown, value: item.documentation } } : {}),
        ...(item.insertText !== undefined ? { insertText: item.insertText } : {}),
        insertTextFormat: InsertTextFormat.PlainText,
        ...(item.sortText !== undefined ? { sortText: item.sortText } : {}),
      }));
    },
    codeActions(document, params) {
      const within = (a: { line: number; character: number }, b: { line: number; character: number }): number => a.line - b.line || a.character - b.character;
      return analyze(document)
        .findings.filter((finding) => finding.fix && within(finding.range.start, params.range.end) <= 0 && within(params.range.start, finding.range.end) <= 0)
        .map((finding) => ({
          title: finding.fix!.title,
          kind: CodeActionKind.QuickFix,
          diagnostics: params.context.diagnostics.filter((d) => d.code === finding.code && d.range.start.line === finding.range.start.line && d.range.start.character === finding.range.start.character),
          edit: { changes: { [document.uri]: finding.fix!.edits } },
        }));
    },
    hover(document, params) {
      const hover = hoverPrompty(analyze(document), params.position);
      return hover ? { contents: { kind: MarkupKind.Markdown, value: hover.markdown }, range: hover.range } : null;
    },
    definition(document, params) {
      const target = definitionPrompty(analyze(document), params.position, contextFor(document.uri));
      if (!target) return null;
      if ('path' in target) return { uri: pathToFileURL(target.path).href, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } };
      return { uri: document.uri, range: target.range };
    },
    documentSymbols(document) {
      return symbolsPrompty(analyze(document)).map((symbol) => ({
        name: symbol.name,
        ...(symbol.detail !== undefined ? { detail: symbol.detail } : {}),
        kind: symbol.kind === 'frontMatter' ? SymbolKind.Module : symbol.kind === 'role' ? SymbolKind.String : SymbolKind.Namespace,
        range: symbol.range,
        selectionRange: symbol.selectionRange,
      }));
    },
    foldingRanges(document) {
      const foldingKinds = { comment: FoldingRangeKind.Comment, region: FoldingRangeKind.Region };
      return foldingPrompty(analyze(document)).map((range) => ({ startLine: range.startLine, endLine: range.endLine, ...(range.kind !== undefined ? { kind: foldingKinds[range.kind] } : {}) }));
    },
    forget(uri) {
      analyses.delete(uri);
      unwatch(uri);
    },
    requests: {
      [previewPromptMethod]: (params, lookup) => preview(params as PreviewPromptParams, lookup),
    },
    async dispose() {
      for (const uri of [...watchers.keys()]) unwatch(uri);
      await sandbox?.dispose();
    },
  };
}
