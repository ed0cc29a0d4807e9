import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldPosition } from '../../../src/core/jobs/jobFieldPosition';

const yamlJob = ['name: persona', 'model:', '  path: ./models/tiny', 'method:', '  type: lora', '  lora:', '    r: 64', 'training:', '  epochs: 3', ''].join('\n');

describe('fieldPosition: the line of a job field in the file', () => {
  it('finds a nested field on its own line, the key underlined', () => {
    assert.deepEqual(fieldPosition(yamlJob, 'method.lora.r'), { line: 6, startCharacter: 4, endCharacter: 5 });
  });

  it('falls back to the deepest part written when the field relies on its default', () => {
    assert.deepEqual(fieldPosition(yamlJob, 'training.learning_rate'), { line: 7, startCharacter: 0, endCharacter: 8 });
  });

  it('reads JSON job files too', () => {
    const json = '{\n  "model": {\n    "path": "x"\n  }\n}\n';
    assert.deepEqual(fieldPosition(json, 'model.path'), { line: 2, startCharacter: 4, endCharacter: 10 });
  });

  it('is undefined for a field the file does not mention at all, or text that is not a mapping', () => {
    assert.equal(fieldPosition(yamlJob, 'data.chat_template'), undefined);
    assert.equal(fieldPosition('- a\n- b\n', 'model.path'), undefined);
  });
});
