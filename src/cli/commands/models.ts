import { parseArgs } from 'node:util';
import { hubCacheDir } from '../../core/hub/cacheLocation';
import { removeCachedModel } from '../../core/hub/cacheRemove';
import { scanHubCache, scanHubCacheDetailed } from '../../core/hub/cacheScan';
import { downloadToCache } from '../../core/hub/downloader';
import { selectFiles } from '../../core/hub/fileSelection';
import { detectHardware } from '../../core/hub/hardware';
import { getModelDetails, hubConnection, searchModels, type ModelSort, type ModelSummary } from '../../core/hub/hubClient';
import { DownloadCancelledError, redactSecrets } from '../../core/hub/hubErrors';
import { fitFromCache, fitFromHub, type FitOptions, type FitReport } from '../../core/hub/modelFit';
import { onnxVariants, type OnnxVariant, type WeightFormat } from '../../core/hub/modelFormats';
import { cachedRevisionFor, formatParameters, parseModelRef, parseParameterCount } from '../../core/hub/modelLookup';
import { formatBytes } from '../../core/text/byteSize';
import { type DownloadProgress } from '../../shared/downloadProtocol';
import { ExitCode, UsageError, type CliCommand, type CliIo } from '../io';

const usage = `chatwright models <search|ls|download|fit|rm> …

  search <text> [--task T] [--format onnx|safetensors|gguf] [--license L] [--author A]
                [--sort downloads|likes|updated|created] [--max-params 3B] [--min-params 100M] [--limit N] [--json]
      Search the Hugging Face Hub (HF_ENDPOINT). Tasks: text-generation, feature-extraction, sentence-similarity…
  ls [--json]
      List the models in the local cache (HF_HUB_CACHE / HF_HOME), offline.
  download <id[@revision]> [--runtime onnx|python] [--variant q4|int8|fp16|fp32|…] [--concurrency N] [--json]
      Download the files the runtime needs into the cache, resumable and verified. Ctrl+C stops; run it again to resume.
  fit <id[@revision]> [--context N] [--seq N] [--batch N] [--rank N] [--json]
      Estimate memory for ONNX CPU inference, GPU inference and LoRA/QLoRA training, and compare with this machine.
  rm <id>
      Delete a model from the cache.

Environment: HF_ENDPOINT, HF_TOKEN / HUGGING_FACE_HUB_TOKEN, HF_HUB_OFFLINE, HF_HOME, HF_HUB_CACHE.
Exit code: 0 done, 1 the operation failed (not found, no access, cancelled), 2 usage error.`;

export const modelsCommand: CliCommand = {
  name: 'models',
  summary: 'Search the Hugging Face Hub, list the cache, download models, estimate whether they fit',
  usage,
  async run(args, io) {
    const [sub, ...rest] = args;
    const connection = hubConnection(io.env);
    const redact = (text: string): string => redactSecrets(text, [connection.token]);
    try {
      switch (sub) {
        case 'search':
          return await search(rest, io);
        case 'ls':
        case 'list':
          return await list(rest, io);
        case 'download':
          return await download(rest, io);
        case 'fit':
          return await fit(rest, io);
        case 'rm':
        case 'remove':
          return await remove(rest, io);
        case undefined:
          throw new UsageError('models needs a subcommand: search, ls, download, fit or rm');
        default:
          throw new UsageError(`unknown subcommand '${sub}' (search, ls, download, fit, rm)`);
      }
    } catch (error) {
      if (error instanceof UsageError || (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) throw error;
      io.stderr.write(`chatwright models ${sub ?? ''}: ${redact(error instanceof Error ? error.message : String(error))}\n`);
      return ExitCode.findings;
    }
  },
};

const sorts: Record<string, ModelSort> = { downloads: 'downloads', likes: 'likes', updated: 'lastModified', lastModified: 'lastModified', created: 'createdAt', createdAt: 'createdAt' };

async function search(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      task: { type: 'string' },
      format: { type: 'string' },
      license: { type: 'string' },
      author: { type: 'string' },
      sort: { type: 'string', default: 'downloads' },
      limit: { type: 'string', default: '20' },
      'max-params': { type: 'string' },
      'min-params': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const sort = sorts[values.sort];
  if (!sort) throw new UsageError(`--sort must be downloads, likes, updated or created`);
  if (values.format && !['onnx', 'safetensors', 'gguf', 'pytorch'].includes(values.format)) throw new UsageError('--format must be onnx, safetensors or gguf');
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive whole number');
  const results = await searchModels(hubConnection(io.env), {
    ...(positionals.length > 0 ? { text: positionals.join(' ') } : {}),
    ...(values.task ? { task: values.task } : {}),
    ...(values.format ? { format: values.format as WeightFormat } : {}),
    ...(values.license ? { license: values.license } : {}),
    ...(values.author ? { author: values.author } : {}),
    ...(values['max-params'] ? { maxParameters: parseParameterCount(values['max-params']) } : {}),
    ...(values['min-params'] ? { minParameters: parseParameterCount(values['min-params']) } : {}),
    sort,
    limit,
  });
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ models: results }, null, 2)}\n`);
    return ExitCode.ok;
  }
  for (const model of results) io.stdout.write(`${describeSummary(model)}\n`);
  io.stderr.write(`${results.length} model(s)\n`);
  return ExitCode.ok;
}

export function describeSummary(model: ModelSummary): string {
  const flags = [model.gated ? 'gated' : '', model.private ? 'private' : ''].filter(Boolean);
  const formats = [
    ...model.files.formats.map((format) =>
      format === 'onnx' && model.files.onnxVariants.length > 0
        ? `onnx(${model.files.onnxVariants.join(',')})`
        : format === 'gguf' && model.files.ggufQuantizations.length > 0
          ? `gguf(${model.files.ggufQuantizations.join(',')})`
          : format,
    ),
  ];
  return [
    model.id,
    `  ${model.task ?? 'task ?'} · ${formatParameters(model.parameters)} params · ${model.license ?? 'licence ?'}${model.languages.length > 0 ? ` · ${model.languages.join(',')}` : ''} · ↓${model.downloads} ♥${model.likes}${flags.length > 0 ? ` · ${flags.join(', ')}` : ''}`,
    `  formats: ${formats.join(' ') || 'none listed'}`,
    `  Chatwright: ${model.capabilities.summary}`,
  ].join('\n');
}

async function list(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false } } });
  const scan = await scanHubCacheDetailed(io.env);
  if (values.json) {
    io.stdout.write(`${JSON.stringify(scan, null, 2)}\n`);
    return ExitCode.ok;
  }
  for (const model of scan.models) {
    const revisions = model.revisions.map((r) => `${r.commit.slice(0, 8)}${r.refs.length > 0 ? ` (${r.refs.join(', ')})` : ''}`).join(', ');
    io.stdout.write(
      `${model.repoId.padEnd(48)} ${formatBytes(model.sizeOnDisk).padStart(9)}  ${model.lastModified.toISOString().slice(0, 10)}  ${revisions}${model.incompleteBytes > 0 ? `  [${formatBytes(model.incompleteBytes)} partial]` : ''}\n`,
    );
  }
  for (const warning of scan.warnings) io.stderr.write(`warning: ${warning}\n`);
  io.stderr.write(`${scan.models.length} model(s), ${formatBytes(scan.sizeOnDisk)} in ${scan.cacheDir}\n`);
  return ExitCode.ok;
}

async function download(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      runtime: { type: 'string', default: 'onnx' },
      variant: { type: 'string' },
      concurrency: { type: 'string', default: '4' },
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
    },
  });
  const [ref] = positionals;
  if (!ref || positionals.length > 1) throw new UsageError('download needs one model id (org/name[@revision])');
  if (values.runtime !== 'onnx' && values.runtime !== 'python') throw new UsageError('--runtime must be onnx or python');
  if (values.variant && !onnxVariants.includes(values.variant as OnnxVariant)) throw new UsageError(`--variant must be one of ${onnxVariants.join(', ')}`);
  const connection = hubConnection(io.env);
  const redact = (text: string): string => redactSecrets(text, [connection.token]);
  const { repoId, revision } = parseModelRef(ref);
  const details = await getModelDetails(connection, repoId, revision);
  const selection = selectFiles(details.repoFiles, values.runtime, values.variant as OnnxVariant | undefined, details.task);
  io.stderr.write(
    `${repoId}@${details.commit.slice(0, 8)}: ${selection.files.length} file(s), ${formatBytes(selection.totalBytes)}${selection.variant ? `, ONNX ${selection.variant}` : ''} → ${hubCacheDir(io.env)}\n`,
  );
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  const interactive = (io.stderr as { isTTY?: boolean }).isTTY === true;
  let lastLine = 0;
  const onProgress = (progress: DownloadProgress): void => {
    const now = Date.now();
    if (!interactive && now - lastLine < 2000 && progress.filesDone < progress.filesTotal) return;
    lastLine = now;
    const line = progressLine(progress);
    io.stderr.write(interactive ? `\r${line.padEnd(80)}` : `${line}\n`);
  };
  try {
    const result = await downloadToCache({
      connection,
      repoId,
      revision,
      commit: details.commit,
      files: selection.files,
      env: io.env,
      concurrency: Math.max(1, Number(values.concurrency) || 4),
      signal: controller.signal,
      onProgress,
      ...(values.verbose
        ? { log: (message: string) => io.stderr.write(`${redact(message)}\n`) }
        : { log: (message: string) => (/corrupt|checksum|resum/i.test(message) ? io.stderr.write(`${redact(message)}\n`) : undefined) }),
    });
    if (interactive) io.stderr.write('\n');
    if (values.json) io.stdout.write(`${JSON.stringify({ repoId, commit: details.commit, variant: selection.variant, ...result }, null, 2)}\n`);
    else io.stdout.write(`${result.snapshotFolder}\n`);
    io.stderr.write(
      `downloaded ${result.downloaded.length}, reused ${result.reused.length}${result.repaired.length > 0 ? `, repaired ${result.repaired.length}` : ''}: ${formatBytes(result.transferredBytes)} in ${result.seconds.toFixed(1)} s\n`,
    );
    return ExitCode.ok;
  } catch (error) {
    if (interactive) io.stderr.write('\n');
    if (error instanceof DownloadCancelledError) {
      io.stderr.write(`${error.message}\n`);
      return ExitCode.findings;
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', onSignal);
  }
}

export function progressLine(progress: DownloadProgress): string {
  const percent = progress.totalBytes > 0 ? Math.floor((100 * progress.doneBytes) / progress.totalBytes) : 100;
  const eta = progress.etaSeconds === undefined ? '' : ` · ${Math.ceil(progress.etaSeconds)} s left`;
  return `${percent}% ${formatBytes(progress.doneBytes)} / ${formatBytes(progress.totalBytes)} · ${formatBytes(progress.bytesPerSecond)}/s${eta} · ${progress.filesDone}/${progress.filesTotal} files`;
}

async function fit(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      context: { type: 'string' },
      seq: { type: 'string' },
      batch: { type: 'string' },
      rank: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const [ref] = positionals;
  if (!ref) throw new UsageError('fit needs a model id (org/name[@revision])');
  const positive = (name: string, value: string): number => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < 1) throw new UsageError(`--${name} must be a positive whole number`);
    return number;
  };
  const options: FitOptions = {
    ...(values.context ? { contextLength: positive('context', values.context) } : {}),
    ...(values.seq ? { trainingSequenceLength: positive('seq', values.seq) } : {}),
    ...(values.batch ? { trainingBatch: positive('batch', values.batch), batch: 1 } : {}),
    ...(values.rank ? { loraRank: positive('rank', values.rank) } : {}),
  };
  const hardware = await detectHardware();
  const connection = hubConnection(io.env);
  const { repoId, revision } = parseModelRef(ref);
  let report: FitReport;
  const cached = (await scanHubCache(io.env)).find((model) => model.repoId === repoId);
  const cachedRevision = cached ? cachedRevisionFor(cached, revision) : undefined;
  if (cachedRevision && cachedRevision.files.some((file) => file.path === 'config.json')) report = await fitFromCache(repoId, cachedRevision, hardware, options);
  else report = await fitFromHub(connection, await getModelDetails(connection, repoId, revision), hardware, options);
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ hardware, ...report }, null, 2)}\n`);
    return ExitCode.ok;
  }
  io.stdout.write(`${report.repoId}: ${formatParameters(report.parameters)} parameters (${report.parametersSource}), ${report.architecture.modelType}, ${report.architecture.layers} layers\n`);
  io.stdout.write(
    `machine: ${hardware.cpuCount} CPU cores, ${formatBytes(hardware.ramBytes)} RAM; ${hardware.gpus.map((gpu) => `${gpu.name} ${formatBytes(gpu.memoryBytes)}`).join(', ') || 'no NVIDIA GPU'}\n`,
  );
  for (const verdict of report.verdicts) {
    const { estimate } = verdict;
    const what =
      estimate.scenario === 'lora' || estimate.scenario === 'qlora'
        ? `train ${estimate.variant}, seq ${estimate.tokens} × batch ${estimate.batch}`
        : `${estimate.device.toUpperCase()} ${estimate.variant}, context ${estimate.tokens}`;
    io.stdout.write(`  ${fitMark(verdict.fit)} ${what.padEnd(44)} ${formatBytes(estimate.bytes).padStart(9)}  ${verdict.fit}${verdict.capacityBytes ? ` (${verdict.deviceName})` : ''}\n`);
  }
  return ExitCode.ok;
}

function fitMark(fit: string): string {
  return fit === 'fits' ? '✓' : fit === 'tight' ? '~' : fit === 'no-device' ? '-' : '✗';
}

async function remove(args: string[], io: CliIo): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length !== 1 || !positionals[0]) throw new UsageError('rm needs one model id');
  const freed = await removeCachedModel(positionals[0], io.env);
  io.stderr.write(`removed ${positionals[0]}: ${formatBytes(freed)} freed\n`);
  return ExitCode.ok;
}
