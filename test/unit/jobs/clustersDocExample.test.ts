import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { resolveJobText } from '../../../src/core/jobs/jobFile';
import { trainingSbatchScript } from '../../../src/core/jobs/launch/sbatchScript';

/**
 * docs/clusters.md's worked example prints the job file, and the script and accelerate.yaml that `examples/support-bot/
 * support-cluster.job.yaml` becomes, as the generator writes them for a run folder on the cluster: this test keeps
 * the page equal to the generator. `UPDATE_DOCS_EXAMPLES=1` rewrites the page's blocks (review the diff).
 */
const repo = join(__dirname, '..', '..', '..');
const docFile = join(repo, 'docs', 'clusters.md');
const jobFile = join(repo, 'examples', 'support-bot', 'support-cluster.job.yaml');
/** Where the example's run folder and the extension's python/ folder are on the cluster (VS Code Remote-SSH's extension folder). */
const runDir = '/home/alice/support-bot/.chatwright/runs/20261205-091500-support-bot-cluster';
const trainer = { python: '/home/alice/venvs/chatwright/bin/python', pythonPath: '/home/alice/.vscode-server/extensions/chatwright.chatwright-0.1.0/python' };

/** The fenced block after `<!-- generated: NAME -->` in the page: its text, and where it sits. */
function generatedBlock(page: string, name: string): { text: string; start: number; end: number } {
  const marker = `<!-- generated: ${name} -->\n`;
  const at = page.indexOf(marker);
  assert.ok(at >= 0, `docs/clusters.md has no ${marker.trim()}`);
  const open = page.indexOf('\n', page.indexOf('```', at + marker.length)) + 1;
  const close = page.indexOf('\n```', open - 1);
  assert.ok(open > 0 && close >= open - 1, `the block after ${marker.trim()} is not a fenced block`);
  return { text: page.slice(open, close + 1), start: open, end: close + 1 };
}

describe("docs/clusters.md's worked example", () => {
  const config = resolveJobText(readFileSync(jobFile, 'utf8'), jobFile).config!;
  const script = trainingSbatchScript({ name: 'support-bot-cluster', runDir, config, trainer });
  const accelerate = script.files.find((file) => file.name === 'accelerate.yaml');
  const expected: Record<string, string> = {
    'support-cluster.job.yaml': readFileSync(jobFile, 'utf8'),
    'job.sbatch': script.text,
    ...(accelerate !== undefined ? { 'accelerate.yaml': accelerate.content } : {}),
  };

  if (process.env.UPDATE_DOCS_EXAMPLES === '1') {
    let page = readFileSync(docFile, 'utf8');
    for (const [name, text] of Object.entries(expected)) {
      const block = generatedBlock(page, name);
      page = page.slice(0, block.start) + (text.endsWith('\n') ? text : `${text}\n`) + page.slice(block.end);
    }
    writeFileSync(docFile, page);
  }

  for (const name of ['support-cluster.job.yaml', 'job.sbatch', 'accelerate.yaml']) {
    it(`prints ${name} exactly as the generator writes it`, () => {
      const text = expected[name];
      assert.ok(text !== undefined, `the example's launch has no ${name}`);
      assert.equal(generatedBlock(readFileSync(docFile, 'utf8'), name).text, text.endsWith('\n') ? text : `${text}\n`);
    });
  }

  it('states the batch plan the launcher makes of the example (8 processes keep the effective batch 16)', () => {
    const batch = script.plan!.batch;
    assert.deepEqual([batch.worldSize, batch.perDeviceBatch, batch.gradientAccumulation, batch.effectiveBatch], [8, 2, 1, 16]);
    // The page quotes the plan's description as the CLI prints it (`Launch: …`), across its line breaks.
    assert.ok(readFileSync(docFile, 'utf8').replace(/\s+/g, ' ').includes(script.plan!.description), script.plan!.description);
  });
});
