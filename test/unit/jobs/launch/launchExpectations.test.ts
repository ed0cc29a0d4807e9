/**
 * The generated launch files against reviewed expectations (test/fixtures/launch/<case>/, read against the
 * accelerate, DeepSpeed and Slurm documentation as its README says). A difference fails; the files are rewritten only
 * with UPDATE_LAUNCH_EXPECTATIONS=1, after which they must be reviewed again.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sbatchScriptFile, trainingSbatchScript } from '../../../../src/core/jobs/launch/sbatchScript';
import { trainerLaunchPlan } from '../../../../src/core/jobs/launch/trainerLaunchPlan';
import { caseRunDir, caseTrainer, jobConfigOn, launchCases, withPlaceholders } from './launchCases';

const expectationsDir = join(__dirname, '..', '..', '..', 'fixtures', 'launch');
const updating = process.env.UPDATE_LAUNCH_EXPECTATIONS === '1';

/** Every file a case generates: the plan as command.json, its launch files, and the sbatch script for a Slurm target. */
function generatedFiles(name: string): Map<string, string> {
  const launchCase = launchCases.find((candidate) => candidate.name === name)!;
  const config = jobConfigOn(launchCase.target);
  const plan = trainerLaunchPlan({ config, runDir: caseRunDir, trainer: caseTrainer });
  const files = new Map<string, string>();
  const { files: launchFiles, ...rest } = plan;
  files.set('command.json', `${JSON.stringify({ ...rest, files: launchFiles.map((file) => file.name) }, null, 2)}\n`);
  for (const file of launchFiles) files.set(file.name, file.content);
  if (launchCase.target.type === 'slurm') {
    const script = trainingSbatchScript({ name: 'persona', runDir: caseRunDir, config, trainer: caseTrainer });
    assert.deepEqual(script.files, launchFiles, 'the script refers to the plan’s own files');
    files.set(sbatchScriptFile, script.text);
  }
  return new Map([...files].map(([file, text]) => [file, withPlaceholders(text)]));
}

describe('launch expectations (test/fixtures/launch)', () => {
  for (const { name } of launchCases) {
    it(`${name}: the generated files are exactly the reviewed ones`, () => {
      const folder = join(expectationsDir, name);
      const generated = generatedFiles(name);
      if (updating) {
        rmSync(folder, { recursive: true, force: true });
        mkdirSync(folder, { recursive: true });
        for (const [file, text] of generated) writeFileSync(join(folder, file), text);
      }
      assert.ok(existsSync(folder), `${folder} is missing: generate it with UPDATE_LAUNCH_EXPECTATIONS=1 and review it`);
      assert.deepEqual(readdirSync(folder).sort(), [...generated.keys()].sort(), 'the case generates exactly the files its folder holds');
      for (const [file, text] of generated) assert.equal(text, readFileSync(join(folder, file), 'utf8'), `${name}/${file} differs from the reviewed expectation`);
    });
  }

  it('does not pass on a run that rewrote the expectations', () => {
    // Rewriting is the explicit exception (UPDATE_LAUNCH_EXPECTATIONS=1); such a run fails here so that its diff is reviewed before it is committed.
    assert.equal(updating, false, 'this run rewrote test/fixtures/launch/: review the diff against the docs (README.md there) before committing');
  });
});
