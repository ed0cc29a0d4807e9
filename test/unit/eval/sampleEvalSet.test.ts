import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkContamination, type ContaminationSource } from '../../../src/core/eval/contamination';
import { readEvalSet } from '../../../src/core/eval/evalSet';

/** The sample comparison's eval set: questions about the Brightleaf B2 answered in the sample's docs. */
const sample = join(__dirname, '..', '..', '..', 'examples', 'support-bot');
const evalSet = readEvalSet(join(sample, 'data', 'support.eval.jsonl'));
const sources: ContaminationSource[] = [
  { kind: 'training', label: 'data/train.jsonl', text: readFileSync(join(sample, 'data', 'train.jsonl'), 'utf8') },
  { kind: 'training', label: 'data/valid.jsonl', text: readFileSync(join(sample, 'data', 'valid.jsonl'), 'utf8') },
  { kind: 'examples', label: 'data/examples.jsonl', text: readFileSync(join(sample, 'data', 'examples.jsonl'), 'utf8') },
];

describe('the sample eval set examples/support-bot/data/support.eval.jsonl', () => {
  it('reads without problems: 24-30 questions, each with a reference and a source doc that exists', () => {
    assert.deepEqual(evalSet.problems, []);
    assert.ok(evalSet.questions.length >= 24 && evalSet.questions.length <= 30, `${evalSet.questions.length} questions`);
    for (const question of evalSet.questions) {
      assert.ok(question.reference.trim().length > 0, question.id);
      assert.ok(question.sources.length > 0, question.id);
      for (const source of question.sources) assert.ok(existsSync(join(sample, source)), `${question.id}: ${source}`);
    }
  });

  it('overlaps none of the training data, the validation split or the few-shot examples', () => {
    const report = checkContamination(evalSet.questions, sources);
    assert.deepEqual(report.findings, []);
  });

  it('would be caught if a training question were copied into it (the check above can fail)', () => {
    const trainingQuestion = 'Will a factory reset delete my schedule?';
    const copied = { ...evalSet.questions[0]!, id: 'copied', question: trainingQuestion.toUpperCase() };
    const report = checkContamination([...evalSet.questions, copied], sources);
    assert.deepEqual(
      report.findings.map((item) => [item.questionId, item.source]),
      [['copied', 'data/train.jsonl:27']],
    );
  });
});
