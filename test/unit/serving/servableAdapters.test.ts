import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createRunFolder, prepareServeRun, writeRunRecord } from '../../../src/core/jobs/runFolder';
import { findServableAdapters } from '../../../src/core/serving/servableAdapters';
import { scratchDir } from '../../support/scratchDir';

/** A training run folder that ended in `phase` (with an adapter folder holding `adapterConfig`, when given). */
function trainingRun(workspace: string, name: string, phase: 'done' | 'failed', adapterConfig?: object): string {
  const runDir = createRunFolder(workspace, name, new Date(2026, 0, 1, 12, 0, 0));
  writeRunRecord(runDir, { version: 1, name, kind: 'train', createdAt: new Date().toISOString(), hostname: 'h' });
  const adapter = join(runDir, 'adapter');
  if (adapterConfig) {
    mkdirSync(adapter);
    writeFileSync(join(adapter, 'adapter_config.json'), JSON.stringify(adapterConfig));
  }
  writeFileSync(join(runDir, 'events.jsonl'), `${JSON.stringify({ v: 1, seq: 1, time: 1, event: 'phase', phase, adapter })}\n`);
  return runDir;
}

describe('adapters a GPU server can serve', () => {
  it('lists the adapters of finished runs with their base model and rank, names unique', () => {
    const workspace = scratchDir('servable');
    const first = trainingRun(workspace, 'persona', 'done', { base_model_name_or_path: 'Qwen/Qwen3-0.6B', r: 16 });
    trainingRun(workspace, 'persona', 'done', { r: 8 });
    trainingRun(workspace, 'broken', 'failed', { r: 8 });
    trainingRun(workspace, 'no-adapter', 'done');
    prepareServeRun({ workspaceRoot: workspace, name: 'a-server', request: {} });
    const adapters = findServableAdapters(workspace);
    assert.deepEqual(adapters.map((adapter) => adapter.name).sort(), ['persona', 'persona-2']);
    const withBase = adapters.find((adapter) => adapter.runDir === first)!;
    assert.equal(withBase.baseModel, 'Qwen/Qwen3-0.6B');
    assert.equal(withBase.rank, 16);
    assert.equal(withBase.path, join(first, 'adapter'));
  });

  it('skips an adapter folder whose adapter_config.json is not JSON', () => {
    const workspace = scratchDir('servable');
    const runDir = trainingRun(workspace, 'persona', 'done', {});
    writeFileSync(join(runDir, 'adapter', 'adapter_config.json'), '{not json');
    assert.deepEqual(findServableAdapters(workspace), []);
  });
});
