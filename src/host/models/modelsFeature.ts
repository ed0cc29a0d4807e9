import * as vscode from 'vscode';
import { removeCachedModel } from '../../core/hub/cacheRemove';
import { type ModelRuntime } from '../../core/hub/fileSelection';
import { detectHardware } from '../../core/hub/hardware';
import { getModelDetails, searchModels } from '../../core/hub/hubClient';
import { parseSearchQuery } from '../../core/hub/searchQuery';
import { fitFromCache, fitFromHub, type FitReport } from '../../core/hub/modelFit';
import { type OnnxVariant } from '../../core/hub/modelFormats';
import { cachedRevisionFor, formatParameters, parseModelRef } from '../../core/hub/modelLookup';
import { formatBytes } from '../../core/text/byteSize';
import { type CommandHandler, type Ctx } from '../context';
import { downloadModel, reportHubError } from './downloadModel';
import { HubAccess } from './hubAccess';
import { LocalModelFolders } from './localModelFolders';
import { pickModel } from './modelPicker';
import { ModelSelection, type ModelKind } from './modelSelection';
import { ModelsStatusBar } from './modelsStatusBar';
import { localFolderOf, modelIdOf, ModelsTreeProvider } from './modelsTree';
import { useLocalModelFolder } from './useLocalFolder';

/** Registers the Models feature and returns the model selection that chat, preview and indexing read. */
export function registerModels(ctx: Ctx): ModelSelection {
  const selection = ctx.own(new ModelSelection(ctx.extension.workspaceState));
  const access = new HubAccess(ctx);
  const locals = ctx.own(new LocalModelFolders(ctx.extension.globalState));
  const tree = ctx.own(new ModelsTreeProvider(selection, () => access.env(), locals));
  ctx.own(vscode.window.createTreeView(ModelsTreeProvider.viewId, { treeDataProvider: tree, showCollapseAll: true }));
  ctx.own(new ModelsStatusBar(selection));
  ctx.registerCommands(modelsCommands(ctx, access, selection, tree, locals));
  return selection;
}

function modelsCommands(ctx: Ctx, access: HubAccess, selection: ModelSelection, tree: ModelsTreeProvider, locals: LocalModelFolders): Record<string, CommandHandler> {
  const pick = (kind: ModelKind) => () => pickModel(ctx, access, selection, kind, { cached: () => tree.cachedModels(), locals: () => locals.list(), onDownloaded: () => tree.refresh() });
  const setOffline = async (offline: boolean): Promise<void> => {
    await vscode.workspace.getConfiguration('chatwright.models').update('offline', offline, vscode.ConfigurationTarget.Global);
    const decision = access.offline();
    if (!offline && decision.offline)
      void vscode.window.showWarningMessage('Chatwright: HF_HUB_OFFLINE is still set in the environment VS Code was started from; unset it and restart VS Code to reach the Hub.');
    else
      void vscode.window.showInformationMessage(
        offline ? 'Chatwright: offline mode is on. Models in the cache and local folders still work; the Hub is not contacted.' : 'Chatwright: offline mode is off; the Hub can be searched again.',
      );
    tree.refresh();
  };
  const requireId = async (node: unknown, prompt: string): Promise<string | undefined> =>
    modelIdOf(node) ??
    (
      await vscode.window.showInputBox({
        title: prompt,
        prompt: 'A model id on the Hugging Face Hub: org/name, optionally @revision',
        validateInput: (value) => (/^[\w.-]+\/[\w.-]+(@\S+)?$/.test(value.trim()) ? undefined : 'Write org/name'),
      })
    )?.trim();
  return {
    'chatwright.models.pickChatModel': pick('chat'),
    'chatwright.models.pickEmbeddingModel': pick('embedding'),
    'chatwright.models.searchHub': async (query?: unknown) => {
      const text =
        typeof query === 'string'
          ? query
          : await vscode.window.showInputBox({ title: 'Search the Hugging Face Hub', placeHolder: 'qwen instruct  task:text-generation  format:onnx  license:apache-2.0  sort:likes  max:3B' });
      if (text === undefined) return undefined;
      const search = parseSearchQuery(text);
      tree.showSearch(text, undefined);
      await vscode.commands.executeCommand(`${ModelsTreeProvider.viewId}.focus`);
      try {
        const results = await searchModels(await access.connection(), search);
        access.noteReachable(true);
        tree.showSearch(text, results);
        return results.map((model) => model.id);
      } catch (error) {
        tree.clearSearch();
        await reportHubError(ctx, access, error, () => Promise.resolve(vscode.commands.executeCommand('chatwright.models.searchHub', text)));
        return [];
      }
    },
    'chatwright.models.useLocalFolder': (path?: unknown, kind?: unknown) =>
      useLocalModelFolder(ctx, locals, selection, typeof path === 'string' ? path : undefined, kind === 'chat' || kind === 'embedding' ? kind : undefined),
    'chatwright.models.removeLocalFolder': async (node?: unknown) => {
      const folder = localFolderOf(node) ?? (typeof node === 'string' ? node : undefined);
      if (!folder) return false;
      for (const kind of ['chat', 'embedding'] as const) if (selection.get(kind) === folder) await selection.select(kind, undefined);
      return locals.remove(folder);
    },
    'chatwright.models.workOffline': () => setOffline(true),
    'chatwright.models.workOnline': () => setOffline(false),
    'chatwright.models.checkHub': async () => {
      try {
        await searchModels(await access.connection(), { limit: 1 });
        access.noteReachable(true);
        void vscode.window.showInformationMessage('Chatwright: the Hugging Face Hub answers.');
        tree.refresh();
        return true;
      } catch (error) {
        await reportHubError(ctx, access, error, () => Promise.resolve(vscode.commands.executeCommand('chatwright.models.checkHub')));
        return false;
      }
    },
    'chatwright.models.download': async (node?: unknown, options?: unknown) => {
      const id = await requireId(node, 'Download a model');
      if (!id) return undefined;
      const choice = (typeof options === 'object' && options !== null ? options : {}) as { runtime?: ModelRuntime; variant?: OnnxVariant; confirmed?: boolean };
      const folder = await downloadModel(ctx, access, id, choice);
      tree.refresh();
      return folder;
    },
    'chatwright.models.remove': async (node?: unknown) => {
      const id = await requireId(node, 'Remove a model from the cache');
      if (!id) return false;
      const answer = await vscode.window.showWarningMessage(`Delete ${id} from the Hugging Face cache? Python projects that use it will download it again.`, { modal: true }, 'Delete');
      if (answer !== 'Delete') return false;
      const freed = await removeCachedModel(parseModelRef(id).repoId, access.env());
      ctx.log.info(`removed ${id} from the cache (${formatBytes(freed)})`);
      for (const kind of ['chat', 'embedding'] as const) if (selection.get(kind)?.split('@')[0] === id) await selection.select(kind, undefined);
      tree.refresh();
      return true;
    },
    'chatwright.models.useForChat': (node?: unknown) => useFor('chat', node),
    'chatwright.models.useForEmbeddings': (node?: unknown) => useFor('embedding', node),
    'chatwright.models.select': async (kind?: unknown, id?: unknown) => {
      if (kind !== 'chat' && kind !== 'embedding') throw new Error("chatwright.models.select needs 'chat' or 'embedding'");
      await selection.select(kind, typeof id === 'string' ? id : undefined);
      return selection.get(kind);
    },
    'chatwright.models.fit': async (node?: unknown) => {
      const id = await requireId(node, 'Check whether a model fits this machine');
      if (!id) return undefined;
      const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Estimating memory for ${id}…` }, () => fitReport(id));
      if (!report) return undefined;
      await showFit(report);
      return report;
    },
    'chatwright.models.setToken': () => access.promptForToken(),
    'chatwright.models.refresh': () => tree.refresh(),
  };

  async function useFor(kind: ModelKind, node: unknown): Promise<void> {
    const id = modelIdOf(node);
    if (!id) return pick(kind)();
    const folder = localFolderOf(node);
    if (folder) return selection.select(kind, folder);
    const cached = (await tree.cachedModels()).some((model) => model.repoId === id);
    if (!cached) {
      const folder = await downloadModel(ctx, access, id);
      tree.refresh();
      if (!folder) return;
    }
    await selection.select(kind, id);
  }

  async function fitReport(id: string): Promise<FitReport | undefined> {
    const hardware = await detectHardware();
    const { repoId, revision } = parseModelRef(id);
    const cached = (await tree.cachedModels()).find((model) => model.repoId === repoId);
    const cachedRevision = cached ? cachedRevisionFor(cached, revision) : undefined;
    try {
      if (cachedRevision?.files.some((file) => file.path === 'config.json')) return await fitFromCache(repoId, cachedRevision, hardware);
      const connection = await access.connection();
      return await fitFromHub(connection, await getModelDetails(connection, repoId, revision), hardware);
    } catch (error) {
      await reportHubError(ctx, access, error);
      return undefined;
    }
  }
}

async function showFit(report: FitReport): Promise<void> {
  const icon = { fits: '$(pass-filled)', tight: '$(warning)', 'does-not-fit': '$(error)', 'no-device': '$(circle-slash)' } as const;
  await vscode.window.showQuickPick(
    report.verdicts.map((verdict) => {
      const e = verdict.estimate;
      const training = e.scenario === 'lora' || e.scenario === 'qlora';
      return {
        label: `${icon[verdict.fit]} ${training ? 'Train' : e.device === 'cpu' ? 'CPU' : 'GPU'} ${e.variant}: ${formatBytes(e.bytes)}`,
        description: `${verdict.fit.replace(/-/g, ' ')} · ${verdict.deviceName}`,
        detail: `${training ? `sequence ${e.tokens} × batch ${e.batch}` : `context ${e.tokens}`} · weights ${formatBytes(e.breakdown.weights)}, KV cache ${formatBytes(e.breakdown.kvCache)}, activations ${formatBytes(e.breakdown.activations)}${training ? `, adapters+optimizer ${formatBytes(e.breakdown.trainingState)}` : ''}, overhead ${formatBytes(e.breakdown.overhead)}`,
      };
    }),
    { title: `${report.repoId}: ${formatParameters(report.parameters)} parameters (${report.parametersSource}) — hardware fit`, canPickMany: false, matchOnDetail: true },
  );
}
