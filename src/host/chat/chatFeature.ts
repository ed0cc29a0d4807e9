import * as vscode from 'vscode';
import { type ChatBackend } from '../../core/chat/backend';
import { type ChatSources, type RetrievedPassage } from '../../core/chat/chatRunner';
import { readFewShotExamples } from '../../core/chat/fewShotExamples';
import { scanHubCache } from '../../core/hub/cacheScan';
import { OpenAiCompatibleBackend } from '../../core/chat/openAiCompatibleBackend';
import { renderTemplateForChat } from '../../core/chat/templateAdapter';
import { parsePromptyDocument } from '../../core/prompts/promptyDocument';
import { defaultRenderWorkerScript, RenderSandbox } from '../../core/prompts/renderSandbox';
import { retrievalSettings } from '../../core/prompts/promptySettings';
import { type Ctx } from '../context';
import { type ModelSelection } from '../models/modelSelection';
import { BackendRegistry } from './backendRegistry';
import { ChatPanels } from './chatPanels';
import { ChatService } from './chatService';
import { ChatViewProvider } from './chatViewProvider';
import { EndpointKeys } from './endpointKeys';
import { type ChatWorkspaceInfo } from './chatWebview';
import { EngineChatBackend, type EngineGenerate } from './engineBackend';
import { engineGenerateFrom, retrievalFrom } from './featureAdapters';
import { type EngineHost } from '../engine/engineHost';
import { type IndexManager } from '../rag/indexManager';
import { listWorkspaceFiles, resolveWorkspacePath, toWorkspacePath } from './workspacePaths';
import { readBoundedText, UnsafeFileError } from '../../core/files/boundedRead';

/** Retrieval as the RAG feature (#7) offers it to the chat: its indexes and a search returning located passages. */
export interface ChatRetrieval {
  indexes(): string[];
  retrieve(query: string, k: number, index: string | undefined, signal: AbortSignal, paths?: readonly string[]): Promise<RetrievedPassage[]>;
}

export interface ChatDeps {
  modelSelection: ModelSelection;
  /** The inference engine feature: the built-in backend generates with it. */
  engine?: EngineHost;
  /** The RAG feature's index: what RAG retrieves from. */
  rag?: IndexManager;
}

/** What the chat hands back for the extension's API: other extensions and the tests plug backends in here. */
export interface ChatHandles {
  view: ChatViewProvider;
  panels: ChatPanels;
  service: ChatService;
  registerBackend(backend: ChatBackend): vscode.Disposable;
  /** The API keys of `chatwright.chat.endpoints`, in SecretStorage. */
  endpointKeys: EndpointKeys;
  /** Settles when the endpoints of the latest settings, trust and keys are registered as backends. */
  endpointsRegistered(): Promise<void>;
  /**
   * Where the built-in engine backend sends its requests: the inference engine feature (#6) hands in its client
   * here when it starts. Until then the engine backend answers `backend-unavailable`.
   */
  useEngine(engine: EngineGenerate): vscode.Disposable;
  /** Where RAG retrieves from: the RAG feature (#7) hands in its retrieval API here. */
  useRetrieval(retrieval: ChatRetrieval): vscode.Disposable;
}

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

export function registerChat(ctx: Ctx, deps: ChatDeps): ChatHandles {
  const backends = ctx.own(new BackendRegistry());
  const selectedModel = () => deps.modelSelection.chatModel;
  let engine: EngineGenerate | undefined = deps.engine ? engineGenerateFrom(deps.engine) : undefined;
  let retrieval: ChatRetrieval | undefined = deps.rag ? retrievalFrom(deps.rag) : undefined;
  ctx.own(backends.register(new EngineChatBackend(() => engine, selectedModel, () => scanHubCache())));
  ctx.own(deps.modelSelection.onDidChange(() => backends.invalidate()));

  const endpointKeys = new EndpointKeys(ctx);
  let endpointRegistrations: vscode.Disposable[] = [];
  let endpointGeneration = 0;
  const registerEndpoints = async (): Promise<void> => {
    const generation = ++endpointGeneration;
    const endpoints = ctx.config.chatEndpoints;
    const keys = await Promise.all(endpoints.map((endpoint) => endpointKeys.keyFor(endpoint).catch(() => undefined)));
    // A newer change (settings, trust, a key) started while the keys were read: it registers instead.
    if (generation !== endpointGeneration) return;
    for (const d of endpointRegistrations) d.dispose();
    endpointRegistrations = endpoints.flatMap((endpoint, index) => {
      try {
        const apiKey = keys[index];
        return [backends.register(new OpenAiCompatibleBackend({ id: endpoint.id, label: endpoint.label, baseUrl: endpoint.baseUrl, ...(apiKey ? { apiKey } : {}) }))];
      } catch (error) {
        ctx.log.warn(`Chat endpoint ${endpoint.id} skipped: ${error instanceof Error ? error.message : String(error)}`);
        return [];
      }
    });
  };
  let endpointsRegistered = Promise.resolve();
  const reregisterEndpoints = () => {
    endpointsRegistered = registerEndpoints().catch((error: unknown) => ctx.log.error(`Chat endpoints not registered: ${error instanceof Error ? error.message : String(error)}`));
  };
  reregisterEndpoints();
  ctx.own(vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('chatwright.chat.endpoints') && reregisterEndpoints()));
  ctx.own(vscode.workspace.onDidGrantWorkspaceTrust(reregisterEndpoints));
  ctx.own(endpointKeys.onDidChange(reregisterEndpoints));
  ctx.own({
    dispose: () => {
      endpointGeneration++;
      for (const d of endpointRegistrations) d.dispose();
    },
  });

  const roots = () => (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  // Templates render in a worker thread with time and memory limits: a runaway one must not freeze the editor.
  let sandbox: { timeoutMs: number; renderer: RenderSandbox } | undefined;
  const renderSandbox = (): RenderSandbox => {
    const timeoutMs = ctx.config.prompts.renderTimeoutMs;
    if (sandbox?.timeoutMs !== timeoutMs) {
      void sandbox?.renderer.dispose();
      sandbox = { timeoutMs, renderer: new RenderSandbox({ workerScript: defaultRenderWorkerScript(), timeoutMs }) };
    }
    return sandbox.renderer;
  };
  ctx.own({ dispose: () => void sandbox?.renderer.dispose() });
  const sources = (): Omit<ChatSources, 'backend' | 'modelInfo'> => {
    const rag = retrieval;
    return {
      renderTemplate: async (path, inputs, examplesK, signal) => {
        const { uri, text } = await readWorkspaceText(path);
        return renderTemplateForChat({ text, templatePath: uri.fsPath, label: path, workspaceRoots: roots(), inputs, examplesK, signal }, (request, cancel) => renderSandbox().render(request, cancel));
      },
      readExamples: async (path, k) => {
        const { text } = await readWorkspaceText(path);
        const read = readFewShotExamples(text, path, k);
        return { examples: read.examples, notes: read.skipped.slice(0, 5).map((s) => `${path}:${s.line} skipped: ${s.reason}.`) };
      },
      templateRetrieval: async (path) => {
        const { text } = await readWorkspaceText(path);
        return retrievalSettings(parsePromptyDocument(text).frontMatter?.data);
      },
      ...(rag ? { retrieve: (query: string, k: number, index: string | undefined, signal: AbortSignal, paths?: readonly string[]) => rag.retrieve(query, k, index, signal, paths) } : {}),
    };
  };

  const service = ctx.own(new ChatService(ctx, backends, sources, selectedModel));
  const workspace: ChatWorkspaceInfo = {
    templates: () => listWorkspaceFiles('**/*.prompty'),
    examplesFiles: () => listWorkspaceFiles('**/*.{jsonl,ndjson}'),
    indexes: () => retrieval?.indexes() ?? [],
    selectedChatModel: selectedModel,
  };
  const view = new ChatViewProvider(ctx, service, workspace);
  ctx.own(vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, view));
  const panels = ctx.own(new ChatPanels(ctx, service, workspace));
  ctx.own(vscode.window.registerWebviewPanelSerializer(ChatPanels.viewType, panels));

  ctx.registerCommands({
    'chatwright.chat.openInEditor': () => {
      panels.open(view.activeConversationId);
    },
    'chatwright.chat.setEndpointApiKey': (endpointId?: unknown) => endpointKeys.prompt(endpointId),
    // The prompt preview's "Try in Chat": a new conversation in an editor panel, with this template selected.
    'chatwright.chat.tryTemplate': async (uri?: unknown) => {
      const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
      if (!target) throw new Error('Open a .prompty template to try it in the chat.');
      const template = toWorkspacePath(target);
      if (!template.endsWith('.prompty') || resolveWorkspacePath(template)?.toString() !== target.toString()) {
        throw new Error(`${template} is not a .prompty template in this workspace: the chat uses templates of the open folders only.`);
      }
      const conversation = await service.create();
      await service.updateSettings(conversation.id, { ...conversation.settings, template });
      panels.open(conversation.id);
      return conversation.id;
    },
    'chatwright.chat.newConversation': async () => {
      await vscode.commands.executeCommand('chatwright.chat.focus');
      const id = (await view.newConversation()) ?? (await service.create()).id;
      view.focusComposer();
      return id;
    },
  });

  return {
    view,
    panels,
    service,
    registerBackend: (backend) => backends.register(backend),
    endpointKeys,
    endpointsRegistered: () => endpointsRegistered,
    useEngine: (next) => {
      engine = next;
      backends.invalidate();
      return new vscode.Disposable(() => {
        if (engine === next) engine = undefined;
      });
    },
    useRetrieval: (next) => {
      retrieval = next;
      backends.invalidate();
      return new vscode.Disposable(() => {
        if (retrieval === next) retrieval = undefined;
      });
    },
  };
}
