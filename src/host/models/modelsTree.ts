import * as vscode from 'vscode';
import { type CachedModel, type CachedRevision, scanHubCacheDetailed } from '../../core/hub/cacheScan';
import { type ModelSummary } from '../../core/hub/hubClient';
import { detectHardware } from '../../core/hub/hardware';
import { quickFit, type Hardware } from '../../core/hub/memoryEstimate';
import { describeModelFiles, modelCapabilities } from '../../core/hub/modelFormats';
import { type LocalModel } from '../../core/hub/localModelFolder';
import { formatParameters } from '../../core/hub/modelLookup';
import { formatBytes } from '../../core/text/byteSize';
import { countOf, modelKindIcon, shortModelName, splitMessage } from '../../core/views/modelRows';
import { LocalModelFolders } from './localModelFolders';
import { type ModelKind, type ModelSelection } from './modelSelection';

/** A node of the Models view. `contextValue` drives the inline actions declared in package.json. */
export type ModelsNode =
  | { type: 'selection'; kind: ModelKind }
  | { type: 'cacheRoot' }
  | { type: 'localRoot' }
  | { type: 'local'; model: LocalModel }
  | { type: 'cached'; model: CachedModel }
  | { type: 'revision'; model: CachedModel; revision: CachedRevision }
  | { type: 'searchRoot' }
  | { type: 'hub'; model: ModelSummary }
  | { type: 'message'; text: string; icon?: string };

/** The id a node stands for, when it stands for a model (commands invoked from the view receive nodes). */
export function modelIdOf(node: unknown): string | undefined {
  if (typeof node === 'string') return node;
  if (typeof node !== 'object' || node === null || !('type' in node)) return undefined;
  const typed = node as ModelsNode;
  if (typed.type === 'cached' || typed.type === 'revision') return typed.model.repoId;
  if (typed.type === 'hub') return typed.model.id;
  if (typed.type === 'local') return typed.model.folder;
  return undefined;
}

/** The local folder a node stands for (the engine opens it as it is; nothing to download). */
export function localFolderOf(node: unknown): string | undefined {
  if (typeof node !== 'object' || node === null || !('type' in node)) return undefined;
  const typed = node as ModelsNode;
  if (typed.type === 'local') return typed.model.folder;
  return undefined;
}

/**
 * The Models view: the chosen chat and embedding models, the local Hugging Face cache (offline), the model folders the
 * user added, and the last Hub search. With none of these it shows nothing, so VS Code shows the view's welcome content
 * (package.json `viewsWelcome`): the next step, which depends on whether the Hub can be used.
 */
export class ModelsTreeProvider implements vscode.TreeDataProvider<ModelsNode> {
  static readonly viewId = 'chatwright.models';
  private readonly changed = new vscode.EventEmitter<ModelsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private cache: CachedModel[] | undefined;
  private cacheSummary = '';
  private cacheWarnings: string[] = [];
  private search: { query: string; results: ModelSummary[] | undefined } | undefined;

  constructor(
    private readonly selection: ModelSelection,
    private readonly env: () => NodeJS.ProcessEnv,
    private readonly locals: LocalModelFolders,
  ) {
    selection.onDidChange(() => this.changed.fire(undefined));
    locals.onDidChange(() => this.changed.fire(undefined));
  }

  dispose(): void {
    this.changed.dispose();
  }

  /** Rescans the cache on the next expansion. */
  refresh(): void {
    this.cache = undefined;
    this.changed.fire(undefined);
  }

  showSearch(query: string, results: ModelSummary[] | undefined): void {
    this.search = { query, results };
    this.changed.fire(undefined);
    if (results && results.length > 0) void machineHardware().then(() => this.changed.fire(undefined));
  }

  /** A search that failed is reported as an error notification; its section goes rather than look like "no results". */
  clearSearch(): void {
    this.search = undefined;
    this.changed.fire(undefined);
  }

  async cachedModels(): Promise<CachedModel[]> {
    if (!this.cache) {
      const scan = await scanHubCacheDetailed(this.env());
      this.cache = scan.models;
      this.cacheWarnings = scan.warnings;
      this.cacheSummary = `${countOf(scan.models.length, 'model')} · ${formatBytes(scan.sizeOnDisk)}`;
    }
    return this.cache;
  }

  async getChildren(node?: ModelsNode): Promise<ModelsNode[]> {
    if (!node) {
      const cached = await this.cachedModels();
      const locals = this.locals.list();
      const nothingYet = cached.length === 0 && this.cacheWarnings.length === 0 && locals.length === 0 && !this.search && !this.selection.get('chat') && !this.selection.get('embedding');
      if (nothingYet) return [];
      return [
        { type: 'selection', kind: 'chat' },
        { type: 'selection', kind: 'embedding' },
        ...(locals.length > 0 ? [{ type: 'localRoot' } as const] : []),
        { type: 'cacheRoot' },
        ...(this.search ? [{ type: 'searchRoot' } as const] : []),
      ];
    }
    if (node.type === 'localRoot') return this.locals.list().map((model) => ({ type: 'local', model }));
    if (node.type === 'cacheRoot') {
      const models = await this.cachedModels();
      if (models.length === 0) return [{ type: 'message', text: 'No models in the Hugging Face cache.', icon: 'info' }];
      return [...models.map((model): ModelsNode => ({ type: 'cached', model })), ...this.cacheWarnings.slice(0, 5).map((text): ModelsNode => ({ type: 'message', text, icon: 'warning' }))];
    }
    if (node.type === 'cached') return node.model.revisions.map((revision) => ({ type: 'revision', model: node.model, revision }));
    if (node.type === 'searchRoot' && this.search) {
      if (!this.search.results) return [{ type: 'message', text: 'Searching…', icon: 'loading~spin' }];
      if (this.search.results.length === 0) return [{ type: 'message', text: 'No models found.', icon: 'info' }];
      return this.search.results.map((model) => ({ type: 'hub', model }));
    }
    return [];
  }

  getTreeItem(node: ModelsNode): vscode.TreeItem {
    switch (node.type) {
      case 'selection': {
        const id = this.selection.get(node.kind);
        const local = id ? this.locals.find(id) : undefined;
        const item = new vscode.TreeItem(node.kind === 'chat' ? 'Chat model' : 'Embedding model', vscode.TreeItemCollapsibleState.None);
        item.description = local ? `${local.name} (local folder)` : id ? shortModelName(id) : 'not chosen';
        item.iconPath = new vscode.ThemeIcon(modelKindIcon[node.kind]);
        item.contextValue = `selection.${node.kind}`;
        item.command = { command: node.kind === 'chat' ? 'chatwright.models.pickChatModel' : 'chatwright.models.pickEmbeddingModel', title: 'Pick' };
        item.tooltip = id ? `${id}\nClick to choose another model.` : `No ${node.kind} model chosen yet. Click to choose one.`;
        return item;
      }
      case 'cacheRoot': {
        const item = new vscode.TreeItem('Local cache', vscode.TreeItemCollapsibleState.Expanded);
        item.description = this.cacheSummary;
        item.iconPath = new vscode.ThemeIcon('database');
        item.contextValue = 'cacheRoot';
        item.tooltip = 'Models in the Hugging Face cache (HF_HUB_CACHE / HF_HOME), shared with Python.';
        return item;
      }
      case 'localRoot': {
        const item = new vscode.TreeItem('Local folders', vscode.TreeItemCollapsibleState.Expanded);
        item.description = String(this.locals.list().length);
        item.iconPath = new vscode.ThemeIcon('folder-library');
        item.contextValue = 'localRoot';
        item.tooltip = 'Model folders added with "Use a Local Model Folder…": used as they are, never downloaded.';
        return item;
      }
      case 'local': {
        const present = LocalModelFolders.present(node.model);
        const selectedAs = (['chat', 'embedding'] as const).filter((kind) => this.selection.get(kind) === node.model.folder);
        const item = new vscode.TreeItem(node.model.name, vscode.TreeItemCollapsibleState.None);
        item.description = [present ? '' : 'folder missing', node.model.role ?? '', ...selectedAs.map((kind) => `✓ ${kind}`)].filter(Boolean).join(' · ') || node.model.folder;
        item.iconPath = new vscode.ThemeIcon(!present ? 'warning' : selectedAs.length > 0 ? 'pass-filled' : 'folder');
        item.contextValue = 'localModel';
        item.id = `local:${node.model.folder}`;
        item.tooltip = new vscode.MarkdownString()
          .appendMarkdown(`**${node.model.name}**\n\n`)
          .appendText(`${node.model.summary}\n${node.model.folder}${present ? '' : '\nThe folder is gone: remove it from the list or add it again.'}`);
        return item;
      }
      case 'cached': {
        const item = new vscode.TreeItem(node.model.repoId, vscode.TreeItemCollapsibleState.Collapsed);
        const selectedAs = (['chat', 'embedding'] as const).filter((kind) => this.selection.get(kind)?.split('@')[0] === node.model.repoId);
        const files = describeModelFiles(node.model.revisions[0]?.files.map((file) => file.path) ?? []);
        item.description = [
          formatBytes(node.model.sizeOnDisk),
          files.onnxVariants.length > 0 ? `onnx ${files.onnxVariants.join(',')}` : files.formats.join(','),
          ...selectedAs.map((kind) => `✓ ${kind}`),
          node.model.incompleteBytes > 0 ? 'partial download' : '',
        ]
          .filter(Boolean)
          .join(' · ');
        item.iconPath = new vscode.ThemeIcon(selectedAs.length > 0 ? 'pass-filled' : 'package');
        item.contextValue = 'cachedModel';
        item.id = `cache:${node.model.repoId}`;
        item.tooltip = new vscode.MarkdownString(
          `**${node.model.repoId}**\n\n${formatBytes(node.model.sizeOnDisk)} on disk · last changed ${node.model.lastModified.toISOString().slice(0, 10)}\n\n${modelCapabilities(files).summary}\n\n\`${node.model.folder}\``,
        );
        return item;
      }
      case 'revision': {
        const item = new vscode.TreeItem(node.revision.commit.slice(0, 12), vscode.TreeItemCollapsibleState.None);
        item.description = `${node.revision.refs.join(', ')} · ${node.revision.files.length} files · ${formatBytes(node.revision.size)}`;
        item.iconPath = new vscode.ThemeIcon('git-commit');
        item.resourceUri = vscode.Uri.file(node.revision.folder);
        item.tooltip = node.revision.files.map((file) => `${file.path}  ${formatBytes(file.size)}${file.present ? '' : ' (missing)'}`).join('\n');
        item.contextValue = 'cachedRevision';
        return item;
      }
      case 'searchRoot': {
        const item = new vscode.TreeItem(`Hub search: ${this.search?.query || 'popular'}`, vscode.TreeItemCollapsibleState.Expanded);
        item.iconPath = new vscode.ThemeIcon('search');
        item.description = this.search?.results ? `${this.search.results.length} models` : '';
        item.contextValue = 'searchRoot';
        return item;
      }
      case 'hub':
        return hubItem(node.model);
      case 'message': {
        const { label, detail } = splitMessage(node.text);
        const item = new vscode.TreeItem(label, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon(node.icon ?? 'info');
        if (detail) item.description = detail;
        item.tooltip = node.text;
        return item;
      }
    }
  }
}

let hardware: Hardware | undefined;
let probing: Promise<Hardware> | undefined;

/** The machine's memory, probed once (nvidia-smi runs in a child process, off this thread). */
export function machineHardware(): Promise<Hardware> {
  probing ??= detectHardware().then((found) => (hardware = found));
  return probing;
}

/** "fits CPU onnx q4 · 1.0 GB" from the parameter count, once the hardware is known. */
export function fitHint(model: ModelSummary): string {
  if (!hardware) return '';
  const hint = quickFit(model.parameters, model.capabilities.onnxEngine ? model.files.onnxVariants : [], hardware);
  if (!hint) return '';
  if (hint.fit === 'no-device') return `needs an NVIDIA GPU (${hint.label} ${formatBytes(hint.bytes)})`;
  const words = { fits: '✓ fits', tight: '~ tight', 'does-not-fit': '✗ too big for' } as const;
  return `${words[hint.fit]} ${hint.label} (${formatBytes(hint.bytes)})`;
}

/** A one-line description of a Hub model: parameters, licence, formats and quantizations. */
export function summaryDescription(model: ModelSummary, withFit = true): string {
  const formats = model.files.formats.map((format) => (format === 'onnx' && model.files.onnxVariants.length > 0 ? `onnx ${model.files.onnxVariants.join(',')}` : format));
  return [
    formatParameters(model.parameters),
    model.license ?? 'licence ?',
    formats.join(' · ') || 'no weights listed',
    model.gated ? 'gated' : '',
    model.private ? 'private' : '',
    withFit ? fitHint(model) : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

export function summaryTooltip(model: ModelSummary): vscode.MarkdownString {
  const markdown = new vscode.MarkdownString();
  markdown.appendMarkdown(`**${model.id}**\n\n`);
  markdown.appendText(`${model.task ?? 'task unknown'} · ${formatParameters(model.parameters)} parameters · licence ${model.license ?? 'unknown'}\n`);
  markdown.appendText(`languages: ${model.languages.join(', ') || 'not stated'} · ↓ ${model.downloads.toLocaleString('en')} · ♥ ${model.likes.toLocaleString('en')}\n`);
  if (model.gated) markdown.appendText(`gated (${model.gated}): request access on the model's page\n`);
  markdown.appendText(`formats: ${model.files.formats.join(', ') || 'none'}${model.files.onnx.length > 0 ? ` · ONNX files: ${model.files.onnx.map((file) => file.path).join(', ')}` : ''}\n`);
  markdown.appendText(`Chatwright: ${model.capabilities.summary}`);
  const hint = fitHint(model);
  if (hint) markdown.appendText(`\nHardware (first estimate from the parameter count): ${hint}; run Check Model Hardware Fit for the full estimate.`);
  return markdown;
}

function hubItem(model: ModelSummary): vscode.TreeItem {
  const item = new vscode.TreeItem(model.id, vscode.TreeItemCollapsibleState.None);
  item.description = summaryDescription(model);
  item.tooltip = summaryTooltip(model);
  item.iconPath = new vscode.ThemeIcon(model.capabilities.onnxEngine ? 'play-circle' : model.capabilities.pythonBackend ? 'server-process' : 'circle-slash');
  item.contextValue = model.gated || model.private ? 'hubModel.restricted' : 'hubModel';
  item.id = `hub:${model.id}`;
  return item;
}
