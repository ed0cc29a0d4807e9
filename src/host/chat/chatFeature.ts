import * as vscode from 'vscode';
import { type ChatBackend } from '../../core/chat/backend';
import { scanHubCache } from '../../core/hub/cacheScan';
import { OpenAiCompatibleBackend } from '../../core/chat/openAiCompatibleBackend';
import { type Ctx } from '../context';
import { type ChatModelOption } from '../../shared/chatViewProtocol';
import { type ModelSelection } from '../models/modelSelection';
import { BackendRegistry } from './backendRegistry';
import { ChatPanels } from './chatPanels';
import { ChatService } from './chatService';
import { ChatViewProvider } from './chatViewProvider';
import { EndpointCommands } from './endpointCommands';
import { EndpointKeys } from './endpointKeys';
import { type ChatWorkspaceInfo } from './chatWebview';
import { EngineChatBackend } from './engineBackend';
import { type EngineHost } from '../engine/engineHost';
import { type IndexManager } from '../rag/indexManager';
import { WorkspaceChatSources } from './workspaceChatSources';
import { listWorkspaceFiles, resolveWorkspacePath, toWorkspacePath } from './workspacePaths';

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
  /** The chat's sources (backends, templates, examples, index): comparisons answer through the same ones. */
  sources: WorkspaceChatSources;
  registerBackend(backend: ChatBackend): vscode.Disposable;
  /** The API keys of `chatwright.chat.endpoints`, in SecretStorage. */
  endpointKeys: EndpointKeys;
  /** Settles when the endpoints of the latest settings, trust and keys are registered as backends. */
  endpointsRegistered(): Promise<void>;
  /** The models the chat offers now, every backend's (`<backend>/<model>` refs). */
  modelOptions(): Promise<ChatModelOption[]>;
  /** A registered backend by id (the built-in engine, an endpoint, a served model). */
  backend(id: string): ChatBackend | undefined;
}

export function registerChat(ctx: Ctx, deps: ChatDeps): ChatHandles {
  const backends = ctx.own(new BackendRegistry());
  const selectedModel = () => deps.modelSelection.chatModel;
  ctx.own(backends.register(new EngineChatBackend(deps.engine, selectedModel, () => scanHubCache())));
  ctx.own(deps.modelSelection.onDidChange(() => backends.invalidate()));

  const endpointKeys = new EndpointKeys(ctx);
  const endpointCommands = new EndpointCommands(ctx, endpointKeys);
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

  const sources = ctx.own(new WorkspaceChatSources({ backends, ...(deps.rag ? { rag: deps.rag } : {}), renderTimeoutMs: () => ctx.config.prompts.renderTimeoutMs }));
  const service = ctx.own(new ChatService(ctx, backends, sources, selectedModel));
  const workspace: ChatWorkspaceInfo = {
    templates: () => listWorkspaceFiles('**/*.prompty'),
    examplesFiles: () => listWorkspaceFiles('**/*.{jsonl,ndjson}'),
    indexes: () => sources.indexes(),
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
    'chatwright.chat.addEndpoint': (request?: unknown) => endpointCommands.add(request),
    'chatwright.chat.removeEndpoint': (endpointId?: unknown) => endpointCommands.remove(endpointId),
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
    sources,
    registerBackend: (backend) => backends.register(backend),
    endpointKeys,
    endpointsRegistered: () => endpointsRegistered,
    modelOptions: () => backends.options(),
    backend: (id) => backends.get(id),
  };
}
