import { type Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { readBoundedJsonSync } from '../files/boundedRead';
import { repoIdFromFolderName } from './cachePaths';
import { scanCachedModel, scanHubCacheDetailed } from './cacheScan';
import { describeModelFiles, modelCapabilities, roleFromFiles } from './modelFormats';

/** A folder that holds one model in the Hugging Face layout, ready for the ONNX engine. */
export interface LocalModel {
  /** Absolute path of the folder the engine opens (for a cache repository: its newest snapshot). */
  folder: string;
  /** What to call it: the repository id for a cached repository, else the folder's name. */
  name: string;
  /** The role its files suggest, when they say. */
  role: 'chat' | 'embedding' | undefined;
  /** A one-line account of what the engine can do with it. */
  summary: string;
}

/** What a folder the user chose turned out to be. */
export type LocalModelSource = { kind: 'model'; model: LocalModel } | { kind: 'cache'; cacheDir: string; models: LocalModel[] };

/** A folder that is not a model folder (nor a cache of them); the message says what is missing. */
export class LocalModelFolderError extends Error {
  constructor(
    readonly folder: string,
    message: string,
  ) {
    super(message);
    this.name = 'LocalModelFolderError';
  }
}

const maxListedEntries = 10_000;
/** The weight files the ONNX engine loads (`openModelFolder`): onnx/model{variant}.onnx, or model.onnx at the top. */
const engineWeightFile = /^(onnx\/model(_fp16|_quantized|_int8|_uint8|_q4|_q4f16|_bnb4)?|model)\.onnx$/;

/**
 * Checks a folder the user named as a model: a model in the Hugging Face layout (config.json, tokenizer.json and ONNX
 * weights in onnx/ or at the top), one repository of a Hugging Face cache (`models--org--name`: its newest snapshot), or
 * a whole cache folder (every model in it that the engine can run). Only listings and config.json are read, config.json
 * through the bounded reader since the folder comes from outside. Throws a LocalModelFolderError naming what is missing.
 */
export async function inspectLocalModelFolder(path: string): Promise<LocalModelSource> {
  const folder = resolve(path);
  const info = await stat(folder).catch((error: unknown) => {
    throw new LocalModelFolderError(folder, `${folder} cannot be opened: ${error instanceof Error ? error.message : String(error)}`);
  });
  if (!info.isDirectory()) throw new LocalModelFolderError(folder, `${folder} is a file, not a folder: choose the folder that holds config.json, tokenizer.json and onnx/.`);

  const repoId = repoIdFromFolderName(basename(folder));
  if (repoId !== undefined) return { kind: 'model', model: await newestSnapshot(folder, repoId) };

  const entries = await listFolder(folder);
  if (entries.some((entry) => entry.isDirectory() && repoIdFromFolderName(entry.name) !== undefined)) return inspectCacheFolder(folder);
  return { kind: 'model', model: await checkModelLayout(folder, basename(folder), entries) };
}

async function listFolder(folder: string): Promise<Dirent[]> {
  try {
    return (await readdir(folder, { withFileTypes: true })).slice(0, maxListedEntries);
  } catch (error) {
    throw new LocalModelFolderError(folder, `${folder} cannot be listed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function newestSnapshot(repoFolder: string, repoId: string): Promise<LocalModel> {
  const cached = await scanCachedModel(repoFolder);
  const revision = cached.revisions[0];
  if (!revision) throw new LocalModelFolderError(repoFolder, `${repoFolder} is a Hugging Face cache folder for ${repoId} but holds no downloaded snapshot (snapshots/<commit>/ is empty or missing).`);
  return checkModelLayout(revision.folder, repoId, await listFolder(revision.folder));
}

async function inspectCacheFolder(cacheDir: string): Promise<LocalModelSource> {
  const scan = await scanHubCacheDetailed({ HF_HUB_CACHE: cacheDir });
  const models: LocalModel[] = [];
  const problems: string[] = [];
  for (const cached of scan.models) {
    const revision = cached.revisions[0];
    if (!revision) continue;
    try {
      models.push(await checkModelLayout(revision.folder, cached.repoId, await listFolder(revision.folder)));
    } catch (error) {
      problems.push(`${cached.repoId}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (models.length === 0) {
    const detail = problems.length > 0 ? ` ${problems.slice(0, 3).join(' ')}` : ' It holds no downloaded snapshot.';
    throw new LocalModelFolderError(cacheDir, `${cacheDir} is a Hugging Face cache folder, but none of its models can run in Chatwright's ONNX engine.${detail}`);
  }
  return { kind: 'cache', cacheDir, models };
}

async function checkModelLayout(folder: string, name: string, entries: readonly Dirent[]): Promise<LocalModel> {
  const names = new Set(entries.map((entry) => entry.name));
  const onnxFolder = entries.some((entry) => entry.name === 'onnx' && entry.isDirectory()) ? (await listFolder(join(folder, 'onnx'))).map((entry) => `onnx/${entry.name}`) : [];
  const paths = [...names, ...onnxFolder];
  const files = describeModelFiles(paths);
  const onnxWeights = paths.filter((path) => engineWeightFile.test(path));
  const missing: string[] = [];
  if (!names.has('config.json')) missing.push('config.json');
  if (!names.has('tokenizer.json')) missing.push('tokenizer.json');
  if (onnxWeights.length === 0)
    missing.push(
      files.safetensors.length > 0 || files.gguf.length > 0
        ? `ONNX weights (it has ${files.formats.join(', ')} weights only; the built-in engine runs ONNX exports such as onnx-community's or Xenova's)`
        : 'ONNX weights (onnx/model.onnx, onnx/model_quantized.onnx, …)',
    );
  if (missing.length > 0) {
    throw new LocalModelFolderError(
      folder,
      `${folder} is not a model folder: it has no ${missing.join(', no ')}. Choose a folder in the Hugging Face layout (config.json, tokenizer.json, onnx/model*.onnx) or a Hugging Face cache folder.`,
    );
  }
  const config = readConfig(join(folder, 'config.json'));
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw new LocalModelFolderError(folder, `${join(folder, 'config.json')} is not a JSON object, so this is not a model's configuration.`);
  return { folder, name, role: roleFromFiles(paths), summary: modelCapabilities(files).summary };
}

function readConfig(file: string): unknown {
  try {
    return readBoundedJsonSync(file, { kind: 'modelConfig' });
  } catch (error) {
    throw new LocalModelFolderError(file, error instanceof Error ? error.message : String(error));
  }
}
