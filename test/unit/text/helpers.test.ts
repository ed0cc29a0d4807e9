import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBinaryBytes, formatBytes } from '../../../src/core/text/byteSize';
import { clamp } from '../../../src/core/text/clamp';
import { cosine } from '../../../src/core/text/cosine';
import { editDistance } from '../../../src/core/text/editDistance';
import { escapeRegExp } from '../../../src/core/text/regExp';
import { suggest } from '../../../src/core/text/suggest';
import { searchWords, words } from '../../../src/core/text/words';

describe('cosine similarity', () => {
  it('is 1 for vectors pointing the same way and 0 for orthogonal ones', () => {
    assert.equal(cosine([1, 2, 3], [2, 4, 6]), 1);
    assert.equal(cosine(new Float32Array([1, 0]), new Float32Array([0, 1])), 0);
  });

  it('is 0, not NaN, when a vector is all zeros', () => {
    assert.equal(cosine([0, 0], [1, 1]), 0);
  });
});

describe('edit distance and suggestions', () => {
  it('counts insertions, deletions and substitutions', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('assistant', 'assistant'), 0);
    assert.equal(editDistance('asistant', 'assistant'), 1);
  });

  it('suggests the three closest names, closest first', () => {
    assert.equal(suggest('uper', ['lower', 'upper', 'title', 'trim']), '`upper`, `lower`, `trim`');
  });
});

describe('clamp', () => {
  it('keeps a value within its bounds', () => {
    assert.equal(clamp(5, 0, 2), 2);
    assert.equal(clamp(-1, 0, 2), 0);
    assert.equal(clamp(1.5, 0, 2), 1.5);
  });
});

describe('byte sizes', () => {
  it('shows downloads in decimal units, one decimal below 100', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1_500_000), '1.5 MB');
    assert.equal(formatBytes(340_000_000), '340 MB');
  });

  it('shows limits in binary units with the decimals asked for', () => {
    assert.equal(formatBinaryBytes(1000), '1000 B');
    assert.equal(formatBinaryBytes(2048), '2 KiB');
    assert.equal(formatBinaryBytes(5000, 1), '4.9 KiB');
    assert.equal(formatBinaryBytes(80 * 1024 * 1024, 1), '80.0 MiB');
  });
});

describe('words', () => {
  it('splits letters and digits of any script, lower-cased', () => {
    assert.deepEqual(words('Ça coûte 12€, max_tokens!'), ['ça', 'coûte', '12', 'max', 'tokens']);
  });

  it('keeps underscores inside the words keyword search matches', () => {
    assert.deepEqual(searchWords('Set max_tokens'), ['set', 'max_tokens']);
  });
});

describe('escapeRegExp', () => {
  it('matches text with metacharacters literally', () => {
    assert.match('a.b*(c)', new RegExp(`^${escapeRegExp('a.b*(c)')}$`));
    assert.doesNotMatch('axb', new RegExp(escapeRegExp('a.b')));
  });
});
