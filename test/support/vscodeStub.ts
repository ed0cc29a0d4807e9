// A stand-in for the `vscode` module, so that host code which uses only a little of the API (workspace folders,
// events, URIs) can be tested under Node's test runner with its real workers. Import this module before the host
// modules under test: it makes `require('vscode')` return the stand-in. Only what those modules use is here.
import Module from 'node:module';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

export class Disposable {
  constructor(private readonly onDispose: () => void) {}
  dispose(): void {
    this.onDispose();
  }
}

export class EventEmitter<T> {
  private readonly listeners = new Set<(value: T) => void>();
  readonly event = (listener: (value: T) => void): Disposable => {
    this.listeners.add(listener);
    return new Disposable(() => this.listeners.delete(listener));
  };
  fire(value: T): void {
    for (const listener of [...this.listeners]) listener(value);
  }
  dispose(): void {
    this.listeners.clear();
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly fsPath: string,
  ) {}
  static file(path: string): Uri {
    return new Uri('file', path);
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return new Uri(base.scheme, join(base.fsPath, ...parts));
  }
  get path(): string {
    return this.fsPath.split(sep).join('/');
  }
  toString(): string {
    return pathToFileURL(this.fsPath).toString();
  }
}

export interface WorkspaceFolder {
  uri: Uri;
  name: string;
  index: number;
}

const foldersChanged = new EventEmitter<unknown>();
const configurationChanged = new EventEmitter<unknown>();

export const workspace = {
  workspaceFolders: undefined as WorkspaceFolder[] | undefined,
  textDocuments: [] as { uri: Uri; getText(): string }[],
  onDidChangeWorkspaceFolders: foldersChanged.event,
  onDidChangeConfiguration: configurationChanged.event,
  getWorkspaceFolder(uri: Uri): WorkspaceFolder | undefined {
    return workspace.workspaceFolders?.find((folder) => !relative(folder.uri.fsPath, uri.fsPath).startsWith('..'));
  },
  asRelativePath(uri: Uri, includeWorkspaceFolder: boolean): string {
    const folder = workspace.getWorkspaceFolder(uri);
    if (!folder) return uri.fsPath;
    const path = relative(folder.uri.fsPath, uri.fsPath).split(sep).join('/');
    return includeWorkspaceFolder ? `${folder.name}/${path}` : path;
  },
  createFileSystemWatcher(): unknown {
    const never = (): Disposable => new Disposable(() => undefined);
    return { onDidCreate: never, onDidChange: never, onDidDelete: never, dispose: () => undefined };
  },
};

/** Sets the open workspace folders (the stand-in for opening a folder or a multi-root workspace). */
export function openFolders(paths: readonly string[]): WorkspaceFolder[] {
  workspace.workspaceFolders = paths.map((path, index) => ({ uri: Uri.file(path), name: path.split(sep).pop() ?? path, index }));
  return workspace.workspaceFolders;
}

export const window = {
  showWarningMessage: (): Promise<undefined> => Promise.resolve(undefined),
  showInformationMessage: (): Promise<undefined> => Promise.resolve(undefined),
};

export const commands = {
  executeCommand: (): Promise<undefined> => Promise.resolve(undefined),
};

/** The editor's diagnostic severities (host modules map findings to them when they load). */
export enum DiagnosticSeverity {
  Error = 0,
  Warning = 1,
  Information = 2,
  Hint = 3,
}

const stub = { Disposable, EventEmitter, Uri, workspace, window, commands, DiagnosticSeverity };

const loader = Module as unknown as { _load(request: string, parent: unknown, isMain: boolean): unknown };
const load = loader._load.bind(loader);
loader._load = (request, parent, isMain) => (request === 'vscode' ? stub : load(request, parent, isMain));
