import { fileURLToPath, pathToFileURL } from 'node:url';
import { CodeActionKind, CompletionItemKind, DiagnosticSeverity, FoldingRangeKind, InsertTextFormat, MarkupKind, SymbolKind, type CompletionItem, type Diagnostic } from 'vscode-languageserver';
import { type TextDocument } from 'vscode-languageserver-textdocument';
import { scanHubCache } from '../../core/hub/cacheScan';
import { analyzePrompty, type PromptyAnalysis } from '../../core/prompts/promptyDiagnostics';
import { fixesInRange, ModelIdCache, ReferencedFileWatcher, templateContext } from '../../core/prompts/promptyEditing';
import { completePrompty, definitionPrompty, foldingPrompty, hoverPrompty, symbolsPrompty, type CompletionKind } from '../../core/prompts/promptyLanguageFeatures';
import { defaultRenderWorkerScript, RenderSandbox } from '../../core/prompts/renderSandbox';
import { diagnosticSource } from '../../shared/languageServerProtocol';
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
  const modelIds = new ModelIdCache(() => scanHubCache(process.env).then((models) => models.map((model) => model.repoId)));
  const contextFor = (uri: string): { templatePath?: string; workspaceRoots: string[] } => templateContext(pathOf(uri), environment.workspaceFolders());
  const watcher = new ReferencedFileWatcher((uri) => {
    analyses.delete(uri);
    environment.revalidate(uri);
  });

  const analyze = (document: TextDocument): PromptyAnalysis => {
    const cached = analyses.get(document.uri);
    if (cached?.version === document.version) return cached.analysis;
    const analysis = analyzePrompty(document.getText(), { ...contextFor(document.uri), env: process.env });
    analyses.set(document.uri, { version: document.version, analysis });
    watcher.watch(document.uri, analysis.referencedFiles);
    return analysis;
  };

  const renderer = (): RenderSandbox => {
    const timeout = environment.settings().prompts.renderTimeoutMs;
    if (!sandbox || sandboxTimeout !== timeout) {
      void sandbox?.dispose();
      sandbox = new RenderSandbox({ workerScript: options.workerScript ?? defaultRenderWorkerScript(), timeoutMs: timeout });
      sandboxTimeout = timeout;
    }
    return sandbox;
  };

  return {
    diagnose(document): Diagnostic[] {
      if (!environment.settings().prompts.diagnostics) return [];
      return analyze(document).findings.map((finding) => ({ range: finding.range, severity: severities[finding.severity], code: finding.code, source: diagnosticSource, message: finding.message }));
    },
    async complete(document, params): Promise<CompletionItem[]> {
      const analysis = analyze(document);
      const context = contextFor(document.uri);
      const ids = await modelIds.modelIds();
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
      return fixesInRange(analyze(document).findings, params.range).map((finding) => ({
        title: finding.fix.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: params.context.diagnostics.filter((d) => d.code === finding.code && d.range.start.line === finding.range.start.line && d.range.start.character === finding.range.start.character),
        edit: { changes: { [document.uri]: finding.fix.edits } },
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
      return foldingPrompty(analyze(document)).map((range) => ({
        startLine: range.startLine,
        endLine: range.endLine,
        ...(range.kind ? { kind: range.kind === 'comment' ? FoldingRangeKind.Comment : FoldingRangeKind.Region } : {}),
      }));
    },
    async previewPrompt(document, params) {
      const started = performance.now();
      const fallbackModel = params.fallbackModel || environment.settings().prompts.previewModel || undefined;
      const request = {
        text: document.getText(),
        ...contextFor(document.uri),
        ...(params.inputs !== undefined ? { inputs: params.inputs } : {}),
        ...(params.model !== undefined ? { model: params.model } : {}),
        ...(fallbackModel !== undefined ? { fallbackModel } : {}),
        ...(params.embeddingModel !== undefined ? { embeddingModel: params.embeddingModel } : {}),
        env: { ...process.env },
      };
      try {
        const rendered = await renderer().render(request);
        return { uri: params.uri, version: document.version, elapsedMs: performance.now() - started, rendered };
      } catch (error) {
        return { uri: params.uri, version: document.version, elapsedMs: performance.now() - started, error: error instanceof Error ? error.message : String(error) };
      }
    },
    forget(uri) {
      analyses.delete(uri);
      watcher.unwatch(uri);
    },
    async dispose() {
      watcher.dispose();
      await sandbox?.dispose();
    },
  };
}
