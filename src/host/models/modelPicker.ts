import * as vscode from 'vscode';
import { type CachedModel } from '../../core/hub/cacheScan';
import { formatBytes } from '../../core/hub/downloader';
import { searchModels, type ModelSummary } from '../../core/hub/hubClient';
import { describeModelFiles, modelCapabilities, roleFromFiles } from '../../core/hub/modelFormats';
import { type Ctx } from '../context';
import { downloadModel } from './downloadModel';
import { type HubAccess } from './hubAccess';
import { type ModelKind, type ModelSelection, suggestedModels } from './modelSelection';
import { fitHint, machineHardware, summaryDescription } from './modelsTree';

interface PickItem extends vscode.QuickPickItem {
  modelId?: string;
  source?: 'cache' | 'hub' | 'suggested' | 'clear';
}

/** The tasks whose models suit each role. */
export const tasksFor: Readonly<Record<ModelKind, readonly string[]>> = {
  chat: ['text-generation'],
  embedding: ['sentence-similarity', 'feature-extraction'],
};

/** Searches the Hub for models of a role: one request per task, merged by downloads. */
export async function searchForKind(access: HubAccess, kind: ModelKind, text: string, signal?: AbortSignal): Promise<ModelSummary[]> {
  const connection = await access.connection();
  const lists = await Promise.all(tasksFor[kind].map((task) => searchModels(connection, { ...(text ? { text } : {}), task, sort: 'downloads', limit: 25, ...(signal ? { signal } : {}) })));
  const seen = new Set<string>();
  return lists
    .flat()
    .sort((a, b) => b.downloads - a.downloads)
    .filter((model) => !seen.has(model.id) && seen.add(model.id));
}

/**
 * The model quick pick: the current choice, the suggested default, what is in the cache (offline) and, as the user
 * types, the Hub's models for the role. Picking a Hub model downloads it (after asking) and selects it.
 */
export async function pickModel(ctx: Ctx, access: HubAccess, selection: ModelSelection, kind: ModelKind, cached: () => Promise<CachedModel[]>, onDownloaded: () => void): Promise<void> {
  const pick = vscode.window.createQuickPick<PickItem>();
  pick.title = kind === 'chat' ? 'Chatwright: Pick the Chat Model' : 'Chatwright: Pick the Embedding Model';
  pick.placeholder = 'Search the Hugging Face Hub, or pick a model already in the cache';
  pick.matchOnDescription = true;
  pick.matchOnDetail = true;
  const current = selection.get(kind);
  void machineHardware();
  const cachedModels = await cached();
  // Cached models whose files say they serve the other role (an embedder in the chat picker) are left out.
  const suitable = cachedModels.filter((model) => {
    const role = roleFromFiles(model.revisions[0]?.files.map((file) => file.path) ?? []);
    return role === undefined || role === kind || model.repoId === current;
  });
  const local: PickItem[] = suitable.map((model) => {
    const files = describeModelFiles(model.revisions[0]?.files.map((file) => file.path) ?? []);
    return {
      label: `$(database) ${model.repoId}`,
      description: `${formatBytes(model.sizeOnDisk)} · in the cache${model.repoId === current ? ' · current' : ''}`,
      detail: modelCapabilities(files).summary,
      modelId: model.repoId,
      source: 'cache',
    };
  });
  const suggestion = suggestedModels[kind];
  const fixed: PickItem[] = [
    ...(current ? [{ label: `$(close) Clear the ${kind} model`, description: current, source: 'clear' as const }] : []),
    ...(!cachedModels.some((model) => model.repoId === suggestion) && current !== suggestion
      ? [{ label: `$(star-full) ${suggestion}`, description: 'suggested: small, ONNX weights, runs on the CPU', detail: 'Downloaded only if you pick it and agree.', modelId: suggestion, source: 'suggested' as const }]
      : []),
  ];
  let hubItems: PickItem[] = [];
  let hubNote: PickItem[] = [];
  const render = (): void => {
    pick.items = [
      ...fixed,
      ...(local.length > 0 ? [{ label: 'In the cache', kind: vscode.QuickPickItemKind.Separator }, ...local] : []),
      { label: 'Hugging Face Hub', kind: vscode.QuickPickItemKind.Separator },
      ...hubNote,
      ...hubItems,
    ];
  };
  let controller: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  const runSearch = (text: string): void => {
    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    pick.busy = true;
    searchForKind(access, kind, text.trim(), mine.signal)
      .then((results) => {
        if (mine.signal.aborted) return;
        hubNote = results.length === 0 ? [{ label: '$(info) No models found on the Hub', alwaysShow: true }] : [];
        const localIds = new Set(local.map((item) => item.modelId));
        hubItems = results.filter((model) => !localIds.has(model.id)).map((model) => ({ label: `$(cloud) ${model.id}`, description: summaryDescription(model, false), detail: [`Chatwright: ${model.capabilities.summary}`, fitHint(model)].filter(Boolean).join(' · '), modelId: model.id, source: 'hub', alwaysShow: true }));
      })
      .catch((error: unknown) => {
        if (mine.signal.aborted) return;
        hubItems = [];
        hubNote = [{ label: `$(warning) ${error instanceof Error ? error.message : String(error)}`, alwaysShow: true }];
      })
      .finally(() => {
        if (mine.signal.aborted) return;
        pick.busy = false;
        render();
      });
  };
  render();
  pick.onDidChangeValue((value) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => runSearch(value), 300);
  });
  runSearch('');
  const chosen = await new Promise<PickItem | undefined>((resolve) => {
    pick.onDidAccept(() => resolve(pick.selectedItems[0]));
    pick.onDidHide(() => resolve(undefined));
    pick.show();
  });
  if (timer) clearTimeout(timer);
  controller?.abort();
  pick.dispose();
  if (!chosen) return;
  if (chosen.source === 'clear') return selection.select(kind, undefined);
  if (!chosen.modelId) return;
  if (chosen.source !== 'cache') {
    const folder = await downloadModel(ctx, access, chosen.modelId);
    if (!folder) return;
    onDownloaded();
  }
  await selection.select(kind, chosen.modelId);
  void vscode.window.showInformationMessage(`Chatwright: ${chosen.modelId} is now the ${kind} model of this workspace.`);
}
