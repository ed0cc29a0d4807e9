import {
  CodeActionKind,
  CodeActionRequest,
  CompletionRequest,
  DefinitionRequest,
  DocumentSymbolRequest,
  FoldingRangeRequest,
  HoverRequest,
  type Connection,
  type Disposable,
  type RequestType,
  type ServerCapabilities,
  type TextDocuments,
} from 'vscode-languageserver/node';
import { type TextDocument } from 'vscode-languageserver-textdocument';
import { previewPromptRequest } from '../shared/languageServerProtocol';
import { type LanguageService } from './languageService';

/** What the handlers dispatch over: the open documents, each language's service, and where failures are logged. */
export interface ServerState {
  documents: TextDocuments<TextDocument>;
  /** The language service of each language, by VS Code language id. */
  services: Readonly<Record<string, LanguageService>>;
  logError(message: string): void;
}

/** Runs a handler; a failure is logged and answered with `fallback`, so one bad document never stops the server. */
export async function guarded<T>(state: ServerState, what: string, fallback: (failure: string) => T, handler: () => T | Promise<T>): Promise<T> {
  try {
    return await handler();
  } catch (error) {
    state.logError(`${what} failed: ${describeError(error)}`);
    return fallback(error instanceof Error ? error.message : String(error));
  }
}

export function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** One request the server answers by calling a feature of the language service of the document it names. */
export interface RequestRoute {
  readonly method: string;
  /** What the server announces in `initialize` for this request. */
  readonly capability: ServerCapabilities;
  register(connection: Connection, state: ServerState): Disposable;
}

/**
 * A route from `type` to a service's `feature`. `answerWithout` answers when the document is not open, its language
 * has no such feature, or the feature threw (`failure` is then the error's message; the error is logged).
 */
function route<P, R>(
  type: RequestType<P, R, void>,
  what: string,
  capability: ServerCapabilities,
  uriOf: (params: P) => string,
  feature: (service: LanguageService) => ((document: TextDocument, params: P) => R | Promise<R>) | undefined,
  answerWithout: (params: P, failure?: string) => NoInfer<R>,
): RequestRoute {
  return {
    method: type.method,
    capability,
    register: (connection, state) =>
      connection.onRequest(type, (params) => {
        const document = state.documents.get(uriOf(params));
        const service = document && state.services[document.languageId];
        const handler = service && feature(service);
        if (!document || !handler) return answerWithout(params);
        return guarded(
          state,
          what,
          (failure) => answerWithout(params, failure),
          () => handler(document, params),
        );
      }),
  };
}

const textDocumentUri = (params: { textDocument: { uri: string } }): string => params.textDocument.uri;

/**
 * Every request the server answers, each mapped to the language service feature that answers it (the shape of
 * yaml-language-server's handler table: the logic is in the services and in src/core, none here).
 */
export const requestRoutes: readonly RequestRoute[] = [
  route(
    CompletionRequest.type,
    'Completion',
    { completionProvider: { triggerCharacters: ['{', ' ', '.', ':', '"', '/', '|'], resolveProvider: false } },
    textDocumentUri,
    (service) => service.complete,
    () => [],
  ),
  route(
    HoverRequest.type,
    'Hover',
    { hoverProvider: true },
    textDocumentUri,
    (service) => service.hover,
    () => null,
  ),
  route(
    CodeActionRequest.type,
    'Code actions',
    { codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, CodeActionKind.Source] } },
    textDocumentUri,
    (service) => service.codeActions,
    () => [],
  ),
  route(
    DefinitionRequest.type,
    'Definition',
    { definitionProvider: true },
    textDocumentUri,
    (service) => service.definition,
    () => null,
  ),
  route(
    DocumentSymbolRequest.type,
    'Document symbols',
    { documentSymbolProvider: true },
    textDocumentUri,
    (service) => service.documentSymbols,
    () => [],
  ),
  route(
    FoldingRangeRequest.type,
    'Folding ranges',
    { foldingRangeProvider: true },
    textDocumentUri,
    (service) => service.foldingRanges,
    () => [],
  ),
  route(
    previewPromptRequest,
    'Prompt preview',
    {},
    (params) => params.uri,
    (service) => service.previewPrompt,
    (params, failure) => ({
      uri: params.uri,
      version: -1,
      elapsedMs: 0,
      error: failure === undefined ? 'The template is not open.' : `The preview failed: ${failure}`,
    }),
  ),
];
