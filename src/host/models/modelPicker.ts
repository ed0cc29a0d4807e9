import * as vscode from 'vscode';
import { type CachedModel } from '../../core/hub/cacheScan';
import { searchModels, type ModelSummary } from '../../core/hub/hubClient';
import { HubUnreachableError } from '../../core/hub/hubErrors';
import { type LocalModel } from '../../core/hub/localModelFolder';
import { arrangeModelChoices, type HubReach, type ModelChoice } from '../../core/hub/modelChoices';
import { describeOffline } from '../../core/hub/offlineMode';
import { describeModelFiles, modelCapabilities, roleFromFiles } from '../../core/hub/modelFormats';
import { formatBytes } from '../../core/text/byteSize';
import { type Ctx } from '../context';
import { downloadModel } from './downloadModel';
import { type HubAccess } from './hubAccess';
import { type ModelKind, type ModelSelection, suggestedModels } from './modelSelection';
import { fitHint, machineHardware, summaryDescription } from './modelsTree';

interface PickItem extends vscode.QuickPickItem {
  modelId?: string;
  source?: 'cache' | 'local' | 'hub' | 'suggested' | 'clear' | 'addFolder';
}

/** Where the picker finds models besides the Hub, and what it calls after a download. */
export interface PickerSources {
  cached: () => Promise<CachedModel[]>;
  locals: () => LocalModel[];
  onDownloaded: () => void;
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
 * The model quick pick: the current choice, the suggested default, the local folders and the cache (offline) and, as
 * the user types, the Hub's models for the role. Picking a Hub model downloads it (after asking) and selects it. When
 * the Hub cannot be used (offline mode, or it did not answer), what is on this machine comes first and what needs a
 * download is marked and listed after it (`arrangeModelChoices`).
 */
export async function pickModel(ctx: Ctx, access: HubAccess, selection: ModelSelection, kind: ModelKind, sources: PickerSources): Promise<void> {
  const pick = vscode.window.createQuickPick<PickItem>();
  pick.title = kind === 'chat' ? 'Chatwright: Pick the Chat Model' : 'Chatwright: Pick the Embedding Model';
  pick.matchOnDescription = true;
  pick.matchOnDetail = true;
  const current = selection.get(kind);
  const offline = access.offline().offline;
  let reach: HubReach = offline ? 'offline' : access.lastCallUnreachable ? 'unreachable' : 'online';
  pick.placeholder = offline ? 'Offline mode is on: pick a model on this machine' : 'Search the Hugging Face Hub, or pick a model already on this machine';
  void machineHardware();
  const cachedModels = await sources.cached();
  // Models whose files say they serve the other role (an embedder in the chat picker) are left out.
  const suits = (role: ModelKind | undefined, id: string): boolean => role === undefined || role === kind || id === current;
  const details = new Map<string, PickItem>();
  const choices: ModelChoice[] = [];
  const offer = (choice: ModelChoice, item: PickItem): void => {
    if (!details.has(choice.id)) details.set(choice.id, item);
    choices.push(choice);
  };
  for (const model of sources.locals()) {
    if (!suits(model.role, model.folder)) continue;
    offer(
      { id: model.folder, origin: 'local' },
      {
        label: `$(folder) ${model.name}`,
        description: `local folder${model.folder === current ? ' · current' : ''}`,
        detail: `${model.summary} · ${model.folder}`,
        modelId: model.folder,
        source: 'local',
      },
    );
  }
  for (const model of cachedModels) {
    const paths = model.revisions[0]?.files.map((file) => file.path) ?? [];
    if (!suits(roleFromFiles(paths), model.repoId)) continue;
    offer(
      { id: model.repoId, origin: 'cache' },
      {
        label: `$(database) ${model.repoId}`,
        description: `${formatBytes(model.sizeOnDisk)} · in the cache${model.repoId === current ? ' · current' : ''}`,
        detail: modelCapabilities(describeModelFiles(paths)).summary,
        modelId: model.repoId,
        source: 'cache',
      },
    );
  }
  const suggestion = suggestedModels[kind];
  if (current !== suggestion)
    offer(
      { id: suggestion, origin: 'suggested' },
      {
        label: `$(star-full) ${suggestion}`,
        description: 'suggested: small, ONNX weights, runs on the CPU',
        detail: 'Downloaded only if you pick it and agree.',
        modelId: suggestion,
        source: 'suggested',
      },
    );
  const clear: PickItem[] = current ? [{ label: `$(close) Clear the ${kind} model`, description: sources.locals().find((model) => model.folder === current)?.name ?? current, source: 'clear' }] : [];
  const addFolder: PickItem = { label: '$(folder-opened) Use a Local Model Folder…', description: 'a model in Hugging Face layout, or a cache folder', source: 'addFolder', alwaysShow: true };
  let hubChoices: ModelChoice[] = [];
  const offlineSource = access.offline().source === 'environment' ? 'HF_HUB_OFFLINE is set' : 'chatwright.models.offline';
  let hubNote: PickItem[] = offline
    ? [{ label: '$(circle-slash) Offline mode is on: the Hub is not searched', description: offlineSource, detail: describeOffline(access.offline()), alwaysShow: true }]
    : [];
  const render = (): void => {
    const items: PickItem[] = [...clear];
    for (const section of arrangeModelChoices([...choices, ...hubChoices], reach)) {
      items.push({ label: section.title, kind: vscode.QuickPickItemKind.Separator });
      for (const choice of section.choices) {
        const item = details.get(choice.id);
        if (!item) continue;
        items.push(section.unavailable ? { ...item, label: item.label.replace(/^\$\([\w-]+\)/, '$(cloud-download)'), description: `needs a download · ${item.description ?? ''}` } : item);
      }
    }
    items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, addFolder, ...hubNote);
    pick.items = items;
  };
  let controller: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  const runSearch = (text: string): void => {
    if (offline) return;
    controller?.abort();
    const mine = new AbortController();
    controller = mine;
    pick.busy = true;
    searchForKind(access, kind, text.trim(), mine.signal)
      .then((results) => {
        if (mine.signal.aborted) return;
        access.noteReachable(true);
        reach = 'online';
        hubNote = results.length === 0 ? [{ label: '$(info) No models found on the Hub', alwaysShow: true }] : [];
        hubChoices = results.map((model) => {
          if (!details.has(model.id))
            details.set(model.id, {
              label: `$(cloud) ${model.id}`,
              description: summaryDescription(model, false),
              detail: [`Chatwright: ${model.capabilities.summary}`, fitHint(model)].filter(Boolean).join(' · '),
              modelId: model.id,
              source: 'hub',
              alwaysShow: true,
            });
          return { id: model.id, origin: 'hub' };
        });
      })
      .catch((error: unknown) => {
        if (mine.signal.aborted) return;
        hubChoices = [];
        if (error instanceof HubUnreachableError) {
          access.noteReachable(false);
          reach = 'unreachable';
        }
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
  if (chosen.source === 'addFolder') {
    await vscode.commands.executeCommand('chatwright.models.useLocalFolder', undefined, kind);
    return;
  }
  if (!chosen.modelId) return;
  if (chosen.source !== 'cache' && chosen.source !== 'local') {
    const folder = await downloadModel(ctx, access, chosen.modelId);
    if (!folder) return;
    sources.onDownloaded();
  }
  await selection.select(kind, chosen.modelId);
  const name = chosen.source === 'local' ? chosen.label.replace(/^\$\([\w-]+\)\s*/, '') : chosen.modelId;
  void vscode.window.showInformationMessage(`Chatwright: ${name} is now the ${kind} model of this workspace.`);
}
