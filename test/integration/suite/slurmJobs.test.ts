import * as assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { type ChatwrightApi } from '../../../src/extension';
import { type JobSnapshot } from '../../../src/core/jobs/jobSnapshot';
import { sbatchScriptFile } from '../../../src/core/jobs/launch/sbatchScript';
import { jobCommands } from '../../../src/host/jobs/jobSource';
import { generateDecoderModel } from '../../support/modelGenerator';
import { slurmClusterUnavailable, startSlurmCluster, type SlurmCluster } from '../../support/slurmCluster';
import { snapshotWhen as waitForSnapshot } from '../../support/snapshotWhen';
import { waitFor } from '../../support/waitFor';

/**
 * A fine-tuning job with a Slurm target, from Run Job to done, in a real extension host against the REAL test cluster
 * (test/support/slurmCluster.ts: munged, slurmctld and slurmd on this machine) and the stand-in trainer: the script is
 * written and shown before submission, the confirmation is answered through the command's arguments, the Jobs view
 * says "Slurm <id> · pending (BeginTime)" and then that it runs, a window reload (the service disposed and made
 * again) finds the Slurm job again from its run folder, and it ends done. Cancel at the question submits nothing.
 * The extension host and these tests share one process: the cluster's PATH and SLURM_CONF are set in process.env,
 * where the extension's Slurm client finds them.
 */
const extensionId = 'chatwright.chatwright';

describe('Slurm jobs in the editor (real test cluster)', function () {
  this.timeout(240_000);
  const savedKeys = ['PATH', 'SLURM_CONF', 'CHATWRIGHT_TRAINER_SCRIPT', 'STANDIN_STEPS', 'STANDIN_STEP_SECONDS'] as const;
  const saved = Object.fromEntries(savedKeys.map((key) => [key, process.env[key]]));
  let cluster: SlurmCluster | undefined;
  let chatwright: ChatwrightApi;
  let jobFile: vscode.Uri;
  let folder: string;

  before(async function () {
    const unavailable = slurmClusterUnavailable();
    if (unavailable) {
      console.log(`Skipped: ${unavailable}`);
      this.skip();
    }
    cluster = await startSlurmCluster({ accounting: false });
    process.env.PATH = cluster.env.PATH;
    process.env.SLURM_CONF = cluster.env.SLURM_CONF;
    const extension = vscode.extensions.getExtension<ChatwrightApi>(extensionId)!;
    chatwright = extension.isActive ? extension.exports : await extension.activate();
    process.env.CHATWRIGHT_TRAINER_SCRIPT = join(extension.extensionPath, 'test', 'fixtures', 'jobs', 'standin_trainer.py');
    folder = join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, 'slurm-it');
    mkdirSync(folder, { recursive: true });
    generateDecoderModel(join(folder, 'tiny-model'), { architecture: 'llama', hiddenSize: 32, layers: 2, heads: 2, kvHeads: 1 });
    copyFileSync(join(extension.extensionPath, 'test', 'python', 'fixtures', 'persona-train.jsonl'), join(folder, 'persona-train.jsonl'));
    jobFile = vscode.Uri.file(join(folder, 'cluster.job.yaml'));
    // gpus: 0 is a CPU-only Slurm job; --begin holds it pending (reason BeginTime) for a few seconds first.
    writeFileSync(
      jobFile.fsPath,
      [
        'name: cluster',
        'model:',
        '  path: ./tiny-model',
        'data:',
        '  train: persona-train.jsonl',
        '  eval: null',
        'method:',
        '  type: lora',
        'training:',
        '  epochs: 1',
        'target:',
        '  type: slurm',
        '  gpus: 0',
        '  slurm:',
        `    partition: ${cluster.partition}`,
        '    time: "3"',
        '    sbatch: ["--begin=now+6"]',
        '',
      ].join('\n'),
    );
  });

  after(async () => {
    await cluster?.stop();
    for (const key of savedKeys) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  function runFolders(): string[] {
    const runs = join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, '.chatwright', 'runs');
    return existsSync(runs) ? readdirSync(runs) : [];
  }

  function snapshotWhen(runDir: string, what: string, test: (snapshot: JobSnapshot) => boolean, timeoutMs = 90_000): Promise<JobSnapshot> {
    return waitForSnapshot(chatwright.jobs.service, runDir, what, test, timeoutMs);
  }

  function treeDescription(runDir: string): string | undefined {
    const node = chatwright.jobs.tree.getChildren().find((child) => child.runDir === runDir);
    return node ? String(chatwright.jobs.tree.getTreeItem(node).description ?? '') : undefined;
  }

  it('Cancel at the question submits nothing and keeps no run folder', async () => {
    const before = runFolders();
    const runDir = await vscode.commands.executeCommand<string | undefined>(jobCommands.run, jobFile, { submitToSlurm: false });
    assert.equal(runDir, undefined);
    assert.deepEqual(runFolders(), before, 'the prepared run folder was removed');
  });

  it('submits after showing the script, shows it pending then running in the Jobs view, re-attaches after a reload and ends done', async () => {
    process.env.STANDIN_STEPS = '30';
    process.env.STANDIN_STEP_SECONDS = '0.3';
    const runDir = await vscode.commands.executeCommand<string | undefined>(jobCommands.run, jobFile, { submitToSlurm: true });
    assert.ok(runDir, 'Run Job returns the run folder it submitted');
    const script = join(runDir, sbatchScriptFile);
    assert.match(readFileSync(script, 'utf8'), /^#SBATCH --begin=now\+6/m, 'the generated script carries the extra sbatch line');
    assert.ok(
      vscode.window.visibleTextEditors.some((editor) => editor.document.uri.fsPath === script),
      'the script was shown before it was submitted',
    );

    const pending = await snapshotWhen(runDir, 'the job pending in Slurm', (snapshot) => snapshot.scheduler?.state === 'PENDING');
    const jobId = pending.scheduler!.jobId;
    assert.match(jobId, /^\d+$/);
    assert.equal(pending.status, 'queued');
    const pendingLine = await waitFor(() => treeDescription(runDir), 'the job in the Jobs view');
    assert.match(pendingLine, new RegExp(`^Slurm ${jobId} · pending`));
    assert.equal(chatwright.jobs.service.isQueued(runDir), false, 'a Slurm job does not wait in the window queue');

    const running = await snapshotWhen(runDir, 'the job running', (snapshot) => snapshot.status === 'running' && snapshot.step >= 2);
    // The trainer's events say it runs before the next squeue does: the line says running at once.
    assert.match(treeDescription(runDir) ?? '', new RegExp(`^Slurm ${jobId} · running`));

    const fresh = chatwright.jobs.reload();
    assert.ok(fresh.run(runDir), 'the new service follows the Slurm job it found in the run folder');
    assert.equal(fresh.snapshot(runDir)!.scheduler?.jobId, jobId);
    assert.ok(fresh.snapshot(runDir)!.step >= running.step, 'the events so far were replayed');

    const done = await snapshotWhen(runDir, 'the re-attached job to finish', (snapshot) => ['done', 'failed', 'cancelled'].includes(snapshot.status), 150_000);
    assert.equal(done.status, 'done', JSON.stringify(done.error));
    assert.equal(done.step, 30);
    assert.ok(existsSync(join(runDir, 'adapter', 'adapter_config.json')), 'the adapter is in the run folder');
    assert.match(treeDescription(runDir) ?? '', new RegExp(`^Slurm ${jobId} · `));
  });
});
