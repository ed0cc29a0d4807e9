import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reportShapeProblem } from '../../../src/core/eval/reportFileReader';
import { generateEvalReport } from '../../support/evalReportFixture';

const report = generateEvalReport({ questions: 5, strategies: 3, seed: 2 });

type Node = Record<string | number, unknown>;

/** A deep copy of the report with the field at `path` set to `value`, or deleted when `value` is undefined. */
function changed(path: readonly (string | number)[], value?: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(report)) as Node;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Node;
  const last = path[path.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

describe('reportShapeProblem', () => {
  it('accepts a report as buildEvalReport writes it', () => {
    assert.equal(reportShapeProblem(JSON.parse(JSON.stringify(report))), undefined);
  });

  it('refuses entries the page and the host walk over that are not what they read: metrics, strategies, pairs, the recommendation', () => {
    const cases: [string, unknown, RegExp][] = [
      ['a null metric', changed(['metrics', 0], null), /a metric has no id, label or range/],
      ['a metric without a range', changed(['metrics', 0, 'range']), /a metric has no id, label or range/],
      ['a range of text', changed(['metrics', 0, 'range'], ['0', 1]), /a metric has no id, label or range/],
      ['a strategy without tokens', changed(['strategies', 1, 'tokens']), /a strategy has no metrics, latency or tokens/],
      ['a strategy with metrics null', changed(['strategies', 0, 'metrics'], null), /a strategy has no metrics, latency or tokens/],
      ['a pair without a difference', changed(['pairwise', 0, 'difference']), /a pair of strategies has no names or difference/],
      ['a null pair', changed(['pairwise', 0], null), /a pair of strategies has no names or difference/],
      ['a recommendation without reasons', changed(['recommendation', 'reasons']), /the recommendation has no headline/],
    ];
    for (const [what, broken, message] of cases) assert.match(reportShapeProblem(broken) ?? 'accepted', message, what);
  });
});
