import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { preflightView } from '../../../src/core/jobs/preflightView';
import { type PreflightResult } from '../../../src/core/jobs/preflight';

const example = (source: string, pieces: string[], mask: (0 | 1)[]) => ({ source, inputIds: pieces.map((_, index) => index), lossMask: mask, pieces, missingEndOfTurn: 0, fullLength: pieces.length });

describe('preflightView: what the job page shows of a preflight', () => {
  const result: PreflightResult = {
    ok: false,
    findings: [{ code: 'loss-mask-empty', severity: 'error', message: 'No trained token.', action: 'Fix the template.' }],
    preview: [
      example('a.jsonl:1', ['<u>', 'Hi', '<a>', 'Hello', '!', '<e>'], [0, 0, 0, 1, 1, 1]),
      example('a.jsonl:2', ['x'], [0]),
      example('a.jsonl:3', ['y'], [1]),
      example('a.jsonl:4', ['z'], [1]),
    ],
    stats: { rows: 4, labelled: 4, tokens: 9, trainedTokens: 5, truncated: 0, dropped: 0 },
  };

  it('keeps the verdict, findings and stats, and the first examples as trained / untrained runs of text', () => {
    const view = preflightView(result, 2);
    assert.equal(view.ok, false);
    assert.deepEqual(view.findings, result.findings);
    assert.deepEqual(view.stats, result.stats);
    assert.deepEqual(view.examples, [
      {
        source: 'a.jsonl:1',
        tokens: 6,
        trainedTokens: 3,
        segments: [
          { text: '<u>Hi<a>', trained: false },
          { text: 'Hello!<e>', trained: true },
        ],
      },
      { source: 'a.jsonl:2', tokens: 1, trainedTokens: 0, segments: [{ text: 'x', trained: false }] },
    ]);
  });
});
