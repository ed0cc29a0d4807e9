import { fileURLToPath } from 'node:url';
import { DiagnosticSeverity, MarkupKind, type CompletionItem, type Diagnostic } from 'vscode-languageserver';
import { scanHubCache } from '../../core/hub/cacheScan';
import { isJobFilePath, jobFileCompletions, jobFileDiagnostics, jobFileHover, jobFileReferences } from '../../core/jobs/jobFileFeatures';
import { ModelIdCache, ReferencedFileWatcher } from '../../core/prompts/promptyEditing';
import { diagnosticSource } from '../../shared/languageServerProtocol';
import { toCompletionItem } from '../fieldCompletion';
import { type LanguageService, type ServiceEnvironment } from '../languageService';

/** The job file a document is, if it is one: a `file:` URI named `*.job.yaml`, `*.job.yml` or `*.job.json`. */
function jobFileOf(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  const path = fileURLToPath(uri);
  return isJobFilePath(path) ? path : undefined;
}

/**
 * Fine-tuning job files: diagnostics, hover and completion from src/core/jobs/jobFileFeatures. It is registered for
 * the `yaml` and `json` languages and answers only for job files; other YAML and JSON documents get nothing from it.
 */
export function createJobFileService(environment: ServiceEnvironment): LanguageService {
  // A dataset or model folder created, removed or changed on disk changes the job file's diagnostics.
  const watcher = new ReferencedFileWatcher((uri) => environment.revalidate(uri));
  const modelIds = new ModelIdCache(() => scanHubCache(process.env).then((models) => models.map((model) => model.repoId)));
  return {
    diagnose(document): Diagnostic[] {
      const file = jobFileOf(document.uri);
      if (!file) return [];
      watcher.watch(document.uri, jobFileReferences(document.getText(), file));
      return jobFileDiagnostics(document.getText(), file).map((diagnostic) => ({
        range: diagnostic.range,
        severity: diagnostic.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
        source: diagnosticSource,
        message: diagnostic.message,
      }));
    },
    hover(document, params) {
      if (!jobFileOf(document.uri)) return null;
      const hover = jobFileHover(document.getText(), params.position);
      return hover ? { contents: { kind: MarkupKind.Markdown, value: hover.markdown }, range: hover.range } : null;
    },
    async complete(document, params): Promise<CompletionItem[]> {
      const file = jobFileOf(document.uri);
      if (!file) return [];
      return jobFileCompletions(document.getText(), file, params.position, { modelIds: await modelIds.modelIds() }).map(toCompletionItem);
    },
    forget(uri) {
      watcher.unwatch(uri);
    },
    dispose() {
      watcher.dispose();
    },
  };
}
