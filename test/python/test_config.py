import json
import unittest

from chatwright_train.config import effective_packing, load_config_file, resolve_config
from chatwright_train.errors import TrainError

from support import temp_dir

MINIMAL = {"model": {"path": "/models/qwen"}, "data": {"train": "train.jsonl"}}


def problems(raw):
    with unittest.TestCase().assertRaises(TrainError) as caught:
        resolve_config(raw)
    return caught.exception


class ResolveConfig(unittest.TestCase):
    def test_a_minimal_config_gets_the_documented_lora_defaults(self):
        config = resolve_config(MINIMAL)
        lora = config.method.lora
        self.assertEqual((config.method.type, lora.r, lora.alpha, lora.dropout, lora.target_modules),
                         ("lora", 16, 32.0, 0.0, "all-linear"))
        self.assertFalse(lora.use_dora or lora.use_rslora)
        self.assertEqual(config.training.learning_rate, 2e-4)
        self.assertEqual(config.data.eval, "auto")

    def test_prompt_tuning_defaults_to_its_own_learning_rate(self):
        config = resolve_config({**MINIMAL, "method": {"type": "prompt_tuning"}})
        self.assertEqual(config.training.learning_rate, 3e-2)
        self.assertEqual(config.method.prompt_tuning.num_virtual_tokens, 20)

    def test_an_explicit_learning_rate_wins_over_the_method_default(self):
        config = resolve_config({**MINIMAL, "training": {"learning_rate": 1e-3}})
        self.assertEqual(config.training.learning_rate, 1e-3)

    def test_every_problem_is_reported_with_its_dotted_path(self):
        error = problems({"model": {"path": ""}, "data": {"train": "t.jsonl", "max_seq_length": 4},
                          "method": {"type": "lora", "lora": {"r": 0, "dropout": 2}},
                          "training": {"epochs": -1, "seed": "x"}})
        self.assertEqual(error.code, "CONFIG_INVALID")
        paths = [entry.split(":")[0] for entry in error.details["errors"]]
        self.assertEqual(sorted(paths), sorted(["model.path", "data.max_seq_length", "method.lora.r",
                                                "method.lora.dropout", "training.epochs", "training.seed"]))

    def test_a_config_without_a_target_runs_as_one_local_process(self):
        target = resolve_config(MINIMAL).target
        self.assertEqual((target.type, target.gpus, target.strategy, target.main_port), ("local", 1, "ddp", 29500))
        self.assertEqual((target.slurm.nodes, target.slurm.time, target.slurm.sbatch), (1, "04:00:00", []))

    def test_a_slurm_target_resolves_with_a_time_in_minutes_written_as_a_number(self):
        config = resolve_config({**MINIMAL, "target": {"type": "slurm", "gpus": 0, "slurm": {
            "time": 90, "mem": 65536, "sbatch": ["--mail-type=END"], "setup": ["module load cuda"]}}})
        self.assertEqual((config.target.slurm.time, config.target.slurm.mem), ("90", "65536"))
        self.assertEqual(json.loads(json.dumps(config.to_json()))["target"]["slurm"]["setup"], ["module load cuda"])

    def test_target_problems_are_named_with_their_paths(self):
        error = problems({**MINIMAL, "target": {"gpus": 0, "strategy": "zero3", "slurm": {
            "time": "8h", "partition": "a;b", "sbatch": ["--output=x.log", "--mail-type=END"], "setup": ["a\nb"],
            "python": "venv/bin/python", "cpus_per_task": 0}}})
        paths = sorted(entry.split(":")[0] for entry in error.details["errors"])
        self.assertEqual(paths, sorted(["target.gpus", "target.strategy", "target.slurm.time", "target.slurm.partition",
                                        "target.slurm.sbatch", "target.slurm.setup", "target.slurm.python",
                                        "target.slurm.cpus_per_task"]))
        self.assertIn("target.slurm.sbatch: Chatwright sets --output/-o itself (the job writes to the run folder's "
                      "train.log); leave it out", error.details["errors"])

    def test_unknown_fields_are_named_with_a_suggestion(self):
        error = problems({**MINIMAL, "training": {"learningrate": 1e-4}})
        self.assertIn("training.learningrate: unknown field (did you mean 'learning_rate'?)", error.details["errors"])

    def test_required_sections_are_reported_missing(self):
        error = problems({})
        self.assertIn("model: is required", error.details["errors"])
        self.assertIn("data: is required", error.details["errors"])

    def test_a_non_object_config_is_rejected(self):
        self.assertEqual(problems([1, 2]).code, "CONFIG_INVALID")

    def test_text_init_needs_its_text(self):
        error = problems({**MINIMAL, "method": {"type": "prompt_tuning", "prompt_tuning": {"init": "text"}}})
        self.assertIn("method.prompt_tuning.init_text: is required when init is \"text\"", error.details["errors"])

    def test_merging_a_prompt_tuning_adapter_is_refused(self):
        error = problems({**MINIMAL, "method": {"type": "prompt_tuning"}, "output": {"merge": True}})
        self.assertTrue(any(e.startswith("output.merge") for e in error.details["errors"]))

    def test_booleans_are_not_taken_for_numbers(self):
        error = problems({**MINIMAL, "method": {"lora": {"r": True}}})
        self.assertTrue(any(e.startswith("method.lora.r") for e in error.details["errors"]))

    def test_target_modules_accepts_a_list_of_names(self):
        config = resolve_config({**MINIMAL, "method": {"lora": {"target_modules": ["q_proj", "v_proj"]}}})
        self.assertEqual(config.method.lora.target_modules, ["q_proj", "v_proj"])
        error = problems({**MINIMAL, "method": {"lora": {"target_modules": []}}})
        self.assertTrue(any(e.startswith("method.lora.target_modules") for e in error.details["errors"]))

    def test_packing_true_and_false_are_shorthands(self):
        self.assertEqual(resolve_config({**MINIMAL, "data": {"train": "t", "packing": True}}).data.packing,
                         "padding_free")
        self.assertEqual(resolve_config({**MINIMAL, "data": {"train": "t", "packing": False}}).data.packing,
                         "padded")

    def test_the_resolved_config_round_trips_through_json(self):
        config = resolve_config(MINIMAL)
        self.assertEqual(resolve_config(json.loads(json.dumps(config.to_json()))), config)


class EffectivePacking(unittest.TestCase):
    def test_auto_packs_padding_free_unless_attention_is_eager(self):
        self.assertEqual(effective_packing("auto", "flash_attention_2"), "padding_free")
        self.assertEqual(effective_packing("auto", "flex_attention"), "padding_free")
        self.assertEqual(effective_packing("auto", "sdpa"), "padding_free")
        self.assertEqual(effective_packing("auto", "eager"), "grouped")

    def test_an_explicit_mode_is_kept(self):
        self.assertEqual(effective_packing("grouped", "sdpa"), "grouped")
        self.assertEqual(effective_packing("padding_free", "eager"), "padding_free")


class LoadConfigFile(unittest.TestCase):
    def test_json_syntax_errors_are_located(self):
        path = temp_dir(self) / "job.json"
        path.write_text('{"model": {"path": "x"},\n "data": }')
        with self.assertRaises(TrainError) as caught:
            load_config_file(path)
        self.assertEqual(caught.exception.code, "CONFIG_UNREADABLE")
        self.assertIn("job.json:2:", caught.exception.message)

    def test_a_missing_file_is_unreadable_not_a_crash(self):
        with self.assertRaises(TrainError) as caught:
            load_config_file(temp_dir(self) / "absent.json")
        self.assertEqual(caught.exception.code, "CONFIG_UNREADABLE")

    def test_a_json_file_resolves(self):
        path = temp_dir(self) / "job.json"
        path.write_text(json.dumps(MINIMAL))
        self.assertEqual(load_config_file(path).model.path, "/models/qwen")


if __name__ == "__main__":
    unittest.main()
