import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultTarget, planBatch, worldSizeOf } from '../../../src/core/jobs/jobTarget';

interface BatchPlanCase {
  name: string;
  per_device_batch_size: number;
  gradient_accumulation_steps: number;
  world_size: number;
  expected: { per_device_batch: number; gradient_accumulation: number; effective_batch: number; requested_effective_batch: number; changed: boolean; problem: string | null };
}

const fixture = JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'batch-plans.json'), 'utf8')) as { cases: BatchPlanCase[] };

describe('planBatch (the cases of test/fixtures/batch-plans.json, which the Python trainer is held to too)', () => {
  for (const item of fixture.cases) {
    it(item.name, () => {
      const plan = planBatch({ per_device_batch_size: item.per_device_batch_size, gradient_accumulation_steps: item.gradient_accumulation_steps }, item.world_size);
      const { expected } = item;
      assert.deepEqual(plan, {
        worldSize: item.world_size,
        perDeviceBatch: expected.per_device_batch,
        gradientAccumulation: expected.gradient_accumulation,
        effectiveBatch: expected.effective_batch,
        requestedEffectiveBatch: expected.requested_effective_batch,
        changed: expected.changed,
        ...(expected.problem !== null ? { problem: expected.problem } : {}),
      });
    });
  }

  it('keeps the effective batch and never raises the per-device batch, for every small job on up to 16 processes', () => {
    for (let perDevice = 1; perDevice <= 12; perDevice++) {
      for (let accumulation = 1; accumulation <= 12; accumulation++) {
        for (let world = 1; world <= 16; world++) {
          const plan = planBatch({ per_device_batch_size: perDevice, gradient_accumulation_steps: accumulation }, world);
          const requested = perDevice * accumulation;
          if (requested % world !== 0) {
            assert.ok(plan.problem, `${perDevice}×${accumulation} on ${world}`);
            continue;
          }
          assert.equal(plan.problem, undefined);
          assert.equal(plan.perDeviceBatch * plan.gradientAccumulation * world, requested);
          assert.ok(plan.perDeviceBatch <= perDevice);
          // No larger per-device batch would have kept it.
          for (let larger = plan.perDeviceBatch + 1; larger <= perDevice; larger++) assert.notEqual(requested % (larger * world), 0);
        }
      }
    }
  });

  it('the default target is one process', () => {
    assert.equal(worldSizeOf(defaultTarget), 1);
    assert.deepEqual(planBatch({ per_device_batch_size: 4, gradient_accumulation_steps: 1 }, worldSizeOf(defaultTarget)).changed, false);
  });
});
