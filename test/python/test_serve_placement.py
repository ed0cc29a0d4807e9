"""The GPU server on several GPUs and on a compute node: `--tensor-parallel-size` (vLLM's flag; the transformers
engine splits the layers instead and says so), and the `serving` event's `node` when listening on every interface."""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import stat
import sys
import unittest
from pathlib import Path

from chatwright_serve.cli import parser
from chatwright_serve.placement import parallelism_description, placement_fields, serving_node, transformers_gpus
from chatwright_serve.vllm_launch import vllm_command
from chatwright_train.errors import TrainError

from serve_process import ServeProcess, read_events
from support import temp_dir

HERE = Path(__file__).resolve().parent


class NodeNameTests(unittest.TestCase):
    def test_listening_everywhere_names_this_machine_fully_qualified_when_it_resolves(self):
        for host in ("0.0.0.0", "::", "[::]"):
            self.assertEqual(serving_node(host, lambda: "gpu-node-07", lambda name: f"{name}.cluster.example"),
                             "gpu-node-07.cluster.example")

    def test_the_short_name_when_the_name_does_not_resolve(self):
        self.assertEqual(serving_node("0.0.0.0", lambda: "gpu-node-07", lambda name: name), "gpu-node-07")
        self.assertEqual(serving_node("0.0.0.0", lambda: "gpu-node-07", lambda name: "localhost.localdomain"), "gpu-node-07")

        def broken(_):
            raise OSError("resolver down")

        self.assertEqual(serving_node("0.0.0.0", lambda: "gpu-node-07", broken), "gpu-node-07")

    def test_no_node_when_the_host_is_an_address_already(self):
        for host in ("127.0.0.1", "::1", "10.1.2.3", "gpu-node-07"):
            self.assertIsNone(serving_node(host, lambda: "gpu-node-07", lambda name: name + ".x"))

    def test_the_real_machine_name(self):
        self.assertIn(serving_node("0.0.0.0"), (socket.getfqdn(socket.gethostname()), socket.gethostname()))


class ParallelismTests(unittest.TestCase):
    def test_the_flag_defaults_to_one_and_refuses_zero(self):
        self.assertEqual(parser().parse_args(["--model", "m"]).tensor_parallel_size, 1)
        self.assertEqual(parser().parse_args(["--model", "m", "--tensor-parallel-size", "4"]).tensor_parallel_size, 4)
        for bad in ("0", "-2", "two"):
            with self.subTest(bad=bad), self.assertRaises(SystemExit), contextlib.redirect_stderr(io.StringIO()):
                parser().parse_args(["--model", "m", "--tensor-parallel-size", bad])

    def test_vllm_gets_the_flag_only_beyond_one_gpu(self):
        self.assertNotIn("--tensor-parallel-size", vllm_command("vllm", "m", "127.0.0.1", 1, [], tensor_parallel_size=1))
        command = vllm_command("vllm", "m", "127.0.0.1", 1, [], tensor_parallel_size=4)
        self.assertEqual(command[command.index("--tensor-parallel-size") + 1], "4")

    def test_the_transformers_engine_says_it_splits_layers_not_tensors(self):
        self.assertIsNone(parallelism_description("transformers", 1))
        words = parallelism_description("transformers", 2)
        self.assertIn("layers split over 2 GPUs", words)
        self.assertIn("no tensor parallelism", words)
        self.assertIn("tensor parallelism over 2 GPUs", parallelism_description("vllm", 2))

    def test_the_transformers_engine_takes_the_first_n_gpus_and_refuses_too_few(self):
        self.assertEqual(transformers_gpus(1, "auto", 0), [])
        self.assertEqual(transformers_gpus(2, "auto", 4), [0, 1])
        with self.assertRaises(TrainError) as caught:
            transformers_gpus(4, "auto", 2)
        self.assertIn("only 2 CUDA GPU(s) are visible", caught.exception.message)
        with self.assertRaises(TrainError):
            transformers_gpus(2, "cpu", 4)

    def test_event_fields(self):
        self.assertEqual(placement_fields("transformers", "127.0.0.1", 1, lambda host: None), {"tensor_parallel_size": 1})
        fields = placement_fields("vllm", "0.0.0.0", 2, lambda host: "node-3")
        self.assertEqual((fields["tensor_parallel_size"], fields["node"]), (2, "node-3"))
        self.assertIn("vLLM", fields["parallelism"])


class ServingEventTests(unittest.TestCase):
    def setUp(self):
        self.work = temp_dir(self)
        self.run_dir = self.work / "run"

    def test_a_server_on_every_interface_names_its_node_in_the_serving_event(self):
        server = ServeProcess(self, ["--engine", "standin", "--model", "m", "--host", "0.0.0.0", "--port", "0",
                                     "--tensor-parallel-size", "2", "--run-dir", str(self.run_dir)],
                              {"CHATWRIGHT_SERVE_API_KEY": "k"})
        server.ready()
        self.assertEqual(server.interrupt(), 0)
        serving = next(e for e in read_events(self.run_dir) if e["event"] == "serving")
        self.assertEqual(serving["node"], serving_node("0.0.0.0"))
        self.assertEqual(serving["tensor_parallel_size"], 2)

    def test_a_loopback_server_has_no_node(self):
        server = ServeProcess(self, ["--engine", "standin", "--model", "m", "--port", "0", "--run-dir", str(self.run_dir)])
        server.ready()
        self.assertEqual(server.interrupt(), 0)
        serving = next(e for e in read_events(self.run_dir) if e["event"] == "serving")
        self.assertNotIn("node", serving)
        self.assertNotIn("parallelism", serving)
        self.assertEqual(serving["tensor_parallel_size"], 1)

    def test_vllm_is_launched_with_tensor_parallelism_and_the_event_says_so(self):
        bin_dir = self.work / "bin"
        bin_dir.mkdir()
        fake = bin_dir / "vllm"
        fake.write_text(f"#!/bin/sh\nexec '{sys.executable}' '{HERE / 'fake_vllm.py'}' \"$@\"\n")
        fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
        record = self.work / "argv.json"
        server = ServeProcess(self, ["--engine", "vllm", "--model", "org/base-model", "--host", "0.0.0.0", "--port", "0",
                                     "--tensor-parallel-size", "4", "--run-dir", str(self.run_dir)],
                              {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "FAKE_VLLM_RECORD": str(record),
                               "CHATWRIGHT_SERVE_API_KEY": "k"})
        server.ready()
        argv = json.loads(record.read_text())["argv"]
        self.assertEqual(argv[argv.index("--tensor-parallel-size") + 1], "4")
        self.assertEqual(server.interrupt(), 0)
        serving = next(e for e in read_events(self.run_dir) if e["event"] == "serving")
        self.assertEqual((serving["engine"], serving["tensor_parallel_size"], serving["node"]), ("vllm", 4, serving_node("0.0.0.0")))
        self.assertIn("tensor parallelism over 4 GPUs", serving["parallelism"])


if __name__ == "__main__":
    unittest.main()
