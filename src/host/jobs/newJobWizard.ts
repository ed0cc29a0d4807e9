import { existsSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import * as vscode from 'vscode';
import { defaultLearningRate, jobRules, methods, type JobMethod } from '../../core/jobs/jobFields';
import { newJobFileText } from '../../core/jobs/newJobFile';
import { scanHubCacheDetailed } from '../../core/hub/cacheScan';
import { type Ctx } from '../context';
import { LocalModelFolders } from '../models/localModelFolders';
import { HubAccess } from '../models/hubAccess';

interface ModelPick extends vscode.QuickPickItem {
  /** What the job file's `model.path` gets: a folder, or a Hub id. */
  model?: string;
  typeId?: true;
}

const methodDetails: Record<JobMethod, string> = {
  lora: 'Low-rank adapters on a bf16 base: the usual choice.',
  qlora: 'LoRA on a 4-bit base (CUDA and bitsandbytes): for models that do not fit in bf16.',
  prompt_tuning: 'Learned virtual tokens before every prompt: the smallest adapter, for narrow tasks.',
};

/** A field's default as jobFields declares it (the one source of defaults the schema, hover and Python share). */
function fieldDefault(section: string, ...path: string[]): number {
  let rule: unknown = jobRules.fields[section];
  for (const part of path) rule = (rule as { fields: Record<string, unknown> }).fields[part];
  return (rule as { default: number }).default;
}

/**
 * "New Fine-tuning Job": base model (the local folders and the cache, as the Models view lists them, or a Hub id),
 * dataset (the workspace's .jsonl files), method and its key size, epochs and learning rate (defaults preselected);
 * writes `<name>.job.yaml` beside the dataset (asking before it replaces a file) and opens it. Returns the file.
 */
export async function newJobWizard(ctx: Ctx, preset: { model?: string; dataset?: vscode.Uri } = {}): Promise<vscode.Uri | undefined> {
  const title = 'New Fine-tuning Job';
  const model = preset.model ?? (await pickBaseModel(ctx, title));
  if (!model) return undefined;
  const dataset = preset.dataset ?? (await pickDataset(title));
  if (!dataset) return undefined;

  const method = await vscode.window.showQuickPick(
    methods.map((id) => ({ label: id, detail: methodDetails[id], id })),
    { title: `${title}: method`, placeHolder: 'How to adapt the model' },
  );
  if (!method) return undefined;

  const size =
    method.id === 'prompt_tuning'
      ? await askNumber(`${title}: virtual tokens`, 'Learned tokens put before every prompt', fieldDefault('method', 'prompt_tuning', 'num_virtual_tokens'), true)
      : await askNumber(`${title}: LoRA rank`, 'The adapter rank r (servers cap it: vLLM loads up to 16 by default); alpha is set to 2r', fieldDefault('method', 'lora', 'r'), true);
  if (size === undefined) return undefined;
  const epochs = await askNumber(`${title}: epochs`, 'Passes over the training set', fieldDefault('training', 'epochs'), false);
  if (epochs === undefined) return undefined;
  const learningRate = await askNumber(`${title}: learning rate`, `The peak learning rate (${method.id}'s usual start is ${defaultLearningRate[method.id]})`, defaultLearningRate[method.id], false);
  if (learningRate === undefined) return undefined;

  const name = basename(dataset.fsPath).replace(/\.(jsonl|ndjson|json)$/i, '') || 'job';
  const target = vscode.Uri.file(join(dirname(dataset.fsPath), `${name}.job.yaml`));
  if (existsSync(target.fsPath)) {
    const choice = await vscode.window.showWarningMessage(`${basename(target.fsPath)} exists. Replace it?`, { modal: true }, 'Replace');
    if (choice !== 'Replace') return undefined;
  }
  const modelPath = existsSync(model) ? relativeOrAbsolute(dirname(target.fsPath), model) : model;
  const text = newJobFileText({
    name,
    model: modelPath,
    train: `./${basename(dataset.fsPath)}`,
    method: method.id,
    ...(method.id === 'prompt_tuning' ? { virtualTokens: size } : { r: size }),
    // A value left at its default is written as the default's comment, so the file says where it comes from.
    ...(epochs !== fieldDefault('training', 'epochs') ? { epochs } : {}),
    ...(learningRate !== defaultLearningRate[method.id] ? { learningRate } : {}),
  });
  writeFileSync(target.fsPath, text, 'utf8');
  ctx.log.info(`Wrote the job file ${target.fsPath}.`);
  await vscode.window.showTextDocument(target);
  return target;
}

function relativeOrAbsolute(from: string, to: string): string {
  const path = relative(from, to);
  return path && !path.startsWith('..') ? `./${path.split('\\').join('/')}` : to;
}

async function pickBaseModel(ctx: Ctx, title: string): Promise<string | undefined> {
  const locals = new LocalModelFolders(ctx.extension.globalState);
  const items: ModelPick[] = [];
  const folders = locals.list().filter((model) => LocalModelFolders.present(model));
  if (folders.length > 0) items.push({ label: 'Local folders', kind: vscode.QuickPickItemKind.Separator });
  for (const local of folders) items.push({ label: local.name, description: local.folder, detail: local.summary, model: local.folder });
  const scan = await scanHubCacheDetailed(new HubAccess(ctx).env());
  const cached = scan.models.filter((model) => model.revisions.length > 0);
  if (cached.length > 0) items.push({ label: 'Hugging Face cache', kind: vscode.QuickPickItemKind.Separator });
  for (const model of cached) items.push({ label: model.repoId, description: 'in the cache', model: model.repoId });
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: '$(cloud) Type a Hub model id…', description: 'downloaded into the cache before training', typeId: true });
  locals.dispose();
  const picked = await vscode.window.showQuickPick(items, { title: `${title}: base model`, placeHolder: 'The model to adapt', matchOnDescription: true });
  if (!picked) return undefined;
  if (picked.model) return picked.model;
  return (
    await vscode.window.showInputBox({
      title: `${title}: base model`,
      prompt: 'A model id on the Hugging Face Hub: org/name',
      placeHolder: 'Qwen/Qwen3-0.6B',
      validateInput: (value) => (/^[\w.-]+\/[\w.-]+$/.test(value.trim()) ? undefined : 'Write org/name'),
    })
  )?.trim();
}

async function pickDataset(title: string): Promise<vscode.Uri | undefined> {
  const files = await vscode.workspace.findFiles('**/*.jsonl', '{**/node_modules/**,**/.chatwright/**}', 500);
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const items = files
    .map((uri) => ({ label: basename(uri.fsPath), description: root ? relative(root, dirname(uri.fsPath)) || '.' : dirname(uri.fsPath), uri }))
    .sort((a, b) => a.description.localeCompare(b.description) || a.label.localeCompare(b.label));
  const browse = { label: '$(folder-opened) Browse…', description: '', uri: undefined };
  const picked = await vscode.window.showQuickPick([...items, browse], {
    title: `${title}: training data`,
    placeHolder: 'A .jsonl dataset of messages, prompt/completion or text rows',
    matchOnDescription: true,
  });
  if (!picked) return undefined;
  if (picked.uri) return picked.uri;
  return (await vscode.window.showOpenDialog({ title: 'Training data', canSelectMany: false, filters: { 'JSON Lines': ['jsonl'] } }))?.[0];
}

async function askNumber(title: string, prompt: string, preset: number, integer: boolean): Promise<number | undefined> {
  const value = await vscode.window.showInputBox({
    title,
    prompt,
    value: String(preset),
    validateInput: (text) => {
      const number = Number(text.trim());
      if (text.trim() === '' || !Number.isFinite(number) || number <= 0) return 'A number above 0';
      return integer && !Number.isInteger(number) ? 'A whole number' : undefined;
    },
  });
  return value === undefined ? undefined : Number(value.trim());
}
