import unittest

from chatwright_train.batching import collate_padded, collate_padding_free, plan_batches
from chatwright_train.masking import IGNORE_INDEX, Example


class PlanBatches(unittest.TestCase):
    def test_every_example_is_planned_once(self):
        lengths = list(range(1, 101))
        for mode in ("grouped", "padded", "padding_free"):
            plan = plan_batches(lengths, 8, mode, seed=1)
            self.assertEqual(sorted(i for batch in plan for i in batch), list(range(100)), mode)
            self.assertTrue(all(len(batch) <= 8 for batch in plan))

    def test_the_plan_depends_only_on_the_seed(self):
        lengths = [5, 9, 2, 7, 3, 8]
        self.assertEqual(plan_batches(lengths, 2, "grouped", 4), plan_batches(lengths, 2, "grouped", 4))
        self.assertNotEqual(plan_batches(list(range(50)), 5, "padded", 1), plan_batches(list(range(50)), 5,
                                                                                         "padded", 2))

    def test_grouping_wastes_far_less_padding_than_random_batches(self):
        import random

        rng = random.Random(0)
        lengths = [rng.randint(10, 2000) for _ in range(512)]

        def waste(plan):
            return sum(max(lengths[i] for i in b) * len(b) - sum(lengths[i] for i in b) for b in plan)

        self.assertLess(waste(plan_batches(lengths, 8, "grouped", 0)) * 5, waste(plan_batches(lengths, 8, "padded", 0)))

    def test_a_batch_size_below_one_is_refused(self):
        with self.assertRaises(ValueError):
            plan_batches([1], 0, "grouped", 0)


class Collate(unittest.TestCase):
    def examples(self):
        return [Example([1, 2, 3], [IGNORE_INDEX, 2, 3], "a:1"), Example([4, 5], [IGNORE_INDEX, 5], "a:2")]

    def test_padding_free_concatenates_with_restarting_positions(self):
        batch = collate_padding_free(self.examples())
        self.assertEqual(batch["input_ids"], [[1, 2, 3, 4, 5]])
        self.assertEqual(batch["position_ids"], [[0, 1, 2, 0, 1]])
        self.assertEqual(batch["labels"], [[IGNORE_INDEX, 2, 3, IGNORE_INDEX, 5]])
        self.assertEqual(batch["num_tokens"], 5)
        self.assertNotIn("attention_mask", batch)

    def test_padding_free_never_predicts_a_sequence_start_from_the_previous_sequence(self):
        trained_first = [Example([7, 8], [7, 8], "a:1"), Example([9, 10], [9, 10], "a:2")]
        self.assertEqual(collate_padding_free(trained_first)["labels"], [[IGNORE_INDEX, 8, IGNORE_INDEX, 10]])

    def test_padded_batches_round_up_to_a_multiple_of_8_and_mask_the_padding(self):
        batch = collate_padded(self.examples(), pad_token_id=0)
        self.assertEqual([len(row) for row in batch["input_ids"]], [8, 8])
        self.assertEqual(batch["attention_mask"][1], [1, 1, 0, 0, 0, 0, 0, 0])
        self.assertEqual(batch["labels"][1], [IGNORE_INDEX, 5] + [IGNORE_INDEX] * 6)
        self.assertEqual(batch["num_tokens"], 5)


if __name__ == "__main__":
    unittest.main()
