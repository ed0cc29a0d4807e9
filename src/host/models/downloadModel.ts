import * as vscode from 'vscode';
import { selectFiles, type FileSelection, type ModelRuntime } from '../../core/hub/fileSelection';
import { getModelDetails, type ModelDetails } from '../../core/hub/hubClient';
import { DownloadCancelledError, HubAccessError, HubOfflineError, HubUnreachableError } from '../../core/hub/hubErrors';
import { describeOffline } from '../../core/hub/offlineMode';
import { type OnnxVariant } from '../../core/hub/modelFormats';
import { parseModelRef } from '../../core/hub/modelLookup';
import { formatBytes } from '../../core/text/byteSize';
import { type DownloadResult } from '../../shared/downloadProtocol';
import { type Ctx } from '../context';
import { runDownloadInWorker } from './downloadWorkerClient';
import { type HubAccess } from './hubAccess';

export interface DownloadChoice {
  runtime?: ModelRuntime;
  variant?: OnnxVariant;
  /** Skip the confirmation (the user already agreed, e.g. in the picker). */
  confirmed?: boolean;
}

/**
 * Downloads a model into the Hugging Face cache with a cancellable progress notification (bytes, rate, time left).
 * Asks for the runtime and ONNX variant when the repository offers several. Returns the snapshot folder, or undefined
 * when the user cancelled.
 */
export async function downloadModel(ctx: Ctx, access: HubAccess, ref: string, choice: DownloadChoice = {}): Promise<string | undefined> {
  const connection = await access.connection();
  const { repoId, revision } = parseModelRef(ref);
  let details: ModelDetails;
  try {
    details = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Looking up ${repoId}…` }, () => getModelDetails(connection, repoId, revision));
    access.noteReachable(true);
  } catch (error) {
    // Retried through the command, so the Models view refreshes when the download succeeds.
    await reportHubError(ctx, access, error, () => Promise.resolve(vscode.commands.executeCommand('chatwright.models.download', ref, choice)));
    return undefined;
  }
  const selection = await chooseFiles(details, choice);
  if (!selection) return undefined;
  if (!choice.confirmed) {
    const answer = await vscode.window.showInformationMessage(
      `Download ${repoId} (${selection.files.length} files, ${formatBytes(selection.totalBytes)}${selection.variant ? `, ONNX ${selection.variant}` : ''}) into the Hugging Face cache?`,
      { modal: true, detail: `Commit ${details.commit.slice(0, 12)}. Python's transformers and huggingface_hub will find the same files.` },
      'Download',
    );
    if (answer !== 'Download') return undefined;
  }
  ctx.log.info(`downloading ${repoId}@${details.commit} (${selection.files.map((file) => file.path).join(', ')})`);
  let result: DownloadResult;
  try {
    result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Downloading ${repoId}`, cancellable: true }, async (progress, token) => {
      const controller = new AbortController();
      const subscription = token.onCancellationRequested(() => controller.abort());
      let reported = 0;
      try {
        // The transfer, its hashing and its writes run on a worker thread; this thread relays progress.
        return await runDownloadInWorker(
          ctx.asAbsolutePath('dist/downloadWorker.js'),
          {
            endpoint: connection.endpoint,
            offline: connection.offline,
            token: connection.token,
            repoId,
            revision,
            commit: details.commit,
            files: selection.files,
            env: { ...access.env() },
            concurrency: ctx.config.models.concurrency,
          },
          {
            signal: controller.signal,
            log: (message) => void access.redact(message).then((text) => ctx.log.info(`${repoId}: ${text}`)),
            onProgress: (p) => {
              const percent = p.totalBytes > 0 ? (100 * p.doneBytes) / p.totalBytes : 100;
              const eta = p.etaSeconds === undefined ? '' : ` · ${formatDuration(p.etaSeconds)} left`;
              progress.report({
                increment: Math.max(0, percent - reported),
                message: `${formatBytes(p.doneBytes)} / ${formatBytes(p.totalBytes)} · ${formatBytes(p.bytesPerSecond)}/s${eta} · ${p.filesDone}/${p.filesTotal} files`,
              });
              reported = Math.max(reported, percent);
            },
          },
        );
      } finally {
        subscription.dispose();
      }
    });
  } catch (error) {
    if (error instanceof DownloadCancelledError) {
      ctx.log.info(`${repoId}: ${error.message}`);
      void vscode.window.showInformationMessage(`Chatwright: ${error.message}`);
      return undefined;
    }
    await reportHubError(ctx, access, error);
    return undefined;
  }
  ctx.log.info(
    `${repoId}: downloaded ${result.downloaded.length}, reused ${result.reused.length}, repaired ${result.repaired.length}; ${formatBytes(result.transferredBytes)} in ${result.seconds.toFixed(1)} s → ${result.snapshotFolder}`,
  );
  return result.snapshotFolder;
}

async function chooseFiles(details: ModelDetails, choice: DownloadChoice): Promise<FileSelection | undefined> {
  let runtime = choice.runtime;
  if (!runtime) {
    const { onnxEngine, pythonBackend } = details.capabilities;
    if (onnxEngine && pythonBackend) {
      const picked = await vscode.window.showQuickPick(
        [
          { label: 'ONNX engine', description: 'built in, runs on the CPU', runtime: 'onnx' as const },
          { label: 'Python backend', description: 'safetensors weights for transformers/peft (GPU, fine-tuning)', runtime: 'python' as const },
        ],
        { title: `Which files of ${details.id}?` },
      );
      if (!picked) return undefined;
      runtime = picked.runtime;
    } else if (pythonBackend) runtime = 'python';
    else if (onnxEngine) runtime = 'onnx';
    else throw new Error(`${details.id}: ${details.capabilities.summary}`);
  }
  let variant = choice.variant;
  if (runtime === 'onnx' && !variant && details.files.onnxVariants.length > 1) {
    const preferred = selectFiles(details.repoFiles, 'onnx', undefined, details.task).variant;
    const items = details.files.onnxVariants.map((candidate) => {
      const files = selectFiles(details.repoFiles, 'onnx', candidate, details.task);
      return { label: candidate, description: `${formatBytes(files.totalBytes)}${candidate === preferred ? ' · suggested for the CPU' : ''}`, variant: candidate, picked: candidate === preferred };
    });
    items.sort((a, b) => Number(b.picked) - Number(a.picked));
    const picked = await vscode.window.showQuickPick(items, { title: `ONNX variant of ${details.id}` });
    if (!picked) return undefined;
    variant = picked.variant;
  }
  return selectFiles(details.repoFiles, runtime, variant, details.task);
}

/** The action in Hub error notifications that offers the way around the Hub. */
export const useLocalFolderAction = 'Use a Local Model Folder…';

/**
 * Errors from the Hub, with the actions that help: request access, set a token; when the Hub cannot be reached, retry
 * (with `retry`), work offline or use a local folder; in offline mode, use a local folder or go back online. Only the
 * access error is awaited (its actions continue the same task); the others must not hold up the command that failed.
 */
export async function reportHubError(ctx: Ctx, access: HubAccess, error: unknown, retry?: () => Promise<unknown>): Promise<void> {
  const message = await access.redact(error instanceof Error ? error.message : String(error));
  ctx.log.error(message);
  if (error instanceof HubAccessError) {
    const actions = [...(error.gated ? ['Request Access'] : []), 'Set Token'];
    const answer = await vscode.window.showErrorMessage(`Chatwright: ${message}`, ...actions);
    if (answer === 'Request Access') await vscode.env.openExternal(vscode.Uri.parse(error.accessUrl));
    if (answer === 'Set Token') await access.promptForToken();
    return;
  }
  if (error instanceof HubUnreachableError) {
    access.noteReachable(false);
    void offerWayAround(ctx, `Chatwright: ${message}`, [...(retry ? ['Retry'] : []), 'Work Offline', useLocalFolderAction], retry);
    return;
  }
  if (error instanceof HubOfflineError) {
    const decision = access.offline();
    void offerWayAround(ctx, `Chatwright: ${describeOffline(decision)}`, [useLocalFolderAction, ...(decision.source === 'setting' ? ['Work Online'] : [])], retry);
    return;
  }
  void vscode.window.showErrorMessage(`Chatwright: ${message}`);
}

async function offerWayAround(ctx: Ctx, message: string, actions: string[], retry: (() => Promise<unknown>) | undefined): Promise<void> {
  const answer = await vscode.window.showErrorMessage(message, ...actions);
  try {
    if (answer === 'Retry' && retry) await retry();
    else if (answer === 'Work Offline') await vscode.commands.executeCommand('chatwright.models.workOffline');
    else if (answer === 'Work Online') await vscode.commands.executeCommand('chatwright.models.workOnline');
    else if (answer === useLocalFolderAction) await vscode.commands.executeCommand('chatwright.models.useLocalFolder');
  } catch (error) {
    ctx.log.error(`${answer ?? 'action'} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.ceil(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}
