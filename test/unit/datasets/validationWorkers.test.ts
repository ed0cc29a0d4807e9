import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type * as vscode from 'vscode';
import { validateDatasetFile } from '../../../src/core/datasets/fileValidation';
import { type DatasetFinding } from '../../../src/core/datasets/findings';
import { runDatasetWorker } from '../../../src/host/datasets/datasetWorkerRun';
import { scratchDir } from '../../support/scratchDir';

const root = join(__dirname, '..', '..', '..');
const validationWorker = join(root, 'src', 'worker', 'validationWorker.ts');
const crashingWorker = join(root, 'test', 'fixtures', 'workers', 'crashingDatasetWorker.ts');

/** The part of VS Code's CancellationToken that the host's worker runner uses. */
function cancellationToken(): { token: vscode.CancellationToken; cancel: () => void } {
  const listeners: (() => void)[] = [];
  let cancelled = false;
  const token = {
    get isCancellationRequested() {
      return cancelled;
    },
    onCancellationRequested: (listener: () => void) => {
      listeners.push(listener);
      return { dispose: () => listeners.splice(listeners.indexOf(listener), 1) };
    },
  } as unknown as vscode.CancellationToken;
  return {
    token,
    cancel: () => {
      cancelled = true;
      for (const listener of [...listeners]) listener();
    },
  };
}

describe('dataset validation workers over the launcher and the typed RPC layer', () => {
  const folder = scratchDir('validation-workers');
  const big = join(folder, 'big.jsonl');
  before(() => {
    // Above the 8 MB inline limit, so the ranges go to workers; one row with an unknown role.
    const row = JSON.stringify({
      messages: [
        { role: 'user', content: `Question? ${'lorem ipsum '.repeat(20)}` },
        { role: 'assistant', content: 'Answer.' },
      ],
    });
    const rows = Array.from({ length: 40_000 }, (_, index) => (index === 25_000 ? row.replace('"assistant"', '"bot"') : row.replace('Question', `Question ${index}`)));
    writeFileSync(big, `${rows.join('\n')}\n`);
  });

  it('a range worker that crashes fails the validation with an error naming the range, the file and how the worker ended', async () => {
    await assert.rejects(validateDatasetFile(big, { threads: 2, workerScript: crashingWorker }), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, /^The validation worker for bytes \d+-\d+ of big\.jsonl exited with code 3: simulated native crash\.$/);
      return true;
    });
  });

  it("the host's file job streams findings and progress from the worker and resolves with the whole file's stats", async () => {
    const findings: DatasetFinding[] = [];
    let lastProgress = 0;
    const result = await runDatasetWorker(
      validationWorker,
      { kind: 'file', path: big, options: { threads: 2 } },
      { onFindings: (batch) => findings.push(...batch), onProgress: (bytes) => (lastProgress = bytes) },
    );
    assert.equal(result.cancelled, false);
    assert.equal(result.stats.rows, 40_000);
    assert.ok(lastProgress > 0);
    assert.ok(
      findings.some((item) => item.range.start.line === 25_000),
      'the unknown role of line 25,001 is found, numbered in the whole file',
    );
  });

  it("the host's text job returns the findings of the unsaved text", async () => {
    const findings: DatasetFinding[] = [];
    const result = await runDatasetWorker(validationWorker, { kind: 'text', text: '{"messages": [\n', options: {} }, { onFindings: (batch) => findings.push(...batch) });
    assert.equal(result.cancelled, false);
    assert.ok(findings.some((item) => item.severity === 'error' && item.range.start.line === 0));
  });

  it("the host's job is cancelled through VS Code's token: it resolves as cancelled at once and the worker is terminated", async () => {
    const { token, cancel } = cancellationToken();
    const started = Date.now();
    const result = await runDatasetWorker(validationWorker, { kind: 'file', path: big, options: { threads: 2 } }, { onProgress: () => cancel() }, token);
    assert.equal(result.cancelled, true);
    assert.ok(Date.now() - started < 10_000);
  });

  it("a crash of the host's worker fails the job with how the worker ended", async () => {
    await assert.rejects(runDatasetWorker(crashingWorker, { kind: 'file', path: big, options: {} }, {}), /^Error: The dataset worker exited with code 3: simulated native crash\.$/);
  });
});
