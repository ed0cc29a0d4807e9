import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { validateDatasetFile } from '../../../src/core/datasets/fileValidation';
import { datasetChecks, type DatasetFinding, type DatasetFindingCode } from '../../../src/core/datasets/findings';
import { findSiblingSplits } from '../../../src/core/datasets/splits';
import { loadTokenCounter } from '../../../src/core/datasets/tokenizer';
import { validateDataset } from '../../../src/core/datasets/validateDataset';
import { type DatasetFormat } from '../../../src/core/datasets/formats';

const root = join(__dirname, '..', '..', 'fixtures', 'datasets');
const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')) as Record<string, { code: DatasetFindingCode; line: number; options?: { format?: DatasetFormat; maxTokens?: number } }>;

describe('defective fixtures: one file per check', () => {
  it('has a fixture for every check code', () => {
    const covered = new Set(Object.values(manifest).map((entry) => entry.code));
    const missing = Object.keys(datasetChecks).filter((code) => !covered.has(code as DatasetFindingCode));
    assert.deepEqual(missing, []);
  });

  for (const [file, expected] of Object.entries(manifest)) {
    it(`${file}: reports ${expected.code} on line ${expected.line} (streamed from disk)`, async () => {
      const path = join(root, file);
      const findings: DatasetFinding[] = [];
      const { stats } = await validateDatasetFile(path, {
        onFinding: (item) => findings.push(item),
        ...(expected.options?.format ? { format: expected.options.format } : {}),
        ...(expected.options?.maxTokens ? { maxTokens: expected.options.maxTokens, tokenizer: null } : {}),
        splitFiles: findSiblingSplits(path),
      });
      const hit = findings.find((item) => item.code === expected.code);
      assert.ok(hit, `no ${expected.code} in ${JSON.stringify(findings.map((f) => f.code))}`);
      assert.equal(hit.range.start.line + 1, expected.line);
      assert.equal(hit.severity, datasetChecks[expected.code].severity);
      assert.ok((stats.findings[expected.code] ?? 0) >= 1);
    });

    if (expected.code !== 'invalid-utf8' && expected.code !== 'split-overlap') {
      it(`${file}: reports ${expected.code} on line ${expected.line} (text in memory)`, async () => {
        const text = readFileSync(join(root, file), 'utf8');
        const tokenCounter = expected.options?.maxTokens ? await loadTokenCounter() : undefined;
        const { findings } = validateDataset(text, { ...expected.options, ...(tokenCounter ? { tokenCounter } : {}) });
        const hit = findings.find((item) => item.code === expected.code);
        assert.ok(hit, `no ${expected.code} in ${JSON.stringify(findings.map((f) => f.code))}`);
        assert.equal(hit.range.start.line + 1, expected.line);
      });
    }
  }

  it('keeps an unrelated JSON Lines file (a log) quiet', () => {
    const { findings, stats } = validateDataset(readFileSync(join(root, 'unrelated-log.jsonl'), 'utf8'));
    assert.deepEqual(findings, []);
    assert.equal(stats.trainingData, false);
  });
});
