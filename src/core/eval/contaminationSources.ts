/**
 * The files an eval set must not overlap, gathered from a comparison: the training data it names, the train file each
 * fine-tuned strategy's run recorded (datasets.json), each few-shot strategy's examples file, and the examples file a
 * strategy's template names in its own front matter. Each is read once, bounded; a file that cannot be read is a note,
 * not a failed evaluation (the check then covers what could be read, and says so).
 */
import { join, relative, resolve } from 'node:path';
import { fileSizeCaps, readBoundedJsonSync, readBoundedText } from '../files/boundedRead';
import { runDatasetsFile, type RunDatasets } from '../jobs/runFolder';
import { parsePromptyDocument } from '../prompts/promptyDocument';
import { examplesSettings } from '../prompts/promptySettings';
import { resolveInsideWorkspace } from '../prompts/workspaceFiles';
import { type ContaminationSource } from './contamination';
import { type ComparisonSpec, type StrategySpec } from './evalTypes';

/** Training files are datasets, not templates: as large as a document may be. */
const maxTrainingFileBytes = fileSizeCaps.document;

interface WantedFile {
  kind: ContaminationSource['kind'];
  path: string;
}

function label(root: string, path: string): string {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') ? rel : path;
}

/** The train file a fine-tuned run recorded, or undefined (no run folder, no datasets.json, not one we understand). */
function recordedTrainFile(runDir: string): string | undefined {
  try {
    const datasets = readBoundedJsonSync(join(runDir, runDatasetsFile), { kind: 'runRecord' }) as Partial<RunDatasets> | null;
    const path = datasets?.train?.path;
    return typeof path === 'string' && path !== '' ? resolve(runDir, path) : undefined;
  } catch {
    return undefined;
  }
}

/** The examples file a template names in its front matter (`examples:`), resolved inside the workspace. */
function templateExamplesFile(root: string, templatePath: string, templateText: string): string | undefined {
  const settings = examplesSettings(parsePromptyDocument(templateText).frontMatter?.data);
  if (!settings) return undefined;
  const resolved = resolveInsideWorkspace(settings.file, templatePath, [root]);
  return 'path' in resolved ? resolved.path : undefined;
}

async function wantedFiles(spec: ComparisonSpec, strategies: readonly StrategySpec[], readText: (relativePath: string) => Promise<string | undefined>, notes: string[]): Promise<WantedFile[]> {
  const wanted: WantedFile[] = spec.trainingData.map((path) => ({ kind: 'training', path: resolve(spec.root, path) }));
  for (const strategy of strategies) {
    if (strategy.fineTuned) {
      const train = recordedTrainFile(resolve(spec.root, strategy.fineTuned.run));
      if (train) wanted.push({ kind: 'training', path: train });
      else notes.push(`Strategy ${strategy.name}: its run ${strategy.fineTuned.run} records no training file (${runDatasetsFile}); its training data was not checked for overlap with the eval set.`);
    }
    if (strategy.fewShot?.examples !== undefined) wanted.push({ kind: 'examples', path: resolve(spec.root, strategy.fewShot.examples) });
    else if (strategy.template !== undefined) {
      const text = await readText(strategy.template);
      const file = text !== undefined ? templateExamplesFile(spec.root, resolve(spec.root, strategy.template), text) : undefined;
      if (file) wanted.push({ kind: 'examples', path: file });
    }
  }
  const seen = new Set<string>();
  return wanted.filter((file) => {
    const key = `${file.kind}\u0000${file.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Reads every file the eval set must not overlap; unreadable ones are skipped with a note. */
export async function contaminationSources(
  spec: ComparisonSpec,
  strategies: readonly StrategySpec[],
  readText: (relativePath: string) => Promise<string | undefined>,
  notes: string[],
): Promise<ContaminationSource[]> {
  const sources: ContaminationSource[] = [];
  for (const file of await wantedFiles(spec, strategies, readText, notes)) {
    try {
      const text = await readBoundedText(file.path, file.kind === 'training' ? { kind: 'document', maxBytes: maxTrainingFileBytes } : { kind: 'template' });
      sources.push({ kind: file.kind, label: label(spec.root, file.path), text });
    } catch (error) {
      notes.push(`${label(spec.root, file.path)} was not checked for overlap with the eval set: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return sources;
}
