import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { datasetChecks } from '../../../src/core/datasets/findings';

const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'dataset-checks.md'), 'utf8');

/** The rows of the checks table: | `code` | severity | what | evidence |. */
function documentedChecks(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of doc.split('\n')) {
    const match = /^\| `([a-z0-9-]+)`\s*\| (\w+)\s*\| (.+?)\s*\| (.+?)\s*\|$/.exec(line);
    if (!match) continue;
    assert.ok(!rows.has(match[1]!), `${match[1]} is listed twice`);
    assert.ok(match[3]!.trim().length > 0 && match[4]!.trim().length > 0, `${match[1]} needs what it catches and its evidence`);
    rows.set(match[1]!, match[2]!);
  }
  return rows;
}

describe('docs/dataset-checks.md', () => {
  it('lists exactly the codes the validator can emit, with the same severities', () => {
    const documented = documentedChecks();
    const emitted = new Map(Object.entries(datasetChecks).map(([code, check]) => [code, check.severity as string]));
    assert.deepEqual([...documented.keys()].sort(), [...emitted.keys()].sort());
    for (const [code, severity] of emitted) assert.equal(documented.get(code), severity, code);
  });
});
