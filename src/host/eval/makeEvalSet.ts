import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { readBoundedText } from '../../core/files/boundedRead';
import { sliceEvalSet } from '../../core/eval/evalSetSlice';

/** What the command may be given instead of asking (tests, other commands). */
export interface EvalSetPreset {
  count?: number;
  fraction?: number;
  selection?: 'last' | 'random';
  /** Base name of the two files written: `<name>.eval.jsonl` and `<name>.heldout-train.jsonl`. */
  name?: string;
  seed?: number;
}

/** The two files "Make Eval Set from Dataset…" writes beside the dataset. */
export function evalSetFilesOf(folder: string, name: string): { evalFile: string; trainFile: string } {
  return { evalFile: join(folder, `${name}.eval.jsonl`), trainFile: join(folder, `${name}.heldout-train.jsonl`) };
}

/** "50" → 50 rows; "10%" → a tenth; anything else → undefined. */
export function parseSliceSize(text: string): { count: number } | { fraction: number } | undefined {
  const trimmed = text.trim();
  const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(trimmed);
  if (percent) {
    const value = Number(percent[1]) / 100;
    return value > 0 && value < 1 ? { fraction: value } : undefined;
  }
  return /^\d+$/.test(trimmed) && Number(trimmed) > 0 ? { count: Number(trimmed) } : undefined;
}

/**
 * "Make Eval Set from Dataset…": a slice of a dataset (how many rows, the last or random ones) becomes an eval set,
 * and the rest a held-out training file, so the eval questions are never trained on. Never overwrites: when either
 * file exists another name is asked for. Offers to open both, and says to point the job file at the training file.
 */
export async function makeEvalSetCommand(argument: unknown, preset: unknown): Promise<{ evalFile: string; trainFile: string } | undefined> {
  const options = (typeof preset === 'object' && preset !== null ? preset : {}) as EvalSetPreset;
  const dataset = await datasetOf(argument);
  if (!dataset) return undefined;
  const text = await readBoundedText(dataset.fsPath, { kind: 'document' });

  const size = options.count !== undefined ? { count: options.count } : options.fraction !== undefined ? { fraction: options.fraction } : await askSize();
  if (!size) return undefined;
  const selection = options.selection ?? (await askSelection());
  if (!selection) return undefined;

  const folder = dirname(dataset.fsPath);
  const base = basename(dataset.fsPath).replace(/\.(jsonl|ndjson)$/i, '');
  const taken = (name: string) => Object.values(evalSetFilesOf(folder, name)).some((file) => existsSync(file));
  let name = options.name ?? base;
  if (taken(name)) {
    if (options.name !== undefined)
      throw new Error(`${basename(evalSetFilesOf(folder, name).evalFile)} or ${basename(evalSetFilesOf(folder, name).trainFile)} exists: Chatwright does not overwrite them; pick another name.`);
    const other = await vscode.window.showInputBox({
      title: 'Make Eval Set',
      prompt: `${name}.eval.jsonl or ${name}.heldout-train.jsonl exists and is kept: name the new pair`,
      value: `${name}-2`,
      validateInput: (value) => (!/^[\w.-]{1,80}$/.test(value) ? 'Letters, digits, ".", "_" or "-".' : taken(value) ? 'Those files exist too: pick another name.' : undefined),
    });
    if (!other) return undefined;
    name = other;
  }

  const slice = sliceEvalSet(text, { size, selection, seed: options.seed ?? 0, fileName: basename(dataset.fsPath) });
  if (slice.evalRows.length === 0)
    throw new Error(
      `${vscode.workspace.asRelativePath(dataset)} has no row that can be a question with a reference answer${slice.skipped[0] ? ` (line ${slice.skipped[0].line}: ${slice.skipped[0].reason})` : ''}.`,
    );
  const files = evalSetFilesOf(folder, name);
  // Exclusive writes: a file that appeared since the check is kept, and the command fails saying so.
  await writeFile(files.evalFile, joinLines(slice.evalRows), { encoding: 'utf8', flag: 'wx' });
  await writeFile(files.trainFile, joinLines(slice.restRows), { encoding: 'utf8', flag: 'wx' });

  const skipped = slice.skipped.length > 0 ? ` ${slice.skipped.length} rows could not be used (line ${slice.skipped[0]!.line}: ${slice.skipped[0]!.reason}).` : '';
  const open = 'Open Both';
  void vscode.window
    .showInformationMessage(
      `Chatwright: wrote ${basename(files.evalFile)} (${slice.evalRows.length} questions) and ${basename(files.trainFile)} (${slice.restRows.length} rows).${skipped} Point the job file's data.train at ${basename(files.trainFile)}, so the model never trains on the eval questions.`,
      open,
    )
    .then(async (choice) => {
      if (choice !== open) return;
      await vscode.window.showTextDocument(vscode.Uri.file(files.evalFile), { preview: false });
      await vscode.window.showTextDocument(vscode.Uri.file(files.trainFile), { preview: false, viewColumn: vscode.ViewColumn.Beside });
    });
  return files;
}

function joinLines(rows: readonly string[]): string {
  return rows.length === 0 ? '' : `${rows.join('\n')}\n`;
}

async function datasetOf(argument: unknown): Promise<vscode.Uri | undefined> {
  if (argument instanceof vscode.Uri) return argument;
  if (typeof argument === 'string') return vscode.Uri.file(argument);
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.scheme === 'file' && /\.(jsonl|ndjson)$/i.test(active.fsPath)) return active;
  const files = await vscode.workspace.findFiles('**/*.{jsonl,ndjson}', '**/node_modules/**', 500);
  const picked = await vscode.window.showQuickPick(
    files.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
    { title: 'Make Eval Set', placeHolder: 'Dataset to take the eval questions from' },
  );
  return picked?.uri;
}

async function askSize(): Promise<{ count: number } | { fraction: number } | undefined> {
  const answer = await vscode.window.showInputBox({
    title: 'Make Eval Set: size',
    prompt: 'How many rows become eval questions: a count (50) or a share (10%)',
    value: '10%',
    validateInput: (value) => (parseSliceSize(value) ? undefined : 'A whole number of rows, or a percentage between 0 and 100.'),
  });
  return answer === undefined ? undefined : parseSliceSize(answer);
}

async function askSelection(): Promise<'last' | 'random' | undefined> {
  const picked = await vscode.window.showQuickPick(
    [
      { label: 'random', detail: 'Rows drawn at random (seeded): a fair sample of the whole file', value: 'random' as const },
      { label: 'last', detail: 'The last rows: newest questions, when the file grows over time', value: 'last' as const },
    ],
    { title: 'Make Eval Set: which rows' },
  );
  return picked?.value;
}
