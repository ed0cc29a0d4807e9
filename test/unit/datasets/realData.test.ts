import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type DatasetFindingCode } from '../../../src/core/datasets/findings';
import { type DatasetFormat } from '../../../src/core/datasets/formats';
import { validateDatasetFile } from '../../../src/core/datasets/fileValidation';
import { type DatasetFinding } from '../../../src/core/datasets/findings';
import { validateDataset } from '../../../src/core/datasets/validateDataset';

// The public datasets described in /work/shared/data/SOURCES.md (kept outside the repository).
const root = process.env.CHATWRIGHT_SHARED_DATA ?? join(__dirname, '..', '..', '..', '..', 'shared', 'data', 'datasets');
const available = existsSync(root);

/** Each file: its format, row count, and every finding code with its exact count (verified by hand and with Python). */
const expectations: Record<string, { format: DatasetFormat; rows: number; findings: Partial<Record<DatasetFindingCode, number>> }> = {
  'openai-chat/toy_chat_fine_tuning.jsonl': { format: 'messages', rows: 5, findings: { 'no-user-message': 1, 'too-few-rows': 1 } },
  // Assistant tool-call messages without `content`, ending on the call: valid for OpenAI.
  'openai-chat-tools/drone_training.jsonl': { format: 'messages', rows: 103, findings: {} },
  // LLaMA-Factory v1: content parts keep their text under `value`, and messages carry `loss_weight`.
  'openai-chat/llamafactory_v1_sft_demo.jsonl': { format: 'messages', rows: 500, findings: { 'invalid-content': 1000, 'message-unrecognized-key': 1000, 'duplicate-row': 1 } },
  'alpaca/alpaca_en_demo.jsonl': { format: 'alpaca', rows: 999, findings: { 'duplicate-row': 14 } },
  'alpaca/identity.jsonl': { format: 'alpaca', rows: 91, findings: {} },
  'sharegpt/dummy_conversation.jsonl': { format: 'sharegpt', rows: 500, findings: {} },
  'sharegpt/glaive_toolcall_en_demo.jsonl': { format: 'sharegpt', rows: 300, findings: { 'duplicate-row': 35 } },
  'preference/hh-rlhf_harmless-base_test.first300.jsonl': { format: 'preference', rows: 300, findings: {} },
  'preference/dpo_en_demo_sharegpt.jsonl': { format: 'preference', rows: 300, findings: { 'duplicate-row': 5 } },
  'text/c4_demo.jsonl': { format: 'text', rows: 300, findings: {} },
};

/** Exact duplicate lines, counted the plain way, to check the fingerprint counts against. */
function exactDuplicateLines(text: string): number {
  const seen = new Set<string>();
  let duplicates = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (seen.has(line.trim())) duplicates++;
    else seen.add(line.trim());
  }
  return duplicates;
}

describe('the public datasets: classified correctly, and every finding true', { skip: !available && 'shared data not present' }, () => {
  for (const [file, expected] of Object.entries(expectations)) {
    it(`${file}: ${expected.rows} ${expected.format} rows, findings ${JSON.stringify(expected.findings)}`, () => {
      const text = readFileSync(join(root, file), 'utf8');
      const { stats, findings } = validateDataset(text);
      assert.deepEqual(stats.formats, { [expected.format]: expected.rows });
      assert.equal(stats.trainingData, true);
      assert.deepEqual(stats.findings, expected.findings);
      assert.equal(findings.filter((f) => f.code === 'duplicate-row').length, exactDuplicateLines(text));
    });
  }

  it('validating each file from disk (streamed, clean rows certified from their bytes) finds exactly what the in-memory path finds', async () => {
    for (const file of Object.keys(expectations)) {
      const path = join(root, file);
      const inMemory = validateDataset(readFileSync(path, 'utf8'), { maxFindingsPerCode: 100_000 });
      const streamed: DatasetFinding[] = [];
      const result = await validateDatasetFile(path, { threads: 1, maxFindingsPerCode: 100_000, onFinding: (finding) => streamed.push(finding) });
      const key = (f: DatasetFinding): string => `${f.range.start.line}:${f.range.start.character}-${f.range.end.line}:${f.range.end.character} ${f.code} ${f.relatedLine ?? ''} ${f.message}`;
      assert.deepEqual(streamed.map(key).sort(), inMemory.findings.map(key).sort(), file);
      assert.deepEqual(result.stats.formats, inMemory.stats.formats, file);
      assert.deepEqual(result.stats.duplicates, inMemory.stats.duplicates, file);
    }
  });

  it('toy_chat_fine_tuning.jsonl: the example without a user message is row 4', () => {
    const { findings } = validateDataset(readFileSync(join(root, 'openai-chat/toy_chat_fine_tuning.jsonl'), 'utf8'));
    const missingUser = findings.filter((f) => f.code === 'no-user-message');
    assert.deepEqual(
      missingUser.map((f) => f.range.start.line),
      [3],
    );
  });

  it('llamafactory_v1_sft_demo.jsonl: points at the `value` key and the `loss_weight` key, not the whole line', () => {
    const text = readFileSync(join(root, 'openai-chat/llamafactory_v1_sft_demo.jsonl'), 'utf8');
    const firstLine = text.split('\n')[0]!;
    const { findings } = validateDataset(text);
    const onFirst = findings.filter((f) => f.range.start.line === 0);
    const content = onFirst.find((f) => f.code === 'invalid-content')!;
    assert.equal(firstLine.slice(content.range.start.character, content.range.end.character), '"value"');
    const key = onFirst.find((f) => f.code === 'message-unrecognized-key')!;
    assert.equal(firstLine.slice(key.range.start.character, key.range.end.character), '"loss_weight"');
  });
});
