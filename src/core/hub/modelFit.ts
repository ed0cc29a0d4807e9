import { join } from 'node:path';
import { fileSizeCaps, readBoundedText } from '../files/boundedRead';
import { type CachedRevision } from './cacheScan';
import { authorizedFetch, type HubConnection, type ModelDetails } from './hubClient';
import { describeModelFiles, type OnnxVariant } from './modelFormats';
import { architectureFromConfig, estimateMemory, judgeFit, parametersFromConfig, type EstimateOptions, type FitVerdict, type Hardware, type ModelArchitecture } from './memoryEstimate';
import { fileRangeReader, hubRangeReader, parametersByDtype, readBodyPrefix, readSafetensorsHeader, type RangeReader } from './safetensorsHeader';

export interface FitReport {
  repoId: string;
  architecture: ModelArchitecture;
  parameters: number;
  parametersSource: 'hub metadata' | 'safetensors headers' | 'config.json formula';
  verdicts: FitVerdict[];
}

export type FitOptions = Omit<EstimateOptions, 'parameters' | 'onnxWeights'>;

interface FitSource {
  repoId: string;
  config: unknown;
  hubParameters: number | undefined;
  /** path → size */
  files: Map<string, number>;
  reader: (path: string) => RangeReader;
}

async function buildReport(source: FitSource, hardware: Hardware, options: FitOptions): Promise<FitReport> {
  const architecture = architectureFromConfig(source.config);
  let parameters = source.hubParameters;
  let parametersSource: FitReport['parametersSource'] = 'hub metadata';
  if (parameters === undefined) {
    const shards = [...source.files.keys()].filter((path) => path.endsWith('.safetensors') && !path.includes('/'));
    if (shards.length > 0) {
      try {
        const headers = await Promise.all(shards.map((path) => readSafetensorsHeader(source.reader(path))));
        parameters = headers.reduce((sum, header) => sum + Object.values(parametersByDtype(header)).reduce((a, b) => a + b, 0), 0);
        parametersSource = 'safetensors headers';
      } catch {
        parameters = undefined;
      }
    }
  }
  if (parameters === undefined) {
    parameters = parametersFromConfig(architecture);
    parametersSource = 'config.json formula';
  }
  const described = describeModelFiles([...source.files.keys()]);
  const onnxWeights: Partial<Record<OnnxVariant, number>> = {};
  const mainGraph = described.onnx.some((file) => file.graph === 'model') ? 'model' : 'decoder_model_merged';
  for (const file of described.onnx) {
    if (file.graph !== mainGraph) continue;
    onnxWeights[file.variant] = [file.path, ...file.dataFiles].reduce((sum, path) => sum + (source.files.get(path) ?? 0), 0);
  }
  const estimates = estimateMemory(architecture, { ...options, parameters, onnxWeights });
  return { repoId: source.repoId, architecture, parameters, parametersSource, verdicts: estimates.map((estimate) => judgeFit(estimate, hardware)) };
}

/** Fit from the Hub: config.json through resolve, parameters from the Hub's metadata or the safetensors headers (Range). */
export async function fitFromHub(connection: HubConnection, details: ModelDetails, hardware: Hardware, options: FitOptions = {}): Promise<FitReport> {
  const configUrl = `${connection.endpoint}/${details.id}/resolve/${details.commit}/config.json`;
  const response = await authorizedFetch(connection)(configUrl);
  if (!response.ok) throw new Error(`${details.id} has no readable config.json (HTTP ${response.status}); the estimate needs it.`);
  const body = await readBodyPrefix(response, fileSizeCaps.modelConfig + 1);
  if (body.length > fileSizeCaps.modelConfig) throw new Error(`${details.id}'s config.json is over the limit of ${fileSizeCaps.modelConfig >> 20} MiB for a model configuration; refusing it.`);
  let config: unknown;
  try {
    config = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new Error(`${details.id}'s config.json is not valid JSON (${error instanceof Error ? error.message : String(error)}); the estimate needs it.`);
  }
  return buildReport(
    {
      repoId: details.id,
      config,
      hubParameters: details.parameters,
      files: new Map(details.repoFiles.map((file) => [file.path, file.size])),
      reader: (path) => hubRangeReader(connection, details.id, details.commit, path),
    },
    hardware,
    options,
  );
}

/** Fit from a cached snapshot, offline. */
export async function fitFromCache(repoId: string, revision: CachedRevision, hardware: Hardware, options: FitOptions = {}): Promise<FitReport> {
  let config: unknown;
  try {
    config = JSON.parse(await readBoundedText(join(revision.folder, 'config.json'), { kind: 'modelConfig' }));
  } catch (error) {
    throw new Error(`${join(revision.folder, 'config.json')}: cannot read it (${error instanceof Error ? error.message : String(error)}); the estimate needs it.`);
  }
  return buildReport(
    {
      repoId,
      config,
      hubParameters: undefined,
      files: new Map(revision.files.filter((file) => file.present).map((file) => [file.path, file.size])),
      reader: (path) => fileRangeReader(join(revision.folder, ...path.split('/'))),
    },
    hardware,
    options,
  );
}
