import { fileURLToPath } from 'node:url';
import { CompletionItemKind, DiagnosticSeverity, InsertTextFormat, InsertTextMode, MarkupKind, type CompletionItem, type Diagnostic } from 'vscode-languageserver';
import { isJobFilePath, jobFileCompletions, jobFileDiagnostics, jobFileHover, type JobCompletionKind } from '../../core/jobs/jobFileFeatures';
import { diagnosticSource } from '../../shared/languageServerProtocol';
import { type LanguageService } from '../languageService';

const completionKinds: Record<JobCompletionKind, CompletionItemKind> = {
  field: CompletionItemKind.Property,
  section: CompletionItemKind.Module,
  value: CompletionItemKind.EnumMember,
  file: CompletionItemKind.File,
};

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
export function createJobFileService(): LanguageService {
  return {
    diagnose(document): Diagnostic[] {
      const file = jobFileOf(document.uri);
      if (!file) return [];
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
    complete(document, params): CompletionItem[] {
      const file = jobFileOf(document.uri);
      if (!file) return [];
      return jobFileCompletions(document.getText(), file, params.position).map((item) => ({
        label: item.label,
        kind: completionKinds[item.kind],
        detail: item.detail,
        ...(item.documentation !== undefined ? { documentation: { kind: MarkupKind.Markdown, value: item.documentation } } : {}),
        textEdit: { range: item.range, newText: item.insertText },
        filterText: item.filterText,
        insertTextFormat: item.snippet ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
        // A section's snippet continues on the next line, indented relative to the key's line.
        insertTextMode: InsertTextMode.adjustIndentation,
        sortText: item.sortText,
      }));
    },
  };
}
