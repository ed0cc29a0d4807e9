import { existsSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import * as vscode from 'vscode';
import { comparisonNameFrom, newComparisonFileText, type NewComparisonChoices } from '../../core/eval/newComparisonFile';
import { snapshotOfRun } from '../../core/jobs/jobSnapshot';
import { listRunFolders } from '../../core/jobs/runFolder';
import { type ChatHandles } from '../chat/chatFeature';
import { listWorkspaceFiles } from '../chat/workspacePaths';

const title = 'New Comparison';

type StrategyKind = 'zero-shot' | 'few-shot' | 'rag' | 'fine-tuned';

/**
 * "New Comparison": the eval set (the workspace's .jsonl files), the model (the chat's model list), the strategies to
 * include (zero-shot; few-shot with an examples file; retrieval with the index; fine-tuned with a finished run whose
 * adapter is served), and a name; writes `<name>.compare.yaml` at the workspace's root, never over an existing file,
 * and opens it. Returns the file written.
 */
export async function newComparisonWizard(chat: ChatHandles): Promise<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('Open a folder first: a comparison lives in a workspace.');
  const jsonlFiles = await listWorkspaceFiles('**/*.{jsonl,ndjson}');
  if (jsonlFiles.length === 0) throw new Error('This workspace has no .jsonl file to use as an eval set: make one with "Make Eval Set from Dataset…".');
  const evalSet = await pickOne(
    jsonlFiles.map((file) => ({ label: file, ...(file.includes('.eval.') ? { description: 'eval set' } : {}) })),
    'Eval set: the questions with their reference answers',
  );
  if (!evalSet) return undefined;
  const model = await pickModel(chat, 'Model the strategies answer with');
  if (!model) return undefined;

  const kinds = await vscode.window.showQuickPick(
    [
      { label: 'zero-shot', detail: 'The model alone', strategy: 'zero-shot' as StrategyKind, picked: true },
      { label: 'few-shot', detail: 'Examples from a file before each question (the most similar ones)', strategy: 'few-shot' as StrategyKind, picked: true },
      { label: 'retrieval (RAG)', detail: "The best passages of the workspace's index with each question", strategy: 'rag' as StrategyKind, picked: true },
      { label: 'fine-tuned', detail: 'An adapter from a finished training run, as served', strategy: 'fine-tuned' as StrategyKind },
    ],
    { title: `${title}: strategies`, placeHolder: 'Which strategies to compare', canPickMany: true },
  );
  if (!kinds || kinds.length === 0) return undefined;
  const chosen = new Set(kinds.map((k) => k.strategy));
  const choices: NewComparisonChoices = { name: '', evalSet: evalSet.label, model, zeroShot: chosen.has('zero-shot') };

  if (chosen.has('few-shot')) {
    const examples = await pickOne(
      jsonlFiles.filter((file) => file !== evalSet.label).map((file) => ({ label: file })),
      'Few-shot examples file (never the eval set: that would show the model the answers)',
    );
    if (!examples) return undefined;
    choices.fewShot = { examples: examples.label, k: 3 };
  }
  if (chosen.has('rag')) {
    const indexes = chat.sources.indexes();
    const index =
      indexes.length > 1
        ? await pickOne(
            indexes.map((name) => ({ label: name })),
            'Index (a workspace folder) to retrieve from',
          )
        : undefined;
    if (indexes.length > 1 && !index) return undefined;
    choices.retrieval = { k: 4, ...(index ? { index: index.label } : {}) };
  }
  if (chosen.has('fine-tuned')) {
    const runs = listRunFolders(folder.uri.fsPath)
      .map((dir) => snapshotOfRun(dir))
      .filter((run) => run.kind === 'train' && (run.status === 'done' || run.status === 'stopped'));
    if (runs.length === 0) throw new Error('No training run of this workspace has finished: train one (or leave fine-tuned out) first.');
    const run = await pickOne(
      runs.map((r) => ({ label: basename(r.runDir), description: r.status, runDir: r.runDir })),
      'Finished training run',
    );
    if (!run) return undefined;
    const served = await pickModel(chat, "Model its adapter is served as (serve it first: the chat's served models are listed)");
    if (!served) return undefined;
    choices.fineTuned = { run: relative(folder.uri.fsPath, run.runDir).split('\\').join('/'), model: served };
  }

  const name = await vscode.window.showInputBox({
    title: `${title}: name`,
    prompt: 'The comparison and its file (<name>.compare.yaml) are called this',
    value: comparisonNameFrom(basename(evalSet.label)),
    validateInput: (value) => {
      if (!/^[\w.-]{1,40}$/.test(value)) return 'Letters, digits, ".", "_" or "-" (at most 40).';
      return existsSync(join(folder.uri.fsPath, `${value}.compare.yaml`)) ? `${value}.compare.yaml exists: pick another name.` : undefined;
    },
  });
  if (!name) return undefined;
  const target = join(folder.uri.fsPath, `${name}.compare.yaml`);
  // Written exclusively: a file that appeared since the name was checked is not replaced.
  writeFileSync(target, newComparisonFileText({ ...choices, name }), { encoding: 'utf8', flag: 'wx' });
  const uri = vscode.Uri.file(target);
  await vscode.window.showTextDocument(uri);
  return uri;
}

async function pickOne<T extends vscode.QuickPickItem>(items: T[], placeHolder: string): Promise<T | undefined> {
  return vscode.window.showQuickPick(items, { title, placeHolder, matchOnDescription: true });
}

/** A model from the chat's list (every backend's), or one typed in (`<backend>/<model>`). */
async function pickModel(chat: ChatHandles, placeHolder: string): Promise<string | undefined> {
  const typeIt = '$(edit) Type a model reference…';
  const options = await chat.modelOptions();
  const picked = await pickOne([...options.map((o) => ({ label: o.ref, description: o.backendLabel, ref: o.ref })), { label: typeIt }], placeHolder);
  if (!picked) return undefined;
  if ('ref' in picked) return picked.ref;
  return vscode.window.showInputBox({
    title,
    prompt: '<backend>/<model>, as the chat names models: engine/<Hub id or folder>, <endpoint id>/<model>',
    validateInput: (value) => (/^[\w.-]+\/\S+$/.test(value) ? undefined : 'Write <backend>/<model>.'),
  });
}
