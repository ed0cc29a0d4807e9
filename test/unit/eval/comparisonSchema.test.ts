import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
// ajv (draft-07) comes with ESLint, a dev dependency: the validator VS Code's YAML and JSON services resemble.
import Ajv from 'ajv';
import { parse } from 'yaml';
import { comparisonRules, comparisonSchema, sectionOf } from '../../../src/core/eval/comparisonFields';
import { parseComparison } from '../../../src/core/eval/comparisonFile';

const repo = join(__dirname, '..', '..', '..');
const sampleFolder = join(repo, 'examples', 'support-bot');

function validator(): (value: unknown) => boolean {
  const ajv = new Ajv({ allErrors: true });
  return ajv.compile(comparisonSchema()) as (value: unknown) => boolean;
}

describe('comparison file schema', () => {
  it('schemas/compare.schema.json is the schema generated from the field table', () => {
    const onDisk = JSON.parse(readFileSync(join(repo, 'schemas', 'compare.schema.json'), 'utf8')) as unknown;
    assert.deepEqual(onDisk, comparisonSchema(), 'regenerate schemas/compare.schema.json from comparisonSchema() in src/core/eval/comparisonFields.ts');
  });

  it('is registered for *.compare.yaml and *.compare.yml in package.json', () => {
    const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { contributes: { yamlValidation: { fileMatch: string[]; url: string }[] } };
    const entry = manifest.contributes.yamlValidation.find((candidate) => candidate.url === './schemas/compare.schema.json');
    assert.deepEqual(entry?.fileMatch.sort(), ['*.compare.yaml', '*.compare.yml']);
  });

  it('accepts the shapes the checker accepts: shorthands, false, flow and block maps', () => {
    const valid = validator();
    const accepted = parse(`
eval_set: data/a.eval.jsonl
strategies:
  - { name: zero, model: engine/Qwen/Qwen3-0.6B }
  - { name: few, model: engine/Qwen/Qwen3-0.6B, few_shot: 3, retrieval: false, template: p.prompty }
  - name: rag
    model: gpu/m
    retrieval: { k: 4, index: docs }
    few_shot: { k: 2, selection: similar, examples: e.jsonl, seed: 1 }
  - { name: ft, model: gpu/lora, fine_tuned: .chatwright/runs/r }
endpoints: [{ id: gpu, url: 'http://127.0.0.1:8766/v1', api_key_env: KEY }]
judge: { model: gpu/judge, rubric: 'Score it', max_score: 5, pass_score: 4 }
threshold: { metric: token_f1, min: 0.5 }
training_data: [t.jsonl]
documents: ['docs/**']
`) as unknown;
    assert.equal(valid(accepted), true);
  });

  it('rejects what the checker rejects for its shape: unknown keys, out-of-range numbers, bad names, unknown metrics, missing fields', () => {
    const valid = validator();
    const base = { eval_set: 'a.jsonl', strategies: [{ name: 'a', model: 'engine/m' }] };
    for (const bad of [
      { ...base, concurency: 4 },
      { ...base, bootstrap_samples: 10 },
      { ...base, strategies: [{ name: 'few shot', model: 'engine/m' }] },
      { ...base, strategies: [{ name: 'a', model: 'engine/m', few_shot: 0 }] },
      { ...base, strategies: [{ name: 'a', model: 'engine/m', fine_tuned: false }] },
      { ...base, strategies: [{ name: 'a', model: 'qwen' }] },
      { ...base, strategies: [] },
      { ...base, primary_metric: 'tokenf1' },
      { ...base, endpoints: [{ id: 'x', url: 'ftp://h' }] },
      { strategies: base.strategies },
    ])
      assert.equal(valid(bad), false, JSON.stringify(bad));
  });

  it("docs/evaluation.md's example validates, and its tables list every field of the table", () => {
    const docs = readFileSync(join(repo, 'docs', 'evaluation.md'), 'utf8');
    const section = docs.slice(docs.indexOf('## Comparison files'), docs.indexOf('\n## ', docs.indexOf('## Comparison files') + 1));
    const example = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(example, 'a yaml example in "Comparison files"');
    assert.equal(validator()(parse(example)), true);
    const documented = new Set([...section.matchAll(/^\| `(\w+)`/gm)].map((match) => match[1]));
    const fields = [comparisonRules, sectionOf(comparisonRules.fields.strategies), sectionOf(comparisonRules.fields.endpoints)].flatMap((rule) => Object.keys(rule!.fields));
    assert.deepEqual(
      fields.filter((field) => !documented.has(field)),
      [],
    );
  });

  it('the sample comparison in examples/support-bot validates against the schema and the checker', (t) => {
    const samples = existsSync(sampleFolder) ? readdirSync(sampleFolder).filter((name) => /\.compare\.ya?ml$/.test(name)) : [];
    if (samples.length === 0) {
      t.skip('no examples/support-bot/*.compare.yaml yet');
      return;
    }
    const valid = validator();
    for (const name of samples) {
      const text = readFileSync(join(sampleFolder, name), 'utf8');
      assert.equal(valid(parse(text)), true, name);
      const { spec, problems } = parseComparison(text, join(sampleFolder, name), { workspaceRoot: sampleFolder });
      assert.deepEqual(
        problems.filter((problem) => problem.severity === 'error'),
        [],
        name,
      );
      assert.ok(spec, name);
    }
  });
});
