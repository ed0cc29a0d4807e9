import { existsSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import * as vscode from 'vscode';
import { defaultLearningRate, jobRules, methods, type JobMethod } from '../../core/jobs/jobFields';
import { newJobFileText, type NewJobTarget } from '../../core/jobs/newJobFile';
import { distributedStrategies, type DistributedStrategy } from '../../core/jobs/jobTarget';
import { slurmNameProblem, slurmTimeForms, slurmTimeSeconds } from '../../core/jobs/jobTargetChecks';
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
 * dataset (the workspace's .jsonl files), method and its key size, epochs and learning rate (defaults preselected),
 * and where it runs (this machine, this machine on several GPUs, or a Slurm cluster: the job file's `target`); writes `<name>.job.yaml` beside the dataset (asking before it replaces a file) and opens it. Returns the file.
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

  const where = await askJobTarget(title);
  if (where === undefined) return undefined;

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
    ...(where !== 'this machine' ? { target: where } : {}),
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

const strategyDetails: Record<DistributedStrategy, string> = {
  ddp: 'Data parallel: each GPU holds the whole model and takes part of every batch. The usual choice when the model fits one GPU.',
  deepspeed_zero2: 'DeepSpeed ZeRO-2: optimizer state and gradients split across GPUs; the model is still whole on each. Needs deepspeed.',
  deepspeed_zero3: 'DeepSpeed ZeRO-3: the weights are split too, for models that do not fit one GPU. Not with QLoRA. Needs deepspeed.',
  fsdp: 'PyTorch FSDP: weights, gradients and optimizer state split across GPUs, without extra packages. Not with QLoRA.',
};

/**
 * "Where will it run?": this machine (one process: no `target` section), this machine on several GPUs (how many, and
 * the strategy), or a Slurm cluster (partition, nodes, GPUs per node, time limit; each may be left at its default).
 */
export async function askJobTarget(title: string): Promise<NewJobTarget | 'this machine' | undefined> {
  const where = await vscode.window.showQuickPick(
    [
      { label: 'This machine', detail: 'One training process on one GPU (or the CPU).', id: 'local' as const },
      { label: 'This machine on several GPUs', detail: 'One process per GPU through accelerate launch; the effective batch is kept.', id: 'local-gpus' as const },
      { label: 'A Slurm cluster', detail: 'A generated sbatch script, shown before submission. VS Code must run on the login node (Remote-SSH or code-server).', id: 'slurm' as const },
    ],
    { title: `${title}: where will it run?`, placeHolder: "Where the trainer runs: the job file's target section (you can change it later)" },
  );
  if (!where) return undefined;
  if (where.id === 'local') return 'this machine';
  if (where.id === 'local-gpus') {
    const gpus = await askNumber(`${title}: GPUs`, 'How many GPUs of this machine (one training process each)', 2, true, 2);
    if (gpus === undefined) return undefined;
    const strategy = await pickStrategy(title);
    return strategy === undefined ? undefined : { type: 'local', gpus, strategy };
  }
  const partition = await vscode.window.showInputBox({
    title: `${title}: Slurm partition`,
    prompt: "The partition (sinfo lists them); leave empty for the cluster's default",
    validateInput: (text) => (text.trim() === '' ? undefined : slurmNameProblem(text.trim(), 'partition')),
  });
  if (partition === undefined) return undefined;
  const nodes = await askNumber(`${title}: nodes`, 'How many nodes', 1, true);
  if (nodes === undefined) return undefined;
  const gpus = await askNumber(`${title}: GPUs per node`, 'GPUs on each node, one training process each; 0 for a CPU-only job', 1, true, 0);
  if (gpus === undefined) return undefined;
  const time = await vscode.window.showInputBox({
    title: `${title}: time limit`,
    prompt: `The time limit (${slurmTimeForms}); the trainer saves a checkpoint before it`,
    value: '04:00:00',
    validateInput: (text) => ((slurmTimeSeconds(text.trim()) ?? 0) > 0 ? undefined : `A time limit above zero in a form Slurm reads: ${slurmTimeForms}`),
  });
  if (time === undefined) return undefined;
  const strategy = nodes * Math.max(1, gpus) > 1 ? await pickStrategy(title) : 'ddp';
  if (strategy === undefined) return undefined;
  return { type: 'slurm', gpus, strategy, nodes, time: time.trim(), ...(partition.trim() !== '' ? { partition: partition.trim() } : {}) };
}

async function pickStrategy(title: string): Promise<DistributedStrategy | undefined> {
  const picked = await vscode.window.showQuickPick(
    distributedStrategies.map((id) => ({ label: id, detail: strategyDetails[id], id })),
    { title: `${title}: strategy`, placeHolder: 'How the processes share the training' },
  );
  return picked?.id;
}

async function askNumber(title: string, prompt: string, preset: number, integer: boolean, minimum?: number): Promise<number | undefined> {
  const value = await vscode.window.showInputBox({
    title,
    prompt,
    value: String(preset),
    validateInput: (text) => {
      const number = Number(text.trim());
      if (minimum !== undefined) {
        if (text.trim() === '' || !Number.isInteger(number) || number < minimum) return `A whole number of at least ${minimum}`;
        return undefined;
      }
      if (text.trim() === '' || !Number.isFinite(number) || number <= 0) return 'A number above 0';
      return integer && !Number.isInteger(number) ? 'A whole number' : undefined;
    },
  });
  return value === undefined ? undefined : Number(value.trim());
}
