import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { type ChatwrightApi } from '../../../src/extension';
import { effectiveSetting } from '../../../src/core/settings/settingTrust';
import { Config } from '../../../src/host/config';
import { type PreviewPromptResult } from '../../../src/shared/promptPreviewProtocol';
import { waitFor } from '../../support/waitFor';

/**
 * Runs only in the second integration run (test/integration/run.mjs): workspace trust on, and a workspace whose
 * .vscode/settings.json sets every dangerous setting to a hostile value. The user's own settings hold a render
 * timeout of 3000 ms, a relative tokenizer path and one endpoint ("mine") whose key is in CHATWRIGHT_TEST_USER_KEY.
 */
const restrictedRun = process.env.CHATWRIGHT_RESTRICTED_RUN === '1';
const extensionId = 'chatwright.chatwright';

interface RecordedRequest {
  method: string;
  url: string;
  authorization: string | null;
}

async function api(): Promise<ChatwrightApi> {
  const extension = vscode.extensions.getExtension<ChatwrightApi>(extensionId)!;
  return extension.isActive ? extension.exports : extension.activate();
}

function workspaceFile(relative: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the hostile workspace is open');
  return vscode.Uri.file(join(folder.uri.fsPath, relative));
}

async function recordedRequests(): Promise<RecordedRequest[]> {
  const response = await fetch(`${process.env.CHATWRIGHT_RECORDER_URL}/__requests`);
  return (await response.json()) as RecordedRequest[];
}

(restrictedRun ? describe : describe.skip)('Restricted Mode: a hostile workspace takes no effect', () => {
  it('opens the workspace untrusted', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  it('has the hostile workspace settings loaded (so the checks below are not vacuous)', () => {
    const onDisk = JSON.parse(readFileSync(workspaceFile('.vscode/settings.json').fsPath, 'utf8')) as Record<string, unknown>;
    assert.equal(onDisk['chatwright.prompts.renderTimeoutMs'], 1e12);
    assert.equal(onDisk['chatwright.datasets.tokenizerPath'], 'fifo/tokenizer.json');
    const chatwright = vscode.workspace.getConfiguration('chatwright');
    // VS Code reads the file: a setting anyone may set shows its workspace value.
    assert.equal(chatwright.inspect('datasets.minRows')?.workspaceValue, 2);
    assert.equal(new Config().datasets.minRows, 2);
  });

  it("decides with VS Code's real inspect() results as the unit tests say, whatever VS Code hides itself", () => {
    // VS Code hides the workspace values of settings in restrictedConfigurations from an untrusted window; Config's
    // own rule is the second lock. Shown here on a setting VS Code does not hide.
    const inspected = vscode.workspace.getConfiguration('chatwright').inspect('datasets.minRows');
    assert.deepEqual(effectiveSetting(inspected, 'restricted', vscode.workspace.isTrusted), { value: 10, source: 'default' });
    assert.deepEqual(effectiveSetting(inspected, 'anywhere', vscode.workspace.isTrusted), { value: 2, source: 'workspace' });
    assert.deepEqual(effectiveSetting(vscode.workspace.getConfiguration('chatwright').inspect('prompts.renderTimeoutMs'), 'restricted', vscode.workspace.isTrusted), { value: 3000, source: 'user' });
  });

  it('reads the user settings or the defaults through Config, never the workspace values', () => {
    const config = new Config();
    assert.deepEqual(config.serverSettings(), {
      datasets: { diagnostics: true, formats: {}, maxTokens: 0, tokenizerPath: '', minRows: 2 },
      prompts: { diagnostics: true, previewModel: '', renderTimeoutMs: 3000 },
    });
    assert.deepEqual(config.engine, { executionProvider: 'cpu', threads: 0, idleUnloadMs: 10 * 60_000, spinWhileGenerating: false });
    assert.deepEqual(config.models, { hubEndpoint: '', concurrency: 4, offline: false });
    assert.deepEqual(config.jobs, { maxConcurrentJobs: 1, stopTimeoutMs: 120_000 });
    const rag = config.ragSettings(vscode.workspace.workspaceFolders![0]!.uri);
    assert.deepEqual({ maxFileBytes: rag.maxFileBytes, chunkTokens: rag.chunkTokens, chunkOverlap: rag.chunkOverlap }, { maxFileBytes: 2048 * 1024, chunkTokens: 256, chunkOverlap: 32 });
    assert.deepEqual(
      config.chatEndpoints.map((e) => [e.id, e.baseUrl, e.apiKeyEnvironmentVariable]),
      [['mine', `${process.env.CHATWRIGHT_RECORDER_URL}/mine/v1`, 'CHATWRIGHT_TEST_USER_KEY']],
    );
  });

  it("offers only the user's endpoint, sends it the user's key, and sends nothing to the workspace's endpoints", async () => {
    const { chat } = await api();
    await chat.endpointsRegistered();
    const options = await chat.service.backends.options();
    assert.deepEqual(
      options.filter((o) => !o.ref.startsWith('engine/')).map((o) => o.ref),
      ['mine/user-model'],
    );
    const requests = await recordedRequests();
    assert.ok(
      requests.some((r) => r.url === '/mine/v1/models' && r.authorization === `Bearer ${process.env.CHATWRIGHT_TEST_USER_KEY}`),
      JSON.stringify(requests),
    );
    assert.deepEqual(
      requests.filter((r) => !r.url.startsWith('/mine/')),
      [],
    );
    assert.ok(requests.every((r) => !process.env.HOME || !r.authorization?.includes(process.env.HOME)));
  });

  it('gives the language server no hostile token limit or tokenizer: a dataset gets its checks, no token warnings', async () => {
    const uri = workspaceFile('data.jsonl');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const found = await waitFor(() => {
      const diagnostics = vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'chatwright');
      return diagnostics.length > 0 ? diagnostics : undefined;
    }, 'diagnostics for data.jsonl');
    // Token counting runs in the background after the other checks: give a hostile limit time to show.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const all = vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'chatwright');
    assert.ok(
      found.some((d) => d.range.start.line === 1),
      JSON.stringify(found.map((d) => [d.code, d.message])),
    );
    assert.deepEqual(
      all.filter((d) => d.code === 'too-many-tokens'),
      [],
    );
    // A hover counts the row's tokens with the tokenizer the server was given: the shipped default, not the FIFO
    // (which would never answer) nor a file of the repository.
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(0, 3));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(text, /\d+ tokens \(Qwen3 \(default\)\)/, text);
  });

  it('gives the language server no hostile preview model: the preview loads nothing from the repository', async () => {
    const uri = workspaceFile('hostile.prompty');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const preview = await vscode.commands.executeCommand<{ lastResult: PreviewPromptResult | undefined; refresh(): Promise<PreviewPromptResult | undefined> } | undefined>(
      'chatwright.previewPrompt',
      uri,
    );
    assert.ok(preview, 'the preview opened');
    const result = await waitFor(async () => preview.lastResult ?? (await preview.refresh()), 'the preview result');
    assert.equal(result.error, undefined);
    assert.equal(result.rendered?.model, undefined, JSON.stringify(result.rendered?.model));
    assert.match(result.rendered?.modelHint ?? '', /No model named/);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
  it('starts no fine-tuning process: Run Job says why, makes no run folder and runs no interpreter', async () => {
    const chatwright = await api();
    const jobFile = workspaceFile('hostile.job.yaml');
    const marker = workspaceFile('python-ran');
    const runsBefore = chatwright.jobs.service.all().length;
    const result = await vscode.commands.executeCommand<string | undefined>('chatwright.jobs.run', jobFile);
    assert.equal(result, undefined);
    assert.equal(existsSync(workspaceFile('.chatwright/runs').fsPath), false, 'no run folder');
    // The workspace's pythonPath names a script that would leave a marker file if anything ran it.
    assert.equal(existsSync(marker.fsPath), false, 'the workspace interpreter never ran');
    assert.equal(chatwright.jobs.service.all().length, runsBefore);
    assert.throws(() => chatwright.jobs.service.enqueue(workspaceFile('x').fsPath, 'x', { python: 'python3', pythonPath: '.' }), /not trusted/);
  });
  it('runs no comparison and writes no eval set: the eval commands refuse', async () => {
    const comparison = workspaceFile('hostile.compare.yaml');
    await vscode.workspace.fs.writeFile(comparison, Buffer.from('eval_set: x.jsonl\nstrategies:\n  - { name: a, model: evil/m }\nendpoints:\n  - { id: evil, url: "http://127.0.0.1:9/v1" }\n'));
    assert.equal(await vscode.commands.executeCommand('chatwright.eval.run', comparison), undefined);
    assert.equal(existsSync(workspaceFile('.chatwright/evals').fsPath), false, 'no output folder');
    assert.equal(await vscode.commands.executeCommand('chatwright.eval.createEvalSet', comparison, { count: 1, selection: 'last' }), undefined);
    assert.equal(await vscode.commands.executeCommand('chatwright.eval.newComparison'), undefined);
    assert.equal((await api()).eval.runs.anyRunning, false);
  });
});
