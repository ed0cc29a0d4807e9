import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateDatasetText, type DatasetFinding } from '../../../src/core/datasets/validateDataset';
import { type DatasetFix } from '../../../src/core/datasets/findings';

const chat = (i: number) =>
  JSON.stringify({
    messages: [
      { role: 'user', content: `Question ${i}?` },
      { role: 'assistant', content: `Answer ${i}.` },
    ],
  });
/** The row first, then enough clean rows that the file-level checks are quiet. */
const fileWith = (row: string) => [row, ...Array.from({ length: 10 }, (_, i) => chat(i))].join('\n') + '\n';

/** Applies a fix's edits to the text, as an editor would (last edit first). */
function applyFix(text: string, fix: DatasetFix): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((sum, line) => sum + line.length + 1, 0) + p.character;
  const edits = [...fix.edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  let result = text;
  for (const edit of edits) result = result.slice(0, offset(edit.range.start)) + edit.newText + result.slice(offset(edit.range.end));
  return result;
}

function onlyFinding(text: string, code: string): DatasetFinding {
  const found = validateDatasetText(text).filter((f) => f.code === code);
  assert.equal(found.length, 1, `one ${code} in ${JSON.stringify(validateDatasetText(text))}`);
  return found[0]!;
}

/** The findings left after the preferred fix, which must be none of the row's. */
function afterPreferredFix(row: string, code: string): { fix: DatasetFix; fixed: string; left: DatasetFinding[] } {
  const text = fileWith(row);
  const finding = onlyFinding(text, code);
  assert.ok(finding.fix, `a preferred fix for ${code}`);
  const fixed = applyFix(text, finding.fix);
  return { fix: finding.fix, fixed, left: validateDatasetText(fixed) };
}

const messages = (...roles: string[]) => JSON.stringify({ messages: roles.map((role, i) => ({ role, content: `Turn ${i + 1} text.` })) });

describe('dataset quick fixes: an unrecognized role gets the role its place requires', () => {
  const userPlaces: [string, string][] = [
    ['"usr" after the system message', messages('system', 'usr', 'assistant')],
    ['"human" after an assistant turn', messages('user', 'assistant', 'human', 'assistant')],
    ['"bot" where the user speaks (not "assistant", which would leave no user message)', messages('system', 'bot', 'assistant')],
    ['"User" in another case, first', messages('User', 'assistant')],
    ['"customer", a word no convention uses, first', messages('customer', 'assistant')],
  ];
  for (const [name, row] of userPlaces) {
    it(`renames ${name} to user, and the fixed file has no finding`, () => {
      const { fix, left } = afterPreferredFix(row, 'unrecognized-role');
      assert.equal(fix.title, 'Rename the role to "user"');
      assert.deepEqual(left, []);
    });
  }

  it("renames a misspelled role in the assistant's place to assistant, by position and by spelling", () => {
    const { fix, left } = afterPreferredFix(messages('user', 'asistant'), 'unrecognized-role');
    assert.equal(fix.title, 'Rename the role to "assistant"');
    assert.deepEqual(left, []);
  });

  it('names the role that the place requires in the message', () => {
    const finding = onlyFinding(fileWith(messages('system', 'bot', 'assistant')), 'unrecognized-role');
    assert.match(finding.message, /here probably "user"/);
  });

  it('offers the role the name means elsewhere as an alternative, after the preferred one', () => {
    const finding = onlyFinding(fileWith(messages('system', 'bot', 'assistant')), 'unrecognized-role');
    assert.deepEqual(
      finding.alternativeFixes?.map((fix) => fix.title),
      ['Rename the role to "assistant"'],
    );
  });

  it("makes a message with tool calls the assistant's, whatever its name", () => {
    const row = JSON.stringify({
      messages: [
        { role: 'user', content: 'Weather?' },
        { role: 'agent', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'weather', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
        { role: 'assistant', content: 'Sunny.' },
      ],
    });
    const { fix, left } = afterPreferredFix(row, 'unrecognized-role');
    assert.equal(fix.title, 'Rename the role to "assistant"');
    assert.deepEqual(left, []);
  });

  it('fixes two unknown roles of one row one after the other, each leaving no new finding', () => {
    let text = fileWith(messages('human', 'bot'));
    for (const expected of ['user', 'assistant']) {
      const finding = validateDatasetText(text).find((f) => f.code === 'unrecognized-role')!;
      assert.equal(finding.fix?.title, `Rename the role to "${expected}"`);
      const before = validateDatasetText(text).length;
      text = applyFix(text, finding.fix);
      assert.equal(validateDatasetText(text).length, before - 1);
    }
    assert.deepEqual(validateDatasetText(text), []);
  });
});

describe('dataset quick fixes: a row missing its closing brackets gets exactly those', () => {
  const complete = '{"messages": [{"role": "user", "content": "Where is {it} [really]?"}, {"role": "assistant", "content": "Here \\"}]\\" it is."}]}';
  const cases: [string, string, string][] = [
    ['the final brace', complete.slice(0, -1), '}'],
    ['the list and the brace', complete.slice(0, -2), ']}'],
    ["a message's brace, the list and the row's brace", complete.slice(0, -3), '}]}'],
  ];
  for (const [name, row, closers] of cases) {
    it(`inserts ${name} (\`${closers}\`), and the fixed file has no finding`, () => {
      const { fix, fixed, left } = afterPreferredFix(row, 'invalid-json');
      assert.equal(fix.title, `Insert \`${closers}\` to close the row`);
      assert.equal(fixed.split('\n')[0], complete);
      assert.deepEqual(left, []);
    });
  }

  it('inserts before trailing spaces, at the end of the JSON', () => {
    const { fixed, left } = afterPreferredFix(`${complete.slice(0, -1)}  `, 'invalid-json');
    assert.equal(fixed.split('\n')[0], `${complete}  `);
    assert.deepEqual(left, []);
  });

  const unfixable: [string, string][] = [
    ['a row cut inside a string', '{"messages": [{"role": "user", "content": "Where is'],
    ['a row ending in a comma', '{"messages": [{"role": "user", "content": "hi"},'],
    ['a row with a key and no value', '{"messages": [{"role": "user", "content": "hi"}], "weight":'],
    ['a row with a wrong closer', '{"messages": [{"role": "user", "content": "hi"}}'],
    ['a list that closing would make, not an object', '[{"role": "user", "content": "hi"}'],
    ['a syntax error in the middle', '{"messages": [{"role" "user", "content": "hi"}]'],
  ];
  for (const [name, row] of unfixable) {
    it(`offers no insertion for ${name}`, () => {
      const finding = onlyFinding(fileWith(row), 'invalid-json');
      assert.equal(finding.fix, undefined);
    });
  }
});
