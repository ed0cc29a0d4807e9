import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzePrompty } from '../../../src/core/prompts/promptyDiagnostics';
import { type PromptFinding } from '../../../src/core/prompts/promptFinding';
import { TextPositions } from '../../../src/core/text/lineIndex';

const context = { workspaceRoots: [] as string[], checkModelCache: false };

function applyFix(text: string, finding: PromptFinding): string {
  const positions = new TextPositions(text);
  const edits = finding.fix!.edits.map((edit) => ({ start: positions.offsetAt(edit.range.start), end: positions.offsetAt(edit.range.end), text: edit.newText })).sort((a, b) => b.start - a.start);
  return edits.reduce((result, edit) => result.slice(0, edit.start) + edit.text + result.slice(edit.end), text);
}

function fixFirst(text: string, code: string): string {
  const finding = analyzePrompty(text, context).findings.find((f) => f.code === code);
  assert.ok(finding?.fix, `a fix for ${code}`);
  return applyFix(text, finding);
}

describe('quick fixes', () => {
  it('changes an unknown role to the one it stands for', () => {
    const fixed = fixFirst('---\nname: x\n---\nsystem:\nhi\nbot:\nhello\n', 'unknown-role');
    assert.match(fixed, /\nassistant:\nhello/);
    assert.deepEqual(analyzePrompty(fixed, context).findings, []);
  });
  it('turns a role heading without a colon into the role line it meant', () => {
    const text = '---\nname: x\n---\nsystem:\nBe brief.\n# User\nhello\n';
    const fixed = fixFirst(text, 'role-heading-without-colon');
    assert.equal(fixed, '---\nname: x\n---\nsystem:\nBe brief.\nuser:\nhello\n');
    assert.deepEqual(analyzePrompty(fixed, context).findings, []);
  });
  it('keeps the indentation of an indented heading', () => {
    const fixed = fixFirst('---\nname: x\n---\nsystem:\nBe brief.\n  #assistant  \nhello\n', 'role-heading-without-colon');
    assert.match(fixed, /\n {2}assistant: {2}\nhello/);
    assert.deepEqual(
      analyzePrompty(fixed, context).findings.filter((f) => f.code === 'role-heading-without-colon'),
      [],
    );
  });
  it('declares an undeclared variable in a v1 inputs map', () => {
    const fixed = fixFirst('---\ninputs:\n  question:\n    type: string\n---\nuser:\n{{ question }} {{ topic }}\n', 'undeclared-variable');
    assert.match(fixed, /inputs:\n {2}topic:\n {4}type: string\n {2}question:/);
    assert.deepEqual(analyzePrompty(fixed, context).findings, []);
  });
  it('declares it in a v2 inputs list', () => {
    const fixed = fixFirst('---\ninputs:\n  - name: question\n    kind: string\n---\nuser:\n{{ question }} {{ topic }}\n', 'undeclared-variable');
    assert.match(fixed, /inputs:\n {2}- name: topic\n {4}kind: string\n {2}- name: question/);
    assert.deepEqual(analyzePrompty(fixed, context).findings, []);
  });
  it('adds an inputs key, or a front matter, when there is none', () => {
    const withKey = fixFirst('---\nname: x\n---\nuser:\n{{ topic }}\n', 'undeclared-variable');
    assert.match(withKey, /^---\nname: x\ninputs:\n {2}topic:\n {4}type: string\n---\n/);
    assert.deepEqual(analyzePrompty(withKey, context).findings, []);
  });
});
