"""The batch arithmetic of several training processes, the same as the launcher's (`planBatch` in
src/core/jobs/jobTarget.ts); both are held to test/fixtures/batch-plans.json. Standard library only: the trainer
applies the plan from WORLD_SIZE before torch is imported.

The job's `per_device_batch_size × gradient_accumulation_steps` is the effective batch the user asked for, as on one
device. With W processes the plan keeps it: the largest per-device batch not above the one asked for such that the
effective batch over (per-device batch × W) is a whole accumulation count. A smaller per-device batch never needs
more memory than the one asked for. When W does not divide the effective batch no split keeps it, and `problem` says
what to write instead."""

from __future__ import annotations

from typing import Any


def plan_batch(per_device: int, accumulation: int, world_size: int) -> dict[str, Any]:
    """{world_size, per_device_batch, gradient_accumulation, effective_batch, requested_effective_batch, changed} and
    `problem` (a string) when no split keeps the effective batch."""
    requested = per_device * accumulation
    world = max(1, int(world_size))
    if world == 1:
        return _plan(1, per_device, accumulation, requested, requested, False)
    for candidate in range(per_device, 0, -1):
        if requested % (candidate * world) != 0:
            continue
        steps = requested // (candidate * world)
        return _plan(world, candidate, steps, requested, requested, candidate != per_device or steps != accumulation)
    plan = _plan(world, per_device, accumulation, per_device * accumulation * world, requested, False)
    plan["problem"] = _unsplittable_batch_problem(per_device, accumulation, world)
    return plan


def _plan(world: int, per_device: int, accumulation: int, effective: int, requested: int,
          changed: bool) -> dict[str, Any]:
    return {"world_size": world, "per_device_batch": per_device, "gradient_accumulation": accumulation,
            "effective_batch": effective, "requested_effective_batch": requested, "changed": changed}


def _settings_for(effective: int, per_device: int) -> str:
    """Job file values whose effective batch is `effective`: the per-device batch asked for when it divides, else the
    largest one below it that does."""
    batch = min(per_device, effective)
    while effective % batch != 0:
        batch -= 1
    return f"per_device_batch_size: {batch}, gradient_accumulation_steps: {effective // batch}"


def _unsplittable_batch_problem(per_device: int, accumulation: int, world: int) -> str:
    requested = per_device * accumulation
    below = requested // world * world
    above = below + world
    candidates = ([below] if below >= world else []) + [above]
    options = [f"{effective} ({_settings_for(effective, per_device)})" for effective in candidates]
    return (f"the effective batch {requested} (per_device_batch_size {per_device} × gradient_accumulation_steps "
            f"{accumulation}) cannot be shared by {world} processes: it must be a multiple of {world}. Write an "
            f"effective batch of {' or '.join(options)}, or use a number of GPUs that divides {requested}")
