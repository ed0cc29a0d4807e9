import { createHash } from 'node:crypto';
import * as vscode from 'vscode';
import { type ChatBackend, type ChatModelInfo } from '../../core/chat/backend';
import { retrievedPassageOf, type ChatSources, type ExampleChoice, type RetrievedPassage } from '../../core/chat/chatRunner';
import { chooseFewShotExamples, readFewShotExamples, type ExamplesReadResult } from '../../core/chat/fewShotExamples';
import { type RenderedTemplate } from '../../core/chat/promptBuilder';
import { renderTemplateForChat } from '../../core/chat/templateAdapter';
import { readBoundedText, UnsafeFileError } from '../../core/files/boundedRead';
import { parsePromptyDocument } from '../../core/prompts/promptyDocument';
import { type TemplateRetrievalSettings, retrievalSettings } from '../../core/prompts/promptySettings';
import { defaultRenderWorkerScript, RenderSandbox } from '../../core/prompts/renderSandbox';
import { type FewShotExample } from '../../shared/chatViewProtocol';
import { type IndexManager } from '../rag/indexManager';
import { type BackendRegistry } from './backendRegistry';
import { resolveWorkspacePath, toWorkspacePath } from './workspacePaths';

/** A workspace file's text: the open editor's (unsaved edits included), else the file's, bounded in size. */
async function readWorkspaceText(relative: string): Promise<{ uri: vscode.Uri; text: string }> {
  const uri = resolveWorkspacePath(relative);
  if (!uri) throw new Error(`${relative} is not a file in this workspace.`);
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open) return { uri, text: open.getText() };
  try {
    return { uri, text: await readBoundedText(uri.fsPath, { kind: 'template' }) };
  } catch (error) {
    throw new Error(error instanceof UnsafeFileError ? error.message : `${relative} cannot be read: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export interface WorkspaceChatSourcesOptions {
  backends: BackendRegistry;
  /** The RAG feature's index of the workspace folders; without it the chat says that no index is available. */
  rag?: IndexManager;
  /** `chatwright.prompts.renderTimeoutMs`, read at each render: the chat's templates get the preview's limit. */
  renderTimeoutMs: () => number;
  /** The render worker's script (the bundle's `renderWorker.js`, or its TypeScript source under tests). */
  renderWorkerScript?: string;
}

/**
 * The chat's sources in this window, the host's one implementation of `ChatSources`: the registered backends, the
 * workspace's `.prompty` templates (rendered in the render sandbox, a worker thread with the preview's time and memory
 * limits, so a runaway template never blocks the extension host), few-shot example files, and the RAG feature's
 * index (the question embedded once for every folder, cancellable with the answer).
 */
export class WorkspaceChatSources implements ChatSources, vscode.Disposable {
  readonly retrieve?: NonNullable<ChatSources['retrieve']>;
  private sandbox: { timeoutMs: number; renderer: RenderSandbox } | undefined;
  private readonly examplesRows = new ParsedExamplesMemo();

  constructor(private readonly options: WorkspaceChatSourcesOptions) {
    const rag = options.rag;
    if (rag) this.retrieve = (query, k, index, signal, paths = []) => retrieveFrom(rag, query, k, index, signal, paths);
  }

  backend(id: string): ChatBackend | undefined {
    return this.options.backends.get(id);
  }

  modelInfo(backend: ChatBackend, model: string): Promise<ChatModelInfo | undefined> {
    return this.options.backends.modelInfo(backend, model);
  }

  /** The indexes the chat's RAG settings can name: one per workspace folder. */
  indexes(): string[] {
    return this.options.rag?.folders.map((client) => client.folder.name) ?? [];
  }

  async renderTemplate(path: string, inputs: Record<string, unknown>, examplesK: number, signal: AbortSignal): Promise<RenderedTemplate> {
    const { uri, text } = await readWorkspaceText(path);
    const roots = (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath);
    const renderer = this.renderer();
    return renderTemplateForChat({ text, templatePath: uri.fsPath, label: path, workspaceRoots: roots, inputs, examplesK, signal }, (request, cancel) => renderer.render(request, cancel));
  }

  async readExamples(path: string, k: number, choice?: ExampleChoice, signal?: AbortSignal): Promise<{ examples: FewShotExample[]; notes: string[] }> {
    const { text } = await readWorkspaceText(path);
    // Random and similar choose among every row: the file is parsed once per text, not once per answer.
    const allRows = choice && choice.selection !== 'first' ? this.examplesRows.rowsOf(path, text) : undefined;
    const read = await chooseFewShotExamples(text, path, k, choice, { ...(signal ? { signal } : {}), ...(allRows ? { allRows } : {}) });
    return { examples: read.examples, notes: read.skipped.slice(0, 5).map((s) => `${path}:${s.line} skipped: ${s.reason}.`) };
  }

  async templateRetrieval(path: string): Promise<TemplateRetrievalSettings | undefined> {
    const { text } = await readWorkspaceText(path);
    return retrievalSettings(parsePromptyDocument(text).frontMatter?.data);
  }

  /** The sandbox for the current time limit: a changed setting replaces it (its worker is stopped). */
  private renderer(): RenderSandbox {
    const timeoutMs = this.options.renderTimeoutMs();
    if (this.sandbox?.timeoutMs !== timeoutMs) {
      void this.sandbox?.renderer.dispose();
      this.sandbox = { timeoutMs, renderer: new RenderSandbox({ workerScript: this.options.renderWorkerScript ?? defaultRenderWorkerScript(), timeoutMs }) };
    }
    return this.sandbox.renderer;
  }

  dispose(): void {
    void this.sandbox?.renderer.dispose();
    this.sandbox = undefined;
  }
}

/** Examples files kept parsed: a comparison asks for examples once per answer, from the same few files. */
const examplesFilesKept = 8;

/** Every row of an examples file, parsed once per (path, text): a changed text is parsed again. */
export class ParsedExamplesMemo {
  private readonly kept = new Map<string, { hash: string; rows: ExamplesReadResult }>();

  rowsOf(path: string, text: string): ExamplesReadResult {
    const hash = createHash('sha256').update(text).digest('hex');
    const kept = this.kept.get(path);
    if (kept?.hash === hash) return kept.rows;
    const rows = readFewShotExamples(text, path, Number.MAX_SAFE_INTEGER);
    this.kept.delete(path);
    this.kept.set(path, { hash, rows });
    // The least recently parsed file goes first.
    if (this.kept.size > examplesFilesKept) this.kept.delete(this.kept.keys().next().value!);
    return rows;
  }
}

/** Passages from the workspace's indexes, located by workspace-relative path; `index` keeps one folder's. */
async function retrieveFrom(rag: IndexManager, query: string, k: number, index: string | undefined, signal: AbortSignal, paths: readonly string[]): Promise<RetrievedPassage[]> {
  const pathFilter = paths.length === 0 ? undefined : paths.length === 1 ? paths[0] : `{${paths.join(',')}}`;
  // Ask for more when one folder is wanted: the manager merges all folders' hits before cutting at k.
  const result = await rag.search(query, { k: index ? k * 4 : k, ...(pathFilter ? { pathFilter } : {}) }, signal);
  const hits = index ? result.hits.filter((hit) => hit.folder.name === index) : result.hits;
  return hits.slice(0, k).map((hit) => retrievedPassageOf(hit, toWorkspacePath(hit.uri)));
}
