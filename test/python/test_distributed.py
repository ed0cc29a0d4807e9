import json
import unittest
from pathlib import Path

from chatwright_train.distributed import plan_batch

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "batch-plans.json"


class PlanBatch(unittest.TestCase):
    """The cases of test/fixtures/batch-plans.json, which the launcher's planBatch (TypeScript) is held to too."""

    def test_every_fixture_case(self):
        cases = json.loads(FIXTURE.read_text(encoding="utf-8"))["cases"]
        self.assertGreaterEqual(len(cases), 10)
        for case in cases:
            with self.subTest(case["name"]):
                plan = plan_batch(case["per_device_batch_size"], case["gradient_accumulation_steps"], case["world_size"])
                expected = {key: value for key, value in case["expected"].items() if value is not None}
                self.assertEqual(plan, {"world_size": case["world_size"], **expected})

    def test_the_plan_keeps_the_effective_batch_with_the_largest_per_device_batch(self):
        for per_device in range(1, 13):
            for accumulation in range(1, 13):
                for world in range(1, 17):
                    plan = plan_batch(per_device, accumulation, world)
                    requested = per_device * accumulation
                    if requested % world:
                        self.assertIn("problem", plan)
                        continue
                    self.assertNotIn("problem", plan)
                    self.assertEqual(plan["per_device_batch"] * plan["gradient_accumulation"] * world, requested)
                    self.assertTrue(all(requested % (larger * world)
                                        for larger in range(plan["per_device_batch"] + 1, per_device + 1)))


if __name__ == "__main__":
    unittest.main()
