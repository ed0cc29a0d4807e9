import { cpSync, existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { type JobSnapshot } from '../../core/jobs/jobSnapshot';
import { trainerEnvironment } from '../../core/jobs/pythonEnvironment';
import { runProgram } from '../../core/process/programRun';
import { type Ctx } from '../context';
import { type TrainerEnvironment } from './trainerEnvironment';

/** The base model a run trained on, from its resolved config. */
function baseModelOf(runDir: string): string | undefined {
  try {
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as { model?: { path?: unknown } };
    return typeof config.model?.path === 'string' ? config.model.path : undefined;
  } catch {
    return undefined;
  }
}

/**
 * "Export": copy the adapter folder (PEFT format, loads everywhere) to a chosen folder, or merge a LoRA adapter into
 * its unquantized base in bf16 with `python -m chatwright_train merge` (a process of its own, with progress, that
 * can be cancelled). Prompt-tuning adapters cannot be merged into weights: that is said, and only the copy is offered.
 */
export async function exportJob(ctx: Ctx, environment: TrainerEnvironment, snapshot: JobSnapshot): Promise<string | undefined> {
  const adapter = snapshot.adapter && existsSync(snapshot.adapter) ? snapshot.adapter : join(snapshot.runDir, 'adapter');
  if (!existsSync(join(adapter, 'adapter_config.json'))) {
    throw new Error(`${snapshot.name} has no adapter yet (${adapter} holds no adapter_config.json): export works once the job is done or stopped and saved.`);
  }
  const promptTuning = snapshot.method === 'prompt_tuning';
  const choices = [
    { label: '$(files) Copy the adapter folder', detail: 'PEFT format (adapter_config.json + adapter_model.safetensors): loads in transformers, vLLM, TGI.', id: 'copy' as const },
    {
      label: '$(merge) Merged model (bf16)',
      detail: promptTuning
        ? 'Not possible for prompt tuning: its virtual tokens are not weights that can be merged. Copy the adapter instead.'
        : 'The adapter merged into the unquantized base model: a standalone model folder (needs the base model and Python with torch).',
      id: 'merge' as const,
    },
  ];
  const picked = await vscode.window.showQuickPick(choices, { title: `Export ${snapshot.name}` });
  if (!picked) return undefined;
  if (picked.id === 'merge' && promptTuning) {
    void vscode.window.showInformationMessage(
      'Chatwright: a prompt-tuning adapter cannot be merged into the model (its virtual tokens are inputs, not weight changes). Copy the adapter folder instead.',
    );
    return undefined;
  }
  const folder = (
    await vscode.window.showOpenDialog({
      title: picked.id === 'copy' ? 'Copy the adapter into…' : 'Write the merged model into…',
      canSelectFiles: false,
      canSelectFolders: true,
      openLabel: 'Export here',
    })
  )?.[0];
  if (!folder) return undefined;
  const out = join(folder.fsPath, `${snapshot.name}-${picked.id === 'copy' ? 'adapter' : 'merged'}`);
  if (existsSync(out)) {
    const replace = await vscode.window.showWarningMessage(`${out} exists. Replace what is in it?`, { modal: true }, 'Replace');
    if (replace !== 'Replace') return undefined;
  }
  if (picked.id === 'copy') {
    cpSync(adapter, out, { recursive: true, force: true });
    void vscode.window.showInformationMessage(`Chatwright: the adapter of ${snapshot.name} is in ${out}.`, 'Reveal').then((choice) => {
      if (choice === 'Reveal') void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(out));
    });
    return out;
  }
  const base = baseModelOf(snapshot.runDir);
  if (!base) throw new Error(`${join(snapshot.runDir, 'config.json')} does not name the base model.`);
  const { python } = await environment.interpreter();
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Merging ${snapshot.name} into ${basename(base)} (bf16)`, cancellable: true }, (progress, token) =>
    runMerge(ctx, { python, pythonPath: environment.pythonPath, base, adapter, out }, progress, token),
  );
  void vscode.window.showInformationMessage(`Chatwright: the merged model of ${snapshot.name} is in ${out}.`, 'Reveal').then((choice) => {
    if (choice === 'Reveal') void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(out));
  });
  return out;
}

/**
 * Runs the merge as a program of its own process group (`runProgram`); its lines go to the log and the last one to
 * the progress; cancelling stops the group.
 */
async function runMerge(
  ctx: Ctx,
  args: { python: string; pythonPath: string; base: string; adapter: string; out: string },
  progress: vscode.Progress<{ message?: string }>,
  token: vscode.CancellationToken,
): Promise<void> {
  const controller = new AbortController();
  const subscription = token.onCancellationRequested(() => controller.abort());
  const lines: string[] = [];
  try {
    const result = await runProgram({
      command: args.python,
      args: ['-m', 'chatwright_train', 'merge', '--base', args.base, '--adapter', args.adapter, '--out', args.out],
      env: trainerEnvironment(args.pythonPath),
      signal: controller.signal,
      onLine: (_stream, line) => {
        ctx.log.info(`merge: ${line}`);
        lines.push(line);
        if (lines.length > 20) lines.shift();
        if (line.trim()) progress.report({ message: line.trim().slice(0, 120) });
      },
    });
    if (result.code === 0) return;
    const error = lines.map((line) => parseErrorLine(line)).find((message) => message !== undefined);
    throw new Error(`The merge failed (${result.signal ?? `exit ${result.code}`}): ${error ?? (result.stderrTail.trim().split('\n').slice(-3).join(' ') || 'no output')}`);
  } finally {
    subscription.dispose();
  }
}

/** The message of the trainer's JSON error line, if the line is one. */
function parseErrorLine(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(line) as { event?: unknown; message?: unknown; action?: unknown };
    return parsed.event === 'error' && typeof parsed.message === 'string' ? `${parsed.message}${typeof parsed.action === 'string' ? ` ${parsed.action}` : ''}` : undefined;
  } catch {
    return undefined;
  }
}
