import {
  type CodeAction,
  type CodeActionParams,
  type CompletionItem,
  type CompletionParams,
  type Definition,
  type DefinitionParams,
  type Diagnostic,
  type DocumentSymbol,
  type FoldingRange,
  type Hover,
  type HoverParams,
} from 'vscode-languageserver';
import { type TextDocument, type TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import { type ServerSettings } from '../shared/languageServerProtocol';

/** What a language service may use besides the document: the current settings, the workspace, a log. */
export interface ServiceEnvironment {
  settings(): ServerSettings;
  workspaceFolders(): string[];
  log(message: string): void;
  /** Asks the server to re-check a document (e.g. when a file it depends on changed). */
  revalidate(uri: string): void;
  /** The editor's incremental changes from one version of an open document to a later one, when all are known. */
  changesBetween?(uri: string, fromVersion: number, toVersion: number): readonly TextDocumentContentChangeEvent[] | undefined;
}

/**
 * One language's features in the server. Handlers are thin: they call src/core and convert to LSP types.
 * Every method is optional; the server answers null/[] for what a language does not implement.
 */
export interface LanguageService {
  diagnose?(document: TextDocument): Diagnostic[] | Promise<Diagnostic[]>;
  complete?(document: TextDocument, params: CompletionParams): CompletionItem[] | Promise<CompletionItem[]>;
  hover?(document: TextDocument, params: HoverParams): Hover | null | Promise<Hover | null>;
  codeActions?(document: TextDocument, params: CodeActionParams): CodeAction[] | Promise<CodeAction[]>;
  definition?(document: TextDocument, params: DefinitionParams): Definition | null | Promise<Definition | null>;
  documentSymbols?(document: TextDocument): DocumentSymbol[] | Promise<DocumentSymbol[]>;
  foldingRanges?(document: TextDocument): FoldingRange[] | Promise<FoldingRange[]>;
  /** Called when a document closes, to drop per-document caches. */
  forget?(uri: string): void;
  /**
   * Custom requests (method → handler) beyond standard LSP, declared in src/shared. `document` looks up an open
   * document by URI. Handlers are guarded like the others: a throw is logged and answered with null.
   */
  requests?: Record<string, (params: unknown, document: (uri: string) => TextDocument | undefined) => unknown>;
  /** Called when the server shuts down, to stop workers. */
  dispose?(): void | Promise<void>;
}
