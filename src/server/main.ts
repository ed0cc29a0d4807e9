import { fileURLToPath } from 'node:url';
import {
  CodeActionKind,
  createConnection,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type Diagnostic,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { type ServerSettings } from '../shared/languageServerProtocol';
import { DocumentChangeLog } from './documentChangeLog';
import { defaultServerSettings, serverSettingsFrom } from './serverSettings';
import { type LanguageService, type ServiceEnvironment } from './languageService';
import { createLanguageServices } from './services';

// The transport (--node-ipc from the extension, --stdio from tests and other editors) is chosen by the command line.
const connection = createConnection(ProposedFeatures.all);
// Every incremental change is kept by version, so a service can catch up on just the edited lines.
const changeLog = new DocumentChangeLog();
const documents = new TextDocuments<TextDocument>({
  create: (uri, languageId, version, content) => {
    changeLog.forget(uri);
    return TextDocument.create(uri, languageId, version, content);
  },
  update: (document, changes, version) => {
    changeLog.record(document.uri, document.version, version, changes);
    return TextDocument.update(document, changes, version);
  },
});
let settings: ServerSettings = defaultServerSettings;
let workspaceFolders: string[] = [];

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

const environment: ServiceEnvironment = {
  settings: () => settings,
  workspaceFolders: () => workspaceFolders,
  log: (message) => connection.console.log(message),
  changesBetween: (uri, from, to) => changeLog.between(uri, from, to),
  revalidate: (uri) => {
    const document = documents.get(uri);
    if (document) void publish(document);
  },
};
const services = createLanguageServices(environment);

function serviceFor(uri: string): { service: LanguageService; document: TextDocument } | undefined {
  const document = documents.get(uri);
  const service = document && services[document.languageId];
  return document && service ? { service, document } : undefined;
}

/** Runs a handler; a failure is logged and answered with `fallback`, so one bad document never stops the server. */
async function guarded<T>(what: string, fallback: T, handler: () => T | Promise<T>): Promise<T> {
  try {
    return await handler();
  } catch (error) {
    connection.console.error(`${what} failed: ${describe(error)}`);
    return fallback;
  }
}

async function publish(document: TextDocument): Promise<void> {
  const service = services[document.languageId];
  const diagnostics: Diagnostic[] = service?.diagnose ? await guarded(`Checking ${document.uri}`, [], () => service.diagnose!(document)) : [];
  // Drop results for a version the user has already edited past.
  if (documents.get(document.uri)?.version !== document.version) return;
  await connection.sendDiagnostics({ uri: document.uri, version: document.version, diagnostics });
}

connection.onInitialize((params) => {
  settings = serverSettingsFrom(params.initializationOptions);
  workspaceFolders = (params.workspaceFolders ?? []).map((folder) => fileURLToPath(folder.uri));
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
      completionProvider: { triggerCharacters: ['{', ' ', '.', ':', '"', '/', '|'], resolveProvider: false },
      hoverProvider: true,
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, CodeActionKind.Source] },
      definitionProvider: true,
      documentSymbolProvider: true,
      foldingRangeProvider: true,
    },
    serverInfo: { name: 'chatwright-language-server' },
  };
});

// Settings arrive only from the client, already decided by its trust rules (the extension's Config): the server never
// registers for configuration sync or asks for `workspace/configuration`, which would hand it the raw workspace values.
connection.onDidChangeConfiguration((change) => {
  const section = (change.settings as { chatwright?: unknown } | undefined)?.chatwright;
  if (section !== undefined) settings = serverSettingsFrom(section);
  for (const document of documents.all()) void publish(document);
});

connection.onCompletion((params) => {
  const target = serviceFor(params.textDocument.uri);
  return target?.service.complete ? guarded('Completion', [], () => target.service.complete!(target.document, params)) : [];
});
connection.onHover((params) => {
  const target = serviceFor(params.textDocument.uri);
  return target?.service.hover ? guarded('Hover', null, () => target.service.hover!(target.document, params)) : null;
});
connection.onCodeAction((params) => {
  const target = serviceFor(params.textDocument.uri);
  return target?.service.codeActions ? guarded('Code actions', [], () => target.service.codeActions!(target.document, params)) : [];
});
connection.onDefinition((params) => {
  const target = serviceFor(params.textDocument.uri);
  return target?.service.definition ? guarded('Definition', null, () => target.service.definition!(target.document, params)) : null;
});
connection.onDocumentSymbol((params) => {
  const target = serviceFor(params.textDocument.uri);
  return target?.service.documentSymbols ? guarded('Document symbols', [], () => target.service.documentSymbols!(target.document)) : [];
});
connection.onFoldingRanges((params) => {
  const target = serviceFor(params.textDocument.uri);
  return target?.service.foldingRanges ? guarded('Folding ranges', [], () => target.service.foldingRanges!(target.document)) : [];
});

for (const service of Object.values(services)) {
  for (const [method, handler] of Object.entries(service.requests ?? {})) {
    connection.onRequest(method, (params: unknown) => guarded(method, null, () => handler(params, (uri) => documents.get(uri))));
  }
}
connection.onShutdown(async () => {
  for (const service of Object.values(services)) await guarded('Shutdown', undefined, () => service.dispose?.());
});

documents.onDidChangeContent((event) => void publish(event.document));
documents.onDidClose((event) => {
  changeLog.forget(event.document.uri);
  services[event.document.languageId]?.forget?.(event.document.uri);
  void connection.sendDiagnostics({ uri: event.document.uri, diagnostics: [] });
});

process.on('uncaughtException', (error) => connection.console.error(`Uncaught: ${describe(error)}`));
process.on('unhandledRejection', (error) => connection.console.error(`Unhandled rejection: ${describe(error)}`));
documents.listen(connection);
connection.listen();
