import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import { findJsonlSyntaxErrors } from '../../core/datasets/jsonlSyntax';
import { diagnosticSource } from '../../shared/languageServerProtocol';

/** Diagnostics for a JSON Lines document: the core's findings as LSP objects. */
export function datasetDiagnostics(text: string): Diagnostic[] {
  return findJsonlSyntaxErrors(text).map((error) => ({
    range: error.range,
    severity: DiagnosticSeverity.Error,
    code: error.code,
    source: diagnosticSource,
    message: error.message,
  }));
}
