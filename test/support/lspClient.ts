import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type Diagnostic,
  type InitializeResult,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type TextDocumentContentChangeEvent,
} from 'vscode-languageserver-protocol/node';

export const serverBundle = join(__dirname, '..', '..', 'dist', 'server.js');

/**
 * A real LSP client for tests: spawns the built language server over stdio and speaks JSON-RPC to it, the way an
 * editor does. Diagnostics are collected per URI; `waitForDiagnostics` resolves on the next publication.
 */
export class LspTestClient {
  readonly connection: ProtocolConnection;
  private readonly server: ChildProcess;
  private readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
  private readonly waiters: { uri: string; version?: number; resolve: (params: PublishDiagnosticsParams) => void; reject: (error: Error) => void }[] = [];
  readonly stderr: string[] = [];
  private versions = new Map<string, number>();

  private constructor(initializationOptions: unknown) {
    this.server = spawn(process.execPath, [...(process.env.CHATWRIGHT_SERVER_PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.CHATWRIGHT_SERVER_PROF] : []), serverBundle, '--stdio'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.server.stderr!.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString()));
    this.server.on('exit', (code, signal) => {
      const error = new Error(`language server exited (code ${code}, signal ${signal}); stderr: ${this.stderr.join('')}`);
      for (const waiter of this.waiters.splice(0)) waiter.reject(error);
    });
    this.connection = createProtocolConnection(new StreamMessageReader(this.server.stdout!), new StreamMessageWriter(this.server.stdin!));
    this.connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
      this.diagnostics.set(params.uri, params);
      for (const waiter of [...this.waiters]) {
        if (waiter.uri === params.uri && (waiter.version === undefined || params.version === undefined || params.version >= waiter.version)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(params);
        }
      }
    });
    this.connection.onRequest('client/registerCapability', () => null);
    this.connection.onRequest('workspace/configuration', () => []);
    this.connection.listen();
    this.initializationOptions = initializationOptions;
  }

  private readonly initializationOptions: unknown;
  initializeResult: InitializeResult | undefined;

  static async start(initializationOptions: unknown = undefined, rootPath?: string): Promise<LspTestClient> {
    const client = new LspTestClient(initializationOptions);
    client.initializeResult = await client.connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: rootPath ? pathToFileURL(rootPath).href : null,
      workspaceFolders: rootPath ? [{ uri: pathToFileURL(rootPath).href, name: 'test' }] : null,
      capabilities: { textDocument: { publishDiagnostics: { versionSupport: true } }, workspace: { configuration: true } },
      initializationOptions: client.initializationOptions,
    });
    await client.connection.sendNotification(InitializedNotification.type, {});
    return client;
  }

  get pid(): number | undefined {
    return this.server.pid;
  }

  get exited(): boolean {
    return this.server.exitCode !== null || this.server.signalCode !== null;
  }

  /** The next diagnostics published for `uri` (at or after `version` when given). */
  waitForDiagnostics(uri: string, version?: number, timeoutMs = 10_000): Promise<PublishDiagnosticsParams> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for ${uri} within ${timeoutMs} ms; server stderr: ${this.stderr.join('')}`)), timeoutMs);
      this.waiters.push({
        uri,
        ...(version === undefined ? {} : { version }),
        resolve: (params) => {
          clearTimeout(timer);
          resolve(params);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }

  latestDiagnostics(uri: string): Diagnostic[] | undefined {
    return this.diagnostics.get(uri)?.diagnostics;
  }

  async open(uri: string, languageId: string, text: string, timeoutMs?: number): Promise<PublishDiagnosticsParams> {
    this.versions.set(uri, 1);
    const published = this.waitForDiagnostics(uri, 1, timeoutMs);
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version: 1, text } });
    return published;
  }

  async change(uri: string, changes: TextDocumentContentChangeEvent[]): Promise<PublishDiagnosticsParams> {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    const published = this.waitForDiagnostics(uri, version);
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: changes });
    return published;
  }

  async stop(): Promise<void> {
    if (!this.exited) {
      await Promise.race([this.connection.sendRequest(ShutdownRequest.type), new Promise((resolve) => setTimeout(resolve, 2000))]);
      await this.connection.sendNotification(ExitNotification.type).catch(() => undefined);
    }
    this.connection.dispose();
    // Give the server a moment to exit on its own (it flushes what it writes on exit, such as a CPU profile).
    if (!this.exited) await Promise.race([new Promise((resolve) => this.server.once('exit', resolve)), new Promise((resolve) => setTimeout(resolve, 2000))]);
    if (!this.exited) this.server.kill();
  }
}
