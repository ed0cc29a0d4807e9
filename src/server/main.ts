import { fileURLToPath } from 'node:url';
import { createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind, type Diagnostic, type ServerCapabilities } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { didChangeServerSettingsNotification, type ServerSettings } from '../shared/languageServerProtocol';
import { describeError, guarded, requestRoutes, type ServerState } from './handlers';
import { type ServiceEnvironment } from './languageService';
import { defaultServerSettings, serverSettingsFrom } from './serverSettings';
import { createLanguageServices } from './services';

// The transport (--node-ipc from the extension, --stdio from tests and other editors) is chosen by the command line.
const connection = createConnection(ProposedFeatures.all);
let settings: ServerSettings = defaultServerSettings;
let workspaceFolders: string[] = [];

const environment: ServiceEnvironment = {
  settings: () => settings,
  workspaceFolders: () => workspaceFolders,
  log: (message) => connection.console.log(message),
  revalidate: (uri) => {
    const document = state.documents.get(uri);
    if (document) void publish(document);
  },
};
const services = createLanguageServices(environment);

const state: ServerState = {
  // Each service receives the editor's incremental changes as they arrive (before the new version is checked).
  documents: new TextDocuments<TextDocument>({
    create: (uri, languageId, version, content) => {
      services[languageId]?.forget?.(uri);
      return TextDocument.create(uri, languageId, version, content);
    },
    update: (document, changes, version) => {
      services[document.languageId]?.didChange?.(document.uri, document.version, version, changes);
      return TextDocument.update(document, changes, version);
    },
  }),
  services,
  logError: (message) => connection.console.error(message),
};

async function publish(document: TextDocument): Promise<void> {
  const diagnose = services[document.languageId]?.diagnose;
  const diagnostics: Diagnostic[] = diagnose
    ? await guarded(
        state,
        `Checking ${document.uri}`,
        () => [],
        () => diagnose(document),
      )
    : [];
  // Drop results for a version the user has already edited past.
  if (state.documents.get(document.uri)?.version !== document.version) return;
  await connection.sendDiagnostics({ uri: document.uri, version: document.version, diagnostics });
}

connection.onInitialize((params) => {
  settings = serverSettingsFrom(params.initializationOptions);
  workspaceFolders = (params.workspaceFolders ?? []).map((folder) => fileURLToPath(folder.uri));
  return {
    capabilities: requestRoutes.reduce<ServerCapabilities>((all, route) => ({ ...all, ...route.capability }), { textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental } }),
    serverInfo: { name: 'chatwright-language-server' },
  };
});

// Settings arrive only from the client, already decided by its trust rules (the extension's Config): the server never
// registers for configuration sync or asks for `workspace/configuration`, which would hand it the raw workspace values.
connection.onNotification(didChangeServerSettingsNotification, (change) => {
  // Other clients may send any shape: every field is checked again.
  const section = (change as { settings?: { chatwright?: unknown } } | undefined)?.settings?.chatwright;
  if (section !== undefined) settings = serverSettingsFrom(section);
  for (const document of state.documents.all()) void publish(document);
});

for (const route of requestRoutes) route.register(connection, state);

connection.onShutdown(async () => {
  for (const service of Object.values(services)) {
    const dispose = service.dispose;
    if (dispose)
      await guarded(
        state,
        'Shutdown',
        () => undefined,
        () => dispose(),
      );
  }
});

state.documents.onDidChangeContent((event) => void publish(event.document));
state.documents.onDidClose((event) => {
  services[event.document.languageId]?.forget?.(event.document.uri);
  void connection.sendDiagnostics({ uri: event.document.uri, diagnostics: [] });
});

process.on('uncaughtException', (error) => connection.console.error(`Uncaught: ${describeError(error)}`));
process.on('unhandledRejection', (error) => connection.console.error(`Unhandled rejection: ${describeError(error)}`));
state.documents.listen(connection);
connection.listen();
