import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkContamination, normalizeForContamination, textUnits, type ContaminationSource } from '../../../src/core/eval/contamination';
import { type EvalQuestion } from '../../../src/core/eval/evalTypes';

function question(id: string, text: string, reference = '', line = 1): EvalQuestion {
  return { id, line, question: text, reference, history: [], sources: [] };
}

function training(label: string, rows: unknown[]): ContaminationSource {
  return { kind: 'training', label, text: rows.map((row) => JSON.stringify(row)).join('\n') + '\n' };
}

const chat = (user: string, assistant: string): unknown => ({
  messages: [
    { role: 'user', content: user },
    { role: 'assistant', content: assistant },
  ],
});

const longQuestion = 'my thermostat keeps losing its wifi connection every night around midnight and the schedule stops working until morning';

describe('checkContamination', () => {
  it('normalizes with NFKC, case folding, punctuation stripping and collapsed whitespace', () => {
    assert.equal(normalizeForContamination('  Ｈｏｗ do I   RESET it?!\n'), 'how do i reset it');
    assert.deepEqual(textUnits('如何 重置 abc'), ['如', '何', '重', '置', 'abc']);
  });

  it('reports an exact copy (after normalization) with similarity 1 and the row as file:line', () => {
    const source = training('data/train.jsonl', [chat('Unrelated?', 'No.'), chat('How do I RESET the thermostat?', 'Hold the menu button.')]);
    const report = checkContamination([question('q1', 'how do i reset the thermostat', '', 4)], [source]);
    assert.deepEqual(report.findings, [{ kind: 'training', questionId: 'q1', line: 4, source: 'data/train.jsonl:2', similarity: 1 }]);
    assert.equal(report.trainingOverlap, 1);
    assert.equal(report.examplesOverlap, 0);
    assert.deepEqual(report.checkedFiles, ['data/train.jsonl']);
  });

  it('reports a near copy by word 8-gram Jaccard, and nothing for a question that shares only a few words', () => {
    // 18 words, the last one changed: 10 of 11 8-grams shared on each side, J = 10/12.
    const changed = longQuestion.replace(/morning$/, 'dawn');
    const reworded = 'why does the wifi on my thermostat drop at night so the schedule fails until the morning comes';
    const report = checkContamination([question('near', changed), question('far', reworded)], [training('t.jsonl', [chat(longQuestion, 'Move the router.')])]);
    assert.deepEqual(
      report.findings.map((f) => [f.questionId, f.similarity]),
      [['near', 0.833]],
    );
  });

  it('uses 3-grams for short questions, so a short near copy is still found', () => {
    // Ten words, so 3-grams: one word appended shares all 8 of the row's with 9 of its own (J = 8/9); one word
    // replaced shares 7 of 8 each side (J = 7/9 < 0.8).
    const source = training('t.jsonl', [chat('how do i change the battery in the b2 thermostat', 'Slide it off.')]);
    const report = checkContamination([question('a', 'how do i change the battery in the b2 thermostat please'), question('b', 'how do i change the battery in the b2 unit')], [source]);
    assert.deepEqual(
      report.findings.map((f) => [f.questionId, f.similarity]),
      [['a', 0.889]],
    );
  });

  it('finds a reworded question whose question + reference matches a row prompt + response', () => {
    const reference = 'Open the app, go to Settings, then Wi-Fi, choose your network again and enter the password; the thermostat reconnects within a minute and keeps its schedule.';
    // The questions alone share 4 of their 6 3-grams (J = 0.5); with the reference, 26 of 28 8-grams each (J = 26/30).
    const source = training('t.jsonl', [chat('How can I reconnect the thermostat to wifi?', reference)]);
    const report = checkContamination([question('q', 'How do I reconnect the thermostat to wifi?', reference)], [source]);
    assert.deepEqual(
      report.findings.map((f) => f.similarity),
      [0.867],
    );
    assert.deepEqual(checkContamination([question('q', 'How do I reconnect the thermostat to wifi?')], [source]).findings, []);
  });

  it('reads the user side of every dataset format, including later turns of a conversation', () => {
    const asked = 'What does error code E4 on the display mean?';
    const rows: [string, unknown][] = [
      [
        'messages, second turn',
        {
          messages: [
            { role: 'system', content: 's' },
            { role: 'user', content: 'Hi' },
            { role: 'assistant', content: 'Hello' },
            { role: 'user', content: asked },
            { role: 'assistant', content: 'x' },
          ],
        },
      ],
      ['prompt-completion', { prompt: asked, completion: 'x' }],
      ['alpaca', { instruction: asked, input: '', output: 'x' }],
      [
        'sharegpt',
        {
          conversations: [
            { from: 'human', value: asked },
            { from: 'gpt', value: 'x' },
          ],
        },
      ],
      ['eval', { question: asked, answer: 'x' }],
      ['conversational', { prompt: [{ role: 'user', content: asked }], completion: [{ role: 'assistant', content: 'x' }] }],
    ];
    for (const [name, row] of rows) {
      const report = checkContamination([question('q', asked)], [training('t.jsonl', ['not json', row])]);
      assert.equal(report.findings.length, 1, name);
      assert.equal(report.findings[0]!.source, 't.jsonl:2', name);
    }
  });

  it('compares CJK text by characters', () => {
    const asked = '恒温器的屏幕一直显示错误代码E4，我应该怎么重新设置它才能恢复正常工作？';
    const near = asked.replace('？', '呢？');
    const report = checkContamination([question('zh', near), question('other', '今天的天气怎么样？')], [training('t.jsonl', [chat(asked, '按住菜单键十秒。')])]);
    assert.deepEqual(
      report.findings.map((f) => f.questionId),
      ['zh'],
    );
    assert.ok(report.findings[0]!.similarity >= 0.8);
  });

  it('keeps training and few-shot examples apart, one finding per question and file, best match first', () => {
    const examples: ContaminationSource = { kind: 'examples', label: 'data/examples.jsonl', text: JSON.stringify(chat(longQuestion, 'x')) + '\n' };
    const train = training('data/train.jsonl', [chat(longQuestion.replace(/morning$/, 'dawn'), 'x'), chat(longQuestion, 'y')]);
    const report = checkContamination([question('q', longQuestion), question('clean', 'Is the B2 compatible with Alexa?', '', 2)], [train, examples]);
    assert.deepEqual(
      report.findings.map((f) => [f.kind, f.source, f.similarity]),
      [
        ['training', 'data/train.jsonl:2', 1],
        ['examples', 'data/examples.jsonl:1', 1],
      ],
    );
    assert.equal(report.trainingOverlap, 1);
    assert.equal(report.examplesOverlap, 1);
  });

  it('checks 1,000 questions against 10,000 training rows through the index and finds the planted copies', () => {
    const words = 'thermostat schedule heating cooling battery wifi display reset sensor humidity fan mode away eco boost filter wire app update error'.split(' ');
    let seed = 7;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const sentence = (length: number): string => Array.from({ length }, () => words[next() % words.length]! + (next() % 50)).join(' ');
    const rows = Array.from({ length: 10_000 }, () => chat(sentence(24), sentence(40)));
    const questions = Array.from({ length: 1_000 }, (_, i) => question(`q${i}`, sentence(18), sentence(30), i + 1));
    // Plant three copies: exact, case-changed, one word changed at the end.
    const planted = [0, 500, 999];
    planted.forEach((q, k) => {
      const text = questions[q]!.question;
      rows[k * 3000] = chat(k === 0 ? text : k === 1 ? text.toUpperCase() : `${text.split(' ').slice(0, -1).join(' ')} changed`, 'x');
    });
    const started = performance.now();
    const cpu = process.cpuUsage();
    const report = checkContamination(questions, [training('big.jsonl', rows)]);
    // Printed for the record, never asserted: timings depend on the machine.
    console.log(`contamination: 1,000 questions × 10,000 rows in ${(performance.now() - started).toFixed(0)} ms (${(process.cpuUsage(cpu).user / 1000).toFixed(0)} ms CPU)`);
    assert.deepEqual(
      report.findings.map((f) => [f.questionId, f.source]),
      [
        ['q0', 'big.jsonl:1'],
        ['q500', 'big.jsonl:3001'],
        ['q999', 'big.jsonl:6001'],
      ],
    );
  });
});
