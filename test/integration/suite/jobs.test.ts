import * as assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { type ChatwrightApi } from '../../../src/extension';
import { type JobSnapshot } from '../../../src/core/jobs/jobSnapshot';
import { isProcessAlive } from '../../../src/core/process/processGroup';
import { jobCommands } from '../../../src/host/jobs/jobSource';
import { generateDecoderModel } from '../../support/modelGenerator';
import { snapshotWhen as waitForSnapshot } from '../../support/snapshotWhen';
import { waitFor } from '../../support/waitFor';

/**
 * Fine-tuning jobs in a real extension host, against the stand-in trainer (test/fixtures/jobs/standin_trainer.py,
 * named by CHATWRIGHT_TRAINER_SCRIPT, the test hook): it speaks the trainer's event protocol with python3's standard
 * library, so the whole path (command, preflight worker, run folder, process group, events, Jobs view) runs here.
 * The extension host and these tests share one process, so the stand-in's speed is set through process.env.
 */
const extensionId = 'chatwright.chatwright';

async function api(): Promise<ChatwrightApi> {
  const extension = vscode.extensions.getExtension<ChatwrightApi>(extensionId)!;
  return extension.isActive ? extension.exports : extension.activate();
}

function workspaceFolder(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the tests run with the fixture workspace open');
  return folder.uri.fsPath;
}

function setStandin(steps: number, stepSeconds: number): void {
  process.env.STANDIN_STEPS = String(steps);
  process.env.STANDIN_STEP_SECONDS = String(stepSeconds);
}

function runFolders(): string[] {
  const runs = join(workspaceFolder(), '.chatwright', 'runs');
  return existsSync(runs) ? readdirSync(runs) : [];
}

describe('Fine-tuning jobs', function () {
  this.timeout(120_000);
  const saved = { script: process.env.CHATWRIGHT_TRAINER_SCRIPT, steps: process.env.STANDIN_STEPS, seconds: process.env.STANDIN_STEP_SECONDS };
  let folder: string;
  let jobFile: vscode.Uri;
  let chatwright: ChatwrightApi;

  before(async () => {
    chatwright = await api();
    const root = vscode.extensions.getExtension(extensionId)!.extensionPath;
    process.env.CHATWRIGHT_TRAINER_SCRIPT = join(root, 'test', 'fixtures', 'jobs', 'standin_trainer.py');
    folder = join(workspaceFolder(), 'jobs-it');
    mkdirSync(folder, { recursive: true });
    // A Llama-shaped model folder with Qwen3's real tokenizer and chat template: what preflight reads.
    generateDecoderModel(join(folder, 'tiny-model'), { architecture: 'llama', hiddenSize: 32, layers: 2, heads: 2, kvHeads: 1 });
    copyFileSync(join(root, 'test', 'python', 'fixtures', 'persona-train.jsonl'), join(folder, 'persona-train.jsonl'));
    jobFile = vscode.Uri.file(join(folder, 'persona.job.yaml'));
    writeFileSync(jobFile.fsPath, 'name: persona\nmodel:\n  path: ./tiny-model\ndata:\n  train: persona-train.jsonl\n  eval: null\nmethod:\n  type: lora\n  lora:\n    r: 8\ntraining:\n  epochs: 1\n');
  });

  after(() => {
    for (const [key, value] of [
      ['CHATWRIGHT_TRAINER_SCRIPT', saved.script],
      ['STANDIN_STEPS', saved.steps],
      ['STANDIN_STEP_SECONDS', saved.seconds],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  async function runJob(): Promise<string> {
    const runDir = await vscode.commands.executeCommand<string | undefined>(jobCommands.run, jobFile);
    assert.ok(runDir, 'Run Job returns the run folder of the job it queued');
    return runDir;
  }

  function snapshotWhen(runDir: string, what: string, test: (snapshot: JobSnapshot) => boolean, timeoutMs = 60_000): Promise<JobSnapshot> {
    return waitForSnapshot(chatwright.jobs.service, runDir, what, test, timeoutMs);
  }

  it('runs a job file to done through Run Job, and the Jobs view shows it done with its final loss', async () => {
    setStandin(12, 0.02);
    const runDir = await runJob();
    assert.ok(existsSync(join(runDir, 'config.json')), 'the run folder holds the resolved config');
    const done = await snapshotWhen(runDir, 'the job to finish', (snapshot) => snapshot.status === 'done' || snapshot.status === 'failed');
    assert.equal(done.status, 'done', JSON.stringify(done.error));
    assert.equal(done.step, 12);
    assert.ok(done.finalLoss !== undefined, 'the done phase reports the final loss');
    assert.ok(existsSync(join(runDir, 'adapter', 'adapter_config.json')), 'the adapter is in the run folder');
    const node = await waitFor(() => chatwright.jobs.tree.getChildren().find((child) => child.runDir === runDir), 'the job in the Jobs view');
    const item = chatwright.jobs.tree.getTreeItem(node);
    assert.equal(item.label, 'persona');
    assert.equal(item.contextValue, 'job.done');
    assert.match(String(item.description), /^lora · loss \d.* · 12 steps/);
    assert.deepEqual(item.command?.arguments, [runDir]);
    assert.equal(typeof item.tooltip, 'string');
    assert.match(item.tooltip as string, new RegExp(`Run folder: ${runDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it('stops and saves a running job with a checkpoint, then resumes it to done from that step', async () => {
    setStandin(400, 0.05);
    const runDir = await runJob();
    await snapshotWhen(runDir, 'training to pass step 3', (snapshot) => snapshot.status === 'running' && snapshot.step >= 3);
    await vscode.commands.executeCommand(jobCommands.stop, runDir);
    const stopped = await snapshotWhen(runDir, 'the job to stop', (snapshot) => ['stopped', 'done', 'failed', 'cancelled'].includes(snapshot.status));
    assert.equal(stopped.status, 'stopped');
    const checkpoint = stopped.checkpoints[stopped.checkpoints.length - 1];
    assert.ok(checkpoint, 'stopping saved a checkpoint');
    assert.ok(existsSync(join(runDir, 'checkpoints', `checkpoint-${checkpoint.step}`)), 'the checkpoint is on disk');
    assert.equal(chatwright.jobs.tree.getTreeItem({ runDir }).contextValue, 'job.stopped');

    setStandin(400, 0.001);
    await vscode.commands.executeCommand(jobCommands.resume, runDir);
    const done = await snapshotWhen(runDir, 'the resumed job to finish', (snapshot) => ['done', 'failed'].includes(snapshot.status) && snapshot.step > checkpoint.step);
    assert.equal(done.status, 'done', JSON.stringify(done.error));
    assert.equal(done.step, 400);
    assert.ok(done.resumedFrom?.endsWith(`checkpoint-${checkpoint.step}`), `resumed from ${String(done.resumedFrom)}`);
  });

  it('re-attaches to a running trainer after the service is disposed and recreated (a window reload)', async () => {
    setStandin(60, 0.1);
    const runDir = await runJob();
    const before = await snapshotWhen(runDir, 'training to start', (snapshot) => snapshot.status === 'running' && snapshot.step >= 2 && snapshot.pid !== undefined);
    const pid = before.pid!;
    const fresh = chatwright.jobs.reload();
    assert.ok(isProcessAlive(pid), 'disposing the service leaves the trainer running');
    assert.ok(fresh.run(runDir), 'the new service follows the run it found in the run folder');
    const attached = fresh.snapshot(runDir)!;
    assert.equal(attached.pid, pid);
    assert.ok(attached.step >= before.step, 'the events so far were replayed');
    const done = await snapshotWhen(runDir, 'the re-attached job to finish', (snapshot) => ['done', 'failed'].includes(snapshot.status));
    assert.equal(done.status, 'done');
    assert.equal(done.step, 60);
    await waitFor(() => (isProcessAlive(pid) ? undefined : true), 'the trainer to exit');
  });

  it("puts Run Job, Preflight and the last run's job page above a job file (CodeLens)", async () => {
    // The CodeLens command reads the editor's model of the file: it must be open.
    await vscode.window.showTextDocument(jobFile);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', jobFile);
    const titles = lenses.map((lens) => lens.command?.title ?? '');
    assert.deepEqual(titles.slice(0, 2), ['$(play) Run Job', 'Preflight']);
    const last = lenses.find((lens) => lens.command?.command === jobCommands.showJobPage);
    assert.ok(last, `lenses: ${titles.join(', ')}`);
    assert.equal(last.command!.arguments?.[0], chatwright.jobs.service.all().find((job) => job.jobFile === jobFile.fsPath)?.runDir, 'the newest run of this file');
  });

  it('Preflight Job shows the findings and the loss-mask preview in the job page, and starts nothing', async () => {
    const runsBefore = runFolders();
    const view = await vscode.commands.executeCommand<{ ok: boolean; examples: unknown[] } | undefined>(jobCommands.preflight, jobFile);
    assert.ok(view?.ok, 'the persona job passes its preflight');
    assert.ok(view.examples.length > 0, 'with rendered examples');
    const state = await waitFor(() => chatwright.jobs.page.lastState(jobFile.fsPath), 'the job page of the preflight');
    assert.equal(state.snapshot.status, 'preflight');
    assert.equal(state.preflight?.ok, true);
    assert.deepEqual(runFolders(), runsBefore);
  });

  it('refuses a job whose preflight fails: diagnostics on the job file, no run folder, no process', async () => {
    const broken = join(folder, 'no-tokenizer');
    mkdirSync(broken, { recursive: true });
    copyFileSync(join(folder, 'tiny-model', 'config.json'), join(broken, 'config.json'));
    if (existsSync(join(broken, 'tokenizer.json'))) unlinkSync(join(broken, 'tokenizer.json'));
    const refused = vscode.Uri.file(join(folder, 'refused.job.yaml'));
    writeFileSync(refused.fsPath, 'name: refused\nmodel:\n  path: ./no-tokenizer\ndata:\n  train: persona-train.jsonl\n');
    const runsBefore = runFolders();
    const result = await vscode.commands.executeCommand<string | undefined>(jobCommands.run, refused);
    assert.equal(result, undefined);
    assert.deepEqual(runFolders(), runsBefore, 'no run folder was made');
    const diagnostics = chatwright.jobs.diagnostics.get(refused) ?? [];
    const unreadable = diagnostics.find((diagnostic) => diagnostic.code === 'model-unreadable');
    assert.ok(unreadable, `diagnostics: ${JSON.stringify(diagnostics.map((d) => d.message))}`);
    assert.equal(unreadable.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(unreadable.range.start.line, 2, 'the finding sits on model.path');
    assert.ok(!chatwright.jobs.service.all().some((job) => job.name === 'refused'));
  });
});
