import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { appendGrade, gradeAppliesTo, gradesFileName, gradesInForce, readGrades } from '../../../src/core/eval/gradesFile';
import { scratchDir } from '../../support/scratchDir';

describe('grades file', () => {
  it('reads no grades from a folder without the file, or without the folder', (t) => {
    const dir = scratchDir('grades', t);
    assert.deepEqual(readGrades(dir), []);
    assert.deepEqual(readGrades(join(dir, 'not-there')), []);
  });

  it('appends grades (creating the folder) and reads them back; the last grade of a pair wins', (t) => {
    const dir = join(scratchDir('grades', t), 'evals', 'support');
    appendGrade(dir, { strategy: 'rag', questionId: 'q1', score: 2, gradedAt: 1 });
    appendGrade(dir, { strategy: 'rag', questionId: 'q2', score: 5, note: 'cites the right page', gradedAt: 2 });
    appendGrade(dir, { strategy: 'rag', questionId: 'q1', score: 4, gradedAt: 3 });
    assert.deepEqual(readGrades(dir), [
      { strategy: 'rag', questionId: 'q2', score: 5, note: 'cites the right page', gradedAt: 2 },
      { strategy: 'rag', questionId: 'q1', score: 4, gradedAt: 3 },
    ]);
  });

  it('a grade of 0 clears the pair, and a later grade sets it again', (t) => {
    const dir = scratchDir('grades', t);
    appendGrade(dir, { strategy: 'a', questionId: 'q', score: 3, gradedAt: 1 });
    appendGrade(dir, { strategy: 'a', questionId: 'q', score: 0, gradedAt: 2 });
    assert.deepEqual(readGrades(dir), []);
    appendGrade(dir, { strategy: 'a', questionId: 'q', score: 1, gradedAt: 3 });
    assert.deepEqual(readGrades(dir), [{ strategy: 'a', questionId: 'q', score: 1, gradedAt: 3 }]);
  });

  it("keeps the graded answer's keys; the last grade of each answer wins, and a grade with keys ends an earlier one without", (t) => {
    const dir = scratchDir('grades', t);
    const first = { strategyKey: 'aaaa', questionKey: 'q111' };
    const second = { strategyKey: 'bbbb', questionKey: 'q111' };
    appendGrade(dir, { strategy: 'a', questionId: 'q', score: 2, gradedAt: 1 });
    appendGrade(dir, { strategy: 'a', questionId: 'q', score: 3, gradedAt: 2, ...first });
    appendGrade(dir, { strategy: 'a', questionId: 'q', score: 5, gradedAt: 3, ...second });
    appendGrade(dir, { strategy: 'a', questionId: 'q', score: 4, gradedAt: 4, ...first });
    assert.deepEqual(readGrades(dir), [
      { strategy: 'a', questionId: 'q', score: 5, gradedAt: 3, ...second },
      { strategy: 'a', questionId: 'q', score: 4, gradedAt: 4, ...first },
    ]);
    appendGrade(dir, { strategy: 'a', questionId: 'q', score: 0, gradedAt: 5, ...second });
    assert.deepEqual(readGrades(dir), [{ strategy: 'a', questionId: 'q', score: 4, gradedAt: 4, ...first }], 'clearing one answer keeps the other');
  });

  it('a grade without keys ends every earlier grade of its pair; keys that are not text make a line no grade', () => {
    assert.deepEqual(
      gradesInForce([
        { strategy: 'a', questionId: 'q', score: 3, gradedAt: 1, strategyKey: 'k1', questionKey: 'q1' },
        { strategy: 'a', questionId: 'q', score: 0, gradedAt: 2 },
        { strategy: 'b', questionId: 'q', score: 2, gradedAt: 3, strategyKey: 'k2', questionKey: 'q1' },
      ]),
      [{ strategy: 'b', questionId: 'q', score: 2, gradedAt: 3, strategyKey: 'k2', questionKey: 'q1' }],
    );
    assert.throws(() => appendGrade(scratchDir('grades'), { strategy: 'a', questionId: 'q', score: 1, gradedAt: 1, strategyKey: '' }), /strategyKey/);
  });

  it('a grade applies to its answer: same strategy and question, and the same keys when it has them', () => {
    const answer = { strategy: 'a', questionId: 'q', strategyKey: 'k1', questionKey: 'q1' };
    assert.equal(gradeAppliesTo({ strategy: 'a', questionId: 'q' }, answer), true);
    assert.equal(gradeAppliesTo({ strategy: 'a', questionId: 'q', strategyKey: 'k1', questionKey: 'q1' }, answer), true);
    assert.equal(gradeAppliesTo({ strategy: 'a', questionId: 'q', strategyKey: 'k0', questionKey: 'q1' }, answer), false);
    assert.equal(gradeAppliesTo({ strategy: 'a', questionId: 'q', strategyKey: 'k1', questionKey: 'q0' }, answer), false);
    assert.equal(gradeAppliesTo({ strategy: 'b', questionId: 'q' }, answer), false);
  });

  it('skips torn lines and lines that are not grades, and starts a new grade on a fresh line after a torn one', (t) => {
    const dir = scratchDir('grades', t);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, gradesFileName),
      [
        '{"strategy":"a","questionId":"q1","score":3,"gradedAt":1}',
        'not json',
        '[1,2]',
        '{"strategy":"a","questionId":"q2","score":2.5,"gradedAt":1}',
        '{"strategy":"a","questionId":"q3","score":-1,"gradedAt":1}',
        '{"strategy":"","questionId":"q4","score":1,"gradedAt":1}',
        '{"strategy":"a","questionId":"q5","score":1,"gradedAt":"yesterday"}',
        '{"strategy":"a","questionId":"q6","score":1,"note":7,"gradedAt":1}',
      ].join('\n') + '\n',
    );
    appendFileSync(join(dir, gradesFileName), '{"strategy":"a","questionId":"q7","sco');
    appendGrade(dir, { strategy: 'b', questionId: 'q1', score: 4, gradedAt: 9 });
    assert.deepEqual(readGrades(dir), [
      { strategy: 'a', questionId: 'q1', score: 3, gradedAt: 1 },
      { strategy: 'b', questionId: 'q1', score: 4, gradedAt: 9 },
    ]);
    assert.match(readFileSync(join(dir, gradesFileName), 'utf8'), /"sco\n\{"strategy":"b"/);
  });

  it('refuses to append something that is not a grade', (t) => {
    const dir = scratchDir('grades', t);
    assert.throws(() => appendGrade(dir, { strategy: 'a', questionId: 'q', score: 1.5, gradedAt: 1 }), /score must be an integer/);
    assert.throws(() => appendGrade(dir, { strategy: '', questionId: 'q', score: 1, gradedAt: 1 }), /strategy/);
    assert.deepEqual(readGrades(dir), []);
  });

  it('throws a clear error for a grades file that is a folder', (t) => {
    const dir = scratchDir('grades', t);
    mkdirSync(join(dir, gradesFileName));
    assert.throws(() => readGrades(dir), /not a regular file/);
  });
});
