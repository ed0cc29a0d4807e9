import {
  type CodeAction,
  type CodeActionParams,
  type CompletionItem,
  type CompletionParams,
  type Definition,
  type DefinitionParams,
  type Diagnostic,
  type DocumentSymbol,
  type DocumentSymbolParams,
  type FoldingRange,
  type FoldingRangeParams,
  type Hover,
  type HoverParams,
} from 'vscode-languageserver';
import { type TextDocument, type TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import { type PreviewPromptParams, type ServerSettings } from '../shared/languageServerProtocol';
import { type PreviewPromptResult } from '../shared/promptPreviewProtocol';

/** What a language service may use besides the document: the current settings, the workspace, a log. */
export interface ServiceEnvironment {
  settings(): ServerSettings;
  workspaceFolders(): string[];
  log(message: string): void;
  /** Asks the server to re-check a document (e.g. when a file it depends on changed). */
  revalidate(uri: string): void;
}

type Answer<T> = T | Promise<T>;

/**
 * One language's features in the server. Handlers are thin: they call src/core and convert to LSP types. Every
 * feature is optional; the server answers null/[] for what a language does not implement (src/server/handlers.ts
 * maps each request to its feature). Features are properties, not methods: the server calls them unbound.
 */
export interface LanguageService {
  diagnose?: (document: TextDocument) => Answer<Diagnostic[]>;
  /**
   * The editor changed an open document from `fromVersion` to `toVersion` by `changes` (in order, each in the
   * coordinates left by the one before). Called before the new version is checked, so a service can catch up on just
   * the edited lines.
   */
  didChange?: (uri: string, fromVersion: number, toVersion: number, changes: readonly TextDocumentContentChangeEvent[]) => void;
  complete?: (document: TextDocument, params: CompletionParams) => Answer<CompletionItem[]>;
  hover?: (document: TextDocument, params: HoverParams) => Answer<Hover | null>;
  codeActions?: (document: TextDocument, params: CodeActionParams) => Answer<CodeAction[]>;
  definition?: (document: TextDocument, params: DefinitionParams) => Answer<Definition | null>;
  documentSymbols?: (document: TextDocument, params: DocumentSymbolParams) => Answer<DocumentSymbol[]>;
  foldingRanges?: (document: TextDocument, params: FoldingRangeParams) => Answer<FoldingRange[]>;
  /** `chatwright/previewPrompt`: the document rendered as the model will see it. */
  previewPrompt?: (document: TextDocument, params: PreviewPromptParams) => Promise<PreviewPromptResult>;
  /** Called when a document closes (or opens afresh), to drop per-document state. */
  forget?: (uri: string) => void;
  /** Called when the server shuts down, to stop workers. */
  dispose?: () => Answer<void>;
}
