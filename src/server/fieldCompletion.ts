import { CompletionItemKind, InsertTextFormat, InsertTextMode, MarkupKind, type CompletionItem } from 'vscode-languageserver';

/** A completion of a field file (job file, comparison file) as src/core computes it: a key, a value or a file. */
export interface FieldCompletion {
  label: string;
  kind: 'field' | 'section' | 'value' | 'file';
  detail: string;
  documentation?: string;
  insertText: string;
  filterText: string;
  snippet: boolean;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  sortText: string;
}

const completionKinds: Record<FieldCompletion['kind'], CompletionItemKind> = {
  field: CompletionItemKind.Property,
  section: CompletionItemKind.Module,
  value: CompletionItemKind.EnumMember,
  file: CompletionItemKind.File,
};

/** The LSP completion item of a field file's completion. */
export function toCompletionItem(item: FieldCompletion): CompletionItem {
  return {
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
  };
}
