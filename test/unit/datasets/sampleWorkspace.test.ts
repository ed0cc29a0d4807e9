import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { validateDatasetFile } from '../../../src/core/datasets/fileValidation';
import { type DatasetFinding } from '../../../src/core/datasets/findings';
import { findSiblingSplits } from '../../../src/core/datasets/splits';
import { analyzePrompty } from '../../../src/core/prompts/promptyDiagnostics';

/** The workspace `npm start` opens: a first run must show no problem that is there by design. */
const sample = join(__dirname, '..', '..', '..', 'examples', 'support-bot');

function filesEndingWith(folder: string, extension: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith(extension))
    .map((name) => join(folder, name))
    .sort();
}

const shown = (file: string, found: { code: string; message: string; range: { start: { line: number } } }[]) =>
  found.map((f) => `${relative(sample, file)}:${f.range.start.line + 1} ${f.code}: ${f.message}`).join('\n');

describe('the sample workspace examples/support-bot is clean', () => {
  const datasets = filesEndingWith(sample, '.jsonl');
  const templates = filesEndingWith(sample, '.prompty');

  it('has its datasets and its template where the walkthrough and the tests look for them', () => {
    assert.deepEqual(
      datasets.map((file) => relative(sample, file)),
      ['data/examples.jsonl', 'data/support.eval.jsonl', 'data/train.jsonl', 'data/valid.jsonl'],
    );
    assert.deepEqual(
      templates.map((file) => relative(sample, file)),
      ['prompts/support.prompty'],
    );
  });

  for (const file of datasets) {
    it(`${relative(sample, file)} has no finding at warning level or above, checked with its sibling splits`, async () => {
      const found: DatasetFinding[] = [];
      const { stats } = await validateDatasetFile(file, { threads: 1, splitFiles: findSiblingSplits(file), onFinding: (item) => found.push(item) });
      const serious = found.filter((item) => item.severity !== 'information');
      assert.deepEqual(serious, [], shown(file, serious));
      assert.ok(stats.rows >= 10, `${stats.rows} rows`);
    });
  }

  it('gives the training split enough rows to be a realistic fine-tuning set', async () => {
    const file = join(sample, 'data', 'train.jsonl');
    const { stats } = await validateDatasetFile(file, { threads: 1 });
    assert.ok(stats.rows >= 30, `${stats.rows} rows`);
  });

  for (const file of templates) {
    it(`${relative(sample, file)} has no finding at warning level or above`, () => {
      const { findings } = analyzePrompty(readFileSync(file, 'utf8'), { templatePath: file, workspaceRoots: [sample], checkModelCache: false });
      const serious = findings.filter((item) => item.severity === 'error' || item.severity === 'warning');
      assert.deepEqual(serious, [], shown(file, serious));
    });
  }
});
