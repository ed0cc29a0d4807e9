import { relative, isAbsolute, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiagnosticSeverity, MarkupKind, type CompletionItem, type Diagnostic } from 'vscode-languageserver';
import { isComparisonFilePath } from '../../core/eval/comparisonFile';
import { comparisonFileCompletions, comparisonFileDiagnostics, comparisonFileHover, comparisonFileReferences } from '../../core/eval/comparisonFileFeatures';
import { scanHubCache } from '../../core/hub/cacheScan';
import { ModelIdCache, ReferencedFileWatcher } from '../../core/prompts/promptyEditing';
import { diagnosticSource } from '../../shared/languageServerProtocol';
import { toCompletionItem } from '../fieldCompletion';
import { type LanguageService, type ServiceEnvironment } from '../languageService';

/** The comparison file a document is, if it is one: a `file:` URI named `*.compare.yaml`, `*.compare.yml` or `*.compare.json`. */
function comparisonFileOf(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  const path = fileURLToPath(uri);
  return isComparisonFilePath(path) ? path : undefined;
}

/** The innermost workspace folder holding `file`: relative paths in a comparison resolve against it. */
function workspaceRootOf(file: string, folders: readonly string[]): { workspaceRoot?: string } {
  const holding = folders.filter((folder) => {
    const inside = relative(folder, file);
    return inside !== '' && !inside.startsWith(`..${sep}`) && inside !== '..' && !isAbsolute(inside);
  });
  const innermost = holding.sort((a, b) => b.length - a.length)[0];
  return innermost !== undefined ? { workspaceRoot: innermost } : {};
}

/**
 * Comparison files: diagnostics, hover and completion from src/core/eval/comparisonFileFeatures. Registered (through
 * the file-name router in services.ts) for the `yaml` and `json` languages; it answers only for comparison files.
 */
export function createComparisonFileService(environment: ServiceEnvironment): LanguageService {
  // An eval set, template, examples file or run folder created, removed or changed on disk changes the diagnostics.
  const watcher = new ReferencedFileWatcher((uri) => environment.revalidate(uri));
  const modelIds = new ModelIdCache(() => scanHubCache(process.env).then((models) => models.map((model) => model.repoId)));
  return {
    diagnose(document): Diagnostic[] {
      const file = comparisonFileOf(document.uri);
      if (!file) return [];
      const options = workspaceRootOf(file, environment.workspaceFolders());
      watcher.watch(document.uri, comparisonFileReferences(document.getText(), file, options));
      return comparisonFileDiagnostics(document.getText(), file, options).map((problem) => ({
        range: problem.range,
        severity: problem.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
        source: diagnosticSource,
        message: problem.message,
      }));
    },
    hover(document, params) {
      if (!comparisonFileOf(document.uri)) return null;
      const hover = comparisonFileHover(document.getText(), params.position);
      return hover ? { contents: { kind: MarkupKind.Markdown, value: hover.markdown }, range: hover.range } : null;
    },
    async complete(document, params): Promise<CompletionItem[]> {
      const file = comparisonFileOf(document.uri);
      if (!file) return [];
      const options = { ...workspaceRootOf(file, environment.workspaceFolders()), modelIds: await modelIds.modelIds() };
      return comparisonFileCompletions(document.getText(), file, params.position, options).map(toCompletionItem);
    },
    forget(uri) {
      watcher.unwatch(uri);
    },
    dispose() {
      watcher.dispose();
    },
  };
}
