/**
 * The adapters a GPU server can load: those of the workspace's finished fine-tuning runs (done, or stopped after a
 * save) whose adapter folder holds an `adapter_config.json`. Each gets a model id made from its run's name, unique
 * among them.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readBoundedTextSync } from '../files/boundedRead';
import { snapshotOfRun } from '../jobs/jobSnapshot';
import { listRunFolders, safeRunName } from '../jobs/runFolder';

export interface ServableAdapter {
  /** The model id it is served as. */
  name: string;
  /** The adapter folder (absolute). */
  path: string;
  runDir: string;
  /** The base model named in its adapter_config.json, when it names one. */
  baseModel?: string;
  /** LoRA rank (`r`), when given: vLLM's `--max-lora-rank` must cover the largest. */
  rank?: number;
}

export function findServableAdapters(workspaceRoot: string): ServableAdapter[] {
  const adapters: ServableAdapter[] = [];
  const names = new Set<string>();
  for (const runDir of listRunFolders(workspaceRoot)) {
    let snapshot;
    try {
      snapshot = snapshotOfRun(runDir);
    } catch {
      continue;
    }
    if (snapshot.kind !== 'train' || (snapshot.status !== 'done' && snapshot.status !== 'stopped')) continue;
    const path = snapshot.adapter ?? join(runDir, 'adapter');
    const config = readAdapterConfig(path);
    if (!config) continue;
    let name = safeRunName(snapshot.name);
    for (let n = 2; names.has(name); n++) name = `${safeRunName(snapshot.name)}-${n}`;
    names.add(name);
    adapters.push({ name, path, runDir, ...(config.baseModel !== undefined ? { baseModel: config.baseModel } : {}), ...(config.rank !== undefined ? { rank: config.rank } : {}) });
  }
  return adapters;
}

function readAdapterConfig(folder: string): { baseModel?: string; rank?: number } | undefined {
  const file = join(folder, 'adapter_config.json');
  try {
    if (!existsSync(file) || !statSync(folder).isDirectory()) return undefined;
    const value = JSON.parse(readBoundedTextSync(file, { kind: 'modelConfig' })) as unknown;
    if (typeof value !== 'object' || value === null) return undefined;
    const config = value as { base_model_name_or_path?: unknown; r?: unknown };
    return {
      ...(typeof config.base_model_name_or_path === 'string' ? { baseModel: config.base_model_name_or_path } : {}),
      ...(typeof config.r === 'number' && Number.isInteger(config.r) && config.r > 0 ? { rank: config.r } : {}),
    };
  } catch {
    return undefined;
  }
}
