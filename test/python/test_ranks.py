"""The trainer as one of several processes: which process this is, the `distributed` payload, stop and checkpoint
requests agreed by all processes, events written by the first process only, other processes' failures reported by
it. Without torch: collectives are fakes of the same shape as ranks.torch_all_reduce; with torch (Debian's
python3-torch), two real processes agree over gloo."""

import ast
import contextlib
import importlib.util
import inspect
import io
import json
import os
import re
import socket
import sys
import textwrap
import unittest
from pathlib import Path
from unittest import mock

from chatwright_train import cli, ranks, trainer
from chatwright_train.distributed import plan_batch
from chatwright_train.errors import TrainError
from chatwright_train.events import SilentEventWriter, replay
from chatwright_train.ranks import (AppliedBatch, RankFailureWatcher, RankInfo, agree_on_requests, apply_batch_plan,
                                    distributed_payload, failure_event_fields, failure_file, launch_id, launcher_strategy, model_device_map, nodes_from_env,
                                    read_rank_failures, record_rank_failure, torch_all_reduce,
                                    weights_sharded)

from support import temp_dir, write_jsonl

REPO = Path(__file__).resolve().parents[2]
STANDIN = REPO / "test" / "fixtures" / "jobs" / "standin_trainer.py"
JOB_EVENTS_TS = REPO / "src" / "core" / "jobs" / "jobEvents.ts"
ROW = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}
LAUNCHER_VARIABLES = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "NNODES", "PET_NNODES", "SLURM_NNODES",
                      "SLURM_JOB_NUM_NODES", "TORCHELASTIC_RUN_ID", "SLURM_JOB_ID", "ACCELERATE_USE_FSDP", "ACCELERATE_USE_DEEPSPEED",
                      "ACCELERATE_DEEPSPEED_ZERO_STAGE", "ACCELERATE_DEEPSPEED_CONFIG_FILE")


def load_standin():
    spec = importlib.util.spec_from_file_location("standin_trainer_for_tests", STANDIN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module




class RankInfoTests(unittest.TestCase):
    def test_no_launcher_variables_is_one_process_that_is_the_main_one(self):
        rank = RankInfo.from_env({})
        self.assertEqual((rank.rank, rank.local_rank, rank.world_size, rank.local_world_size, rank.nodes), (0, 0, 1, 1, 1))
        self.assertTrue(rank.is_main)
        self.assertFalse(rank.is_distributed)

    def test_accelerate_launch_variables_on_the_second_node(self):
        rank = RankInfo.from_env({"RANK": "3", "LOCAL_RANK": "1", "WORLD_SIZE": "4", "LOCAL_WORLD_SIZE": "2"})
        self.assertEqual((rank.rank, rank.local_rank, rank.world_size, rank.nodes), (3, 1, 4, 2))
        self.assertFalse(rank.is_main)
        self.assertTrue(rank.is_distributed)

    def test_only_global_rank_zero_is_main_not_local_rank_zero_of_another_node(self):
        rank = RankInfo.from_env({"RANK": "2", "LOCAL_RANK": "0", "WORLD_SIZE": "4", "LOCAL_WORLD_SIZE": "2"})
        self.assertFalse(rank.is_main)

    def test_node_count_from_the_launcher_wins_over_the_division(self):
        env = {"RANK": "0", "WORLD_SIZE": "8", "LOCAL_WORLD_SIZE": "4"}
        self.assertEqual(nodes_from_env(env, 8, 4), 2)
        self.assertEqual(nodes_from_env({**env, "SLURM_NNODES": "2"}, 8, 4), 2)
        self.assertEqual(nodes_from_env({"NNODES": "1:4", "SLURM_NNODES": "3"}, 8, 4), 4)
        self.assertEqual(nodes_from_env({"SLURM_JOB_NUM_NODES": "2,1"}, 8, 4), 2)
        self.assertEqual(nodes_from_env({"SLURM_NNODES": "garbage"}, 6, 4), 2)  # 6 processes at 4 a node: 2 nodes

    def test_nodes_never_exceed_the_processes(self):
        self.assertEqual(nodes_from_env({"SLURM_NNODES": "4"}, 2, 1), 2)

    def test_variables_that_do_not_add_up_are_a_located_error(self):
        cases = [{"WORLD_SIZE": "two"}, {"RANK": "-1", "WORLD_SIZE": "2"}, {"RANK": "2", "WORLD_SIZE": "2"},
                 {"WORLD_SIZE": "2", "LOCAL_RANK": "2", "LOCAL_WORLD_SIZE": "2"}, {"WORLD_SIZE": "2", "LOCAL_WORLD_SIZE": "4"},
                 {"WORLD_SIZE": "0"}]
        for env in cases:
            with self.subTest(env=env), self.assertRaises(TrainError) as caught:
                RankInfo.from_env(env)
            self.assertEqual(caught.exception.code, "DISTRIBUTED_ENV_INVALID")
            self.assertTrue(any(name in caught.exception.message for name in env), caught.exception.message)

    def test_launch_id_is_torchruns_run_id_else_the_slurm_job(self):
        self.assertEqual(launch_id({"TORCHELASTIC_RUN_ID": "abc", "SLURM_JOB_ID": "7"}), "abc")
        self.assertEqual(launch_id({"TORCHELASTIC_RUN_ID": "none", "SLURM_JOB_ID": "7"}), "7")
        self.assertEqual(launch_id({}), "")


class BatchAndPayloadTests(unittest.TestCase):
    def test_one_process_trains_the_batch_as_written_without_asking_the_plan(self):
        def no_plan(*_):
            raise AssertionError("one process needs no plan")

        batch = apply_batch_plan(4, 3, 1, no_plan)
        self.assertEqual((batch.per_device_batch_size, batch.gradient_accumulation_steps, batch.effective_batch_size), (4, 3, 12))

    def test_several_processes_take_the_plans_split_and_keep_the_effective_batch(self):
        batch = apply_batch_plan(4, 2, 4, plan_batch)
        self.assertEqual((batch.per_device_batch_size, batch.gradient_accumulation_steps), (2, 1))
        self.assertEqual((batch.effective_batch_size, batch.requested_effective_batch_size), (8, 8))

    def test_a_split_the_plan_refuses_fails_with_the_plans_words(self):
        with self.assertRaises(TrainError) as caught:
            apply_batch_plan(3, 1, 2, plan_batch)
        self.assertEqual(caught.exception.code, "CONFIG_INVALID")
        self.assertIn("training.per_device_batch_size", caught.exception.message)
        self.assertIn("cannot be shared by 2 processes", caught.exception.message)

    def test_the_payload_has_exactly_the_fields_of_the_typescript_distributed_info(self):
        interface = re.search(r"export interface DistributedInfo \{(.*?)\n\}", JOB_EVENTS_TS.read_text(encoding="utf-8"), re.S)
        self.assertIsNotNone(interface)
        ts_fields = set(re.findall(r"^\s+(\w+)\??:", interface.group(1), re.M))
        rank = RankInfo(rank=0, local_rank=0, world_size=8, local_world_size=4, nodes=2)
        payload = distributed_payload(rank, "deepspeed_zero3", AppliedBatch(2, 1, 8, 16), "nccl")
        self.assertEqual(set(payload), ts_fields)
        self.assertEqual(payload, {"world_size": 8, "nodes": 2, "strategy": "deepspeed_zero3", "per_device_batch_size": 2,
                                   "gradient_accumulation_steps": 1, "effective_batch_size": 16,
                                   "requested_effective_batch_size": 16, "backend": "nccl"})

    def test_each_process_loads_the_model_on_its_own_gpu_unless_the_launcher_shards_it(self):
        second = RankInfo(rank=1, local_rank=1, world_size=2, local_world_size=2, nodes=1)
        self.assertEqual(model_device_map(None, second, True, False), {"": 1})
        self.assertEqual(model_device_map("deepspeed_zero2", second, True, False), {"": 1})
        self.assertEqual(model_device_map(None, RankInfo(), True, False), {"": 0})
        self.assertIsNone(model_device_map("fsdp", second, True, False))
        self.assertIsNone(model_device_map("deepspeed_zero3", second, True, False))
        self.assertEqual(model_device_map("fsdp", second, True, True), {"": 1})  # 4-bit weights quantize on a GPU
        self.assertIsNone(model_device_map(None, second, False, False))

    def test_under_zero3_from_pretrained_never_gets_a_device_map(self):
        # transformers raises "DeepSpeed Zero-3 is not compatible with passing a `device_map`", 4-bit or not.
        second = RankInfo(rank=1, local_rank=1, world_size=2, local_world_size=2, nodes=1)
        self.assertIsNone(model_device_map("deepspeed_zero3", second, True, True))

    def test_the_training_arguments_and_their_device_come_before_the_model_loads(self):
        # Building them registers DeepSpeed's ZeRO-3 config and reading their device starts torch.distributed: both
        # must precede from_pretrained, or each process materialises the whole model before it is sharded.
        source = inspect.getsource(trainer.run_training)
        body = ast.parse(textwrap.dedent(source)).body[0]
        order: list[tuple[int, str]] = []
        for node in ast.walk(body):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (
                    "training_arguments", "load_model"):
                order.append((node.lineno, node.func.id))
            if isinstance(node, ast.Attribute) and node.attr == "device" and isinstance(node.value, ast.Name) \
                    and node.value.id == "args":
                order.append((node.lineno, "args.device"))
        self.assertEqual([name for _, name in sorted(order)], ["training_arguments", "args.device", "load_model"])

    def test_the_strategy_the_launcher_set_up_is_read_from_its_variables(self):
        self.assertIsNone(launcher_strategy({}))
        self.assertEqual(launcher_strategy({"ACCELERATE_USE_FSDP": "true"}), "fsdp")
        self.assertEqual(launcher_strategy({"ACCELERATE_USE_DEEPSPEED": "true", "ACCELERATE_DEEPSPEED_ZERO_STAGE": "2"}), "deepspeed_zero2")
        config = temp_dir(self) / "deepspeed.json"
        config.write_text(json.dumps({"zero_optimization": {"stage": 3}}))
        self.assertEqual(launcher_strategy({"ACCELERATE_USE_DEEPSPEED": "true", "ACCELERATE_DEEPSPEED_CONFIG_FILE": str(config)}), "deepspeed_zero3")
        self.assertEqual(launcher_strategy({"ACCELERATE_USE_DEEPSPEED": "true"}), "deepspeed")
        self.assertEqual([weights_sharded(s) for s in ("deepspeed_zero3", "fsdp", "deepspeed_zero2", None)], [True, True, False, False])


class SimulatedCollective:
    """An all-reduce (MAX) over simulated processes: each process's call returns the maximum of every process's
    values at the same step, as dist.all_reduce does."""

    def __init__(self, values_by_rank):
        self.values_by_rank = values_by_rank
        self.calls = 0

    def reduce_max(self, values):
        self.calls += 1
        assert values in self.values_by_rank, values
        return [max(column) for column in zip(*self.values_by_rank)]


class AgreementTests(unittest.TestCase):
    def test_one_process_decides_alone(self):
        agreed = agree_on_requests(False, True, None)
        self.assertEqual((agreed.stop, agreed.checkpoint), (False, True))

    def test_a_stop_that_reached_one_process_stops_every_process_at_the_same_step(self):
        # Process 1 took the stop-now file (and removed it); process 0 saw a checkpoint-now request; process 2 nothing.
        local = [(False, True), (True, False), (False, False)]
        collective = SimulatedCollective([[int(stop), int(checkpoint)] for stop, checkpoint in local])
        decisions = [agree_on_requests(stop, checkpoint, collective.reduce_max) for stop, checkpoint in local]
        self.assertEqual({(d.stop, d.checkpoint) for d in decisions}, {(True, True)})
        self.assertEqual(collective.calls, 3)
        # Without the all-reduce the processes would part ways: one stops while the others wait for it forever.
        self.assertEqual(len({agree_on_requests(stop, checkpoint, None) for stop, checkpoint in local}), 3)

    def test_nothing_asked_anywhere_changes_nothing(self):
        collective = SimulatedCollective([[0, 0], [0, 0]])
        agreed = agree_on_requests(False, False, collective.reduce_max)
        self.assertEqual((agreed.stop, agreed.checkpoint), (False, False))

    def test_a_collective_that_answers_the_wrong_shape_is_an_error_not_a_guess(self):
        with self.assertRaises(ValueError):
            agree_on_requests(True, False, lambda values: values[:1])

    def test_no_collective_without_torch_distributed(self):
        if importlib.util.find_spec("torch") is None:
            self.assertIsNone(torch_all_reduce("max"))
        else:
            import torch.distributed as dist

            if not dist.is_initialized():
                self.assertIsNone(torch_all_reduce("max"))


def _gloo_worker(rank, port, local, results):
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=len(local))
    try:
        decisions = []
        for step_requests in local[rank]:
            agreed = agree_on_requests(step_requests[0], step_requests[1], torch_all_reduce("max"))
            decisions.append((agreed.stop, agreed.checkpoint))
        results.put((rank, decisions, torch_all_reduce("sum")([rank + 1])[0]))
    finally:
        dist.destroy_process_group()


@unittest.skipIf(importlib.util.find_spec("torch") is None,
                 "torch is not installed here (Debian's python3-torch): the two-process gloo agreement cannot run")
class GlooAgreementTests(unittest.TestCase):
    def test_two_processes_over_gloo_agree_at_every_step(self):
        import multiprocessing

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        # Per process, per step: (stop asked here, checkpoint asked here).
        local = [[(False, False), (False, True), (False, False)], [(False, False), (False, False), (True, False)]]
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        workers = [context.Process(target=_gloo_worker, args=(rank, port, local, results)) for rank in range(2)]
        for worker in workers:
            worker.start()
        try:
            answers = dict((rank, (decisions, total)) for rank, decisions, total in (results.get(timeout=120) for _ in workers))
        finally:
            for worker in workers:
                worker.join(timeout=30)
                if worker.is_alive():
                    worker.kill()
        expected = [(False, False), (False, True), (True, False)]
        self.assertEqual(answers[0], (expected, 3))
        self.assertEqual(answers[1], (expected, 3))


class SilentWriterTests(unittest.TestCase):
    def test_writes_no_events_and_sends_errors_to_stderr_and_the_hook(self):
        run = temp_dir(self)
        errors = io.StringIO()
        seen = []
        writer = SilentEventWriter(run, "process 2", errors=errors, on_error=seen.append)
        writer.emit("run", config={})
        writer.phase("training")
        writer.warning("PAD_TOKEN_CHANGED", "x")
        writer.error("OUT_OF_MEMORY", "CUDA out of memory", "lower the batch")
        writer.phase("failed", code="OUT_OF_MEMORY")
        writer.close()
        self.assertFalse((run / "events.jsonl").exists())
        self.assertEqual(errors.getvalue(), "process 2: OUT_OF_MEMORY: CUDA out of memory\n")
        self.assertEqual([(e["code"], e["message"]) for e in seen], [("OUT_OF_MEMORY", "CUDA out of memory")])


class MultiProcessJobTests(unittest.TestCase):
    """The real cli.main and run_job with the stand-in's run_training (as test/fixtures/jobs/standin_trainer.py runs
    them), under the variables accelerate launch sets."""

    def setUp(self):
        self.standin = load_standin()
        self.root = temp_dir(self)
        train = write_jsonl(self.root / "train.jsonl", [ROW] * 8)
        self.config = self.root / "config.json"
        self.config.write_text(json.dumps({"model": {"path": str(self.root / "model")}, "data": {"train": str(train)},
                                           "training": {"max_steps": 4, "per_device_batch_size": 4,
                                                        "gradient_accumulation_steps": 2, "save_steps": 2}}))
        self.run_dir = self.root / "run"
        clean = {name: value for name, value in os.environ.items() if name not in LAUNCHER_VARIABLES and not name.startswith("STANDIN_")}
        patches = [mock.patch.dict(os.environ, clean, clear=True),
                   mock.patch.object(trainer, "run_training", self.standin.standin_training)]
        for patch in patches:
            patch.start()
            self.addCleanup(patch.stop)
        os.environ["STANDIN_STEP_SECONDS"] = "0"

    def train(self, **env):
        os.environ.update({name: str(value) for name, value in env.items()})
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            code = cli.main(["train", "--config", str(self.config), "--run-dir", str(self.run_dir), "--quiet"])
        return code, stderr.getvalue()

    def events(self):
        return list(replay(self.run_dir / "events.jsonl"))

    def test_one_process_reports_distributed_with_world_size_one(self):
        code, _ = self.train()
        self.assertEqual(code, 0)
        run = self.events()[0]
        self.assertEqual(run["distributed"], {"world_size": 1, "nodes": 1, "strategy": "ddp", "per_device_batch_size": 4,
                                              "gradient_accumulation_steps": 2, "effective_batch_size": 8,
                                              "requested_effective_batch_size": 8, "backend": None})

    def test_the_first_of_four_processes_reports_the_plan_and_writes_the_events(self):
        code, _ = self.train(RANK=0, LOCAL_RANK=0, WORLD_SIZE=4, LOCAL_WORLD_SIZE=2, TORCHELASTIC_RUN_ID="launch-a")
        self.assertEqual(code, 0)
        events = self.events()
        distributed = events[0]["distributed"]
        self.assertEqual((distributed["world_size"], distributed["nodes"], distributed["per_device_batch_size"],
                          distributed["gradient_accumulation_steps"], distributed["effective_batch_size"],
                          distributed["requested_effective_batch_size"]), (4, 2, 2, 1, 8, 8))
        torch_here = importlib.util.find_spec("torch") is not None
        self.assertIn(distributed["backend"], ("nccl", "gloo") if torch_here else (None,))
        self.assertEqual(events[-1]["phase"], "done")
        self.assertTrue((self.run_dir / "adapter" / "adapter_config.json").is_file())

    def test_another_process_writes_no_events_checkpoints_or_adapter(self):
        code, stderr = self.train(RANK=1, LOCAL_RANK=1, WORLD_SIZE=2, LOCAL_WORLD_SIZE=2)
        self.assertEqual(code, 0)
        self.assertFalse((self.run_dir / "events.jsonl").exists())
        self.assertFalse((self.run_dir / "adapter").exists())
        self.assertFalse((self.run_dir / "checkpoints").exists())
        self.assertEqual(stderr, "")

    def test_another_processs_failure_reaches_stderr_and_the_first_process_reports_it(self):
        code, stderr = self.train(RANK=1, LOCAL_RANK=1, WORLD_SIZE=2, LOCAL_WORLD_SIZE=2, TORCHELASTIC_RUN_ID="launch-b",
                                  STANDIN_FAIL_AT=2)
        self.assertEqual(code, 2)
        self.assertIn("process 1: TRAINING_FAILED: RuntimeError: stand-in failure at step 2", stderr)
        self.assertFalse((self.run_dir / "events.jsonl").exists())
        self.assertTrue(failure_file(self.run_dir, 1).is_file())
        # The first process, still training (or waiting in a collective), gets the reason from its watcher.
        with mock.patch.dict(os.environ, {"TORCHELASTIC_RUN_ID": "launch-b"}):
            from chatwright_train.events import EventWriter

            exits = []
            with EventWriter(self.run_dir, echo=None) as events:
                def report(record):
                    code, message, action, extra = failure_event_fields(record)
                    events.error(code, message, action, **extra)

                watcher = RankFailureWatcher(self.run_dir, report, exit=exits.append)
                self.assertTrue(watcher.check_once())
        error = self.events()[-1]
        self.assertEqual((error["event"], error["code"], error["rank"]), ("error", "TRAINING_FAILED", 1))
        self.assertIn("process 1 failed: RuntimeError: stand-in failure at step 2", error["message"])
        self.assertIn("Traceback", error["traceback"])

    def test_when_both_fail_the_first_process_reports_the_other_ones_failure_once(self):
        rank = RankInfo(rank=1, local_rank=1, world_size=2, local_world_size=2, nodes=1)
        record_rank_failure(self.run_dir, rank, "OUT_OF_MEMORY", "CUDA out of memory", env={"TORCHELASTIC_RUN_ID": "launch-c"})
        # Process 0 then fails too (its collective lost its peer): the root cause is process 1's.
        code, _ = self.train(RANK=0, LOCAL_RANK=0, WORLD_SIZE=2, LOCAL_WORLD_SIZE=2, TORCHELASTIC_RUN_ID="launch-c", STANDIN_FAIL_AT=3)
        self.assertEqual(code, 2)
        terminal = [e for e in self.events() if e["event"] == "error" or e.get("phase") in ("failed", "done", "stopped")]
        self.assertEqual([(e["event"], e.get("code")) for e in terminal], [("error", "OUT_OF_MEMORY"), ("phase", "OUT_OF_MEMORY")])
        self.assertIn("process 1 failed: CUDA out of memory", terminal[0]["message"])

    def test_failure_files_of_an_earlier_launch_are_ignored(self):
        rank = RankInfo(rank=1, local_rank=1, world_size=2, local_world_size=2, nodes=1)
        record_rank_failure(self.run_dir, rank, "TRAINING_FAILED", "old", env={"TORCHELASTIC_RUN_ID": "earlier"})
        self.assertEqual([r["message"] for r in read_rank_failures(self.run_dir, "earlier", 0)], ["old"])
        self.assertEqual(read_rank_failures(self.run_dir, "now", 0), [])
        code, _ = self.train(RANK=0, LOCAL_RANK=0, WORLD_SIZE=2, LOCAL_WORLD_SIZE=2, TORCHELASTIC_RUN_ID="now")
        self.assertEqual(code, 0)
        self.assertEqual(self.events()[-1]["phase"], "done")

    def test_without_a_launch_id_a_failure_file_from_before_this_process_is_an_earlier_launchs(self):
        rank = RankInfo(rank=1, local_rank=1, world_size=2, local_world_size=2, nodes=1)
        path = record_rank_failure(self.run_dir, rank, "TRAINING_FAILED", "old", env={})
        stale = json.loads(path.read_text())
        path.write_text(json.dumps({**stale, "time": ranks.PROCESS_STARTED - 30}))
        self.assertFalse(RankFailureWatcher(self.run_dir, lambda record: None, env={}).check_once())
        record_rank_failure(self.run_dir, rank, "TRAINING_FAILED", "new", env={})
        seen = []
        self.assertTrue(RankFailureWatcher(self.run_dir, seen.append, env={}).check_once())
        self.assertEqual(seen[0]["message"], "new")

    def test_a_batch_the_processes_cannot_share_fails_before_training(self):
        self.config.write_text(json.dumps({"model": {"path": "m"}, "data": {"train": str(self.root / "train.jsonl")},
                                           "training": {"per_device_batch_size": 3, "gradient_accumulation_steps": 1}}))
        code, _ = self.train(RANK=0, LOCAL_RANK=0, WORLD_SIZE=2, LOCAL_WORLD_SIZE=2)
        self.assertEqual(code, 2)
        events = self.events()
        self.assertEqual([e["event"] for e in events], ["run", "error", "phase"])
        self.assertNotIn("distributed", events[0])
        self.assertEqual((events[1]["code"], events[2]["phase"]), ("CONFIG_INVALID", "failed"))

    def test_the_strategy_reported_is_the_job_targets_unless_the_launcher_set_up_another(self):
        raw = json.loads(self.config.read_text())
        self.config.write_text(json.dumps({**raw, "target": {"gpus": 2, "strategy": "deepspeed_zero3"}}))
        code, _ = self.train(RANK=0, LOCAL_RANK=0, WORLD_SIZE=2, LOCAL_WORLD_SIZE=2)
        self.assertEqual(code, 0)
        self.assertEqual(self.events()[0]["distributed"]["strategy"], "deepspeed_zero3")
        self.run_dir = self.root / "run-fsdp"
        code, _ = self.train(RANK=0, LOCAL_RANK=0, WORLD_SIZE=2, LOCAL_WORLD_SIZE=2, ACCELERATE_USE_FSDP="true")
        self.assertEqual(self.events()[0]["distributed"]["strategy"], "fsdp")

    def test_launcher_variables_that_do_not_add_up_fail_with_an_event(self):
        code, _ = self.train(RANK=5, WORLD_SIZE=2)
        self.assertEqual(code, 2)
        self.assertEqual([(e["event"], e.get("code")) for e in self.events()], [("error", "DISTRIBUTED_ENV_INVALID"), ("phase", "DISTRIBUTED_ENV_INVALID")])

    def test_a_stop_file_taken_by_any_process_stops_it_with_a_save(self):
        (self.run_dir).mkdir()
        (self.run_dir / "stop-now").write_text("")
        code, _ = self.train(RANK=0, LOCAL_RANK=0, WORLD_SIZE=2, LOCAL_WORLD_SIZE=2)
        self.assertEqual(code, 3)
        events = self.events()
        self.assertEqual([e["reason"] for e in events if e["event"] == "checkpoint"], ["stop"])
        self.assertEqual(events[-1]["phase"], "stopped")


if __name__ == "__main__":
    sys.exit(unittest.main())
