"""The vLLM launcher: the command it builds, and a real launch of a fake `vllm` executable (which serves the
stand-in) so the health wait, the key in the environment, the events and the signal relay are exercised."""

from __future__ import annotations

import http.client
import json
import os
import signal
import stat
import sys
import unittest
from pathlib import Path

from chatwright_serve.adapters import AdapterInvalid
from chatwright_serve.vllm_launch import max_lora_rank, vllm_command, vllm_environment

from serve_process import ServeProcess, read_events
from serve_support import wait_until, write_adapter
from support import alive, kill_quietly, temp_dir

HERE = Path(__file__).resolve().parent
# The job runner's stop: SIGINT, SIGTERM 10 s later, SIGKILL about 10 s after that (src/core/jobs/jobRunner.ts).
RUNNER_SIGKILL_SECONDS = 20


class CommandTests(unittest.TestCase):
    def test_max_lora_rank_is_the_smallest_supported_rank_holding_every_adapter(self):
        self.assertEqual(max_lora_rank([4]), 8)
        self.assertEqual(max_lora_rank([16, 8]), 16)
        self.assertEqual(max_lora_rank([17]), 32)
        self.assertEqual(max_lora_rank([300, 2]), 320)
        self.assertEqual(max_lora_rank([512]), 512)
        with self.assertRaises(AdapterInvalid):
            max_lora_rank([513])

    def test_the_command_lists_adapters_as_lora_modules_with_the_rank(self):
        command = vllm_command("/bin/vllm", "org/m", "127.0.0.1", 9000, [("a", "/runs/a", 8), ("b", "/runs/b", 64)])
        self.assertEqual(command, ["/bin/vllm", "serve", "org/m", "--host", "127.0.0.1", "--port", "9000",
                                   "--allowed-origins", "[]", "--enable-lora", "--lora-modules", "a=/runs/a", "b=/runs/b", "--max-lora-rank",
                                   "64"])

    def test_without_adapters_no_lora_flags_and_optional_name_and_seqs(self):
        command = vllm_command("vllm", "m", "::1", 1, [], served_model_name="base", max_num_seqs=4)
        self.assertEqual(command, ["vllm", "serve", "m", "--host", "::1", "--port", "1", "--allowed-origins", "[]",
                                   "--served-model-name",
                                   "base", "--max-num-seqs", "4"])

    def test_the_key_goes_in_the_environment_never_in_argv(self):
        self.assertEqual(vllm_environment("k", {"PATH": "/bin"}), {"PATH": "/bin", "VLLM_API_KEY": "k"})
        self.assertEqual(vllm_environment(None, {"VLLM_API_KEY": "inherited"}), {})


class LaunchTests(unittest.TestCase):
    def setUp(self):
        self.work = temp_dir(self)
        bin_dir = self.work / "bin"
        bin_dir.mkdir()
        fake = bin_dir / "vllm"
        fake.write_text(f"#!/bin/sh\nexec '{sys.executable}' '{HERE / 'fake_vllm.py'}' \"$@\"\n")
        fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
        self.record = self.work / "argv.json"
        self.env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "FAKE_VLLM_RECORD": str(self.record)}
        self.adapter = write_adapter(self.work / "tuned", base="org/base-model", r=12)

    def test_launch_waits_for_health_serves_adapters_and_stops_on_sigint(self):
        run = self.work / "run"
        server = ServeProcess(self, ["--engine", "vllm", "--model", "org/base-model", "--adapter",
                                     f"tuned={self.adapter}", "--port", "0", "--run-dir", str(run)],
                              {**self.env, "CHATWRIGHT_SERVE_API_KEY": "sekrit"})
        ready = server.ready()
        self.assertEqual(ready["engine"], "vllm")
        recorded = json.loads(self.record.read_text())
        self.assertEqual(recorded["api_key"], "sekrit")  # on loopback too: vLLM has no Host-header check
        # vLLM's CORS default lets any web page read its answers; the JSON list must reach its flag as one argument.
        self.assertEqual(json.loads(recorded["argv"][recorded["argv"].index("--allowed-origins") + 1]), [])
        self.assertNotIn("sekrit", " ".join(recorded["argv"]))
        self.assertEqual(recorded["argv"][recorded["argv"].index("--max-lora-rank") + 1], "16")
        self.assertIn(f"tuned={self.adapter}", recorded["argv"])
        connection = http.client.HTTPConnection("127.0.0.1", ready["port"], timeout=20)
        connection.request("POST", "/v1/chat/completions", json.dumps({"model": "tuned", "messages": [
            {"role": "user", "content": "hi"}]}), {"Authorization": "Bearer sekrit"})
        response = connection.getresponse()
        self.assertEqual(response.status, 200)
        self.assertEqual(json.loads(response.read())["model"], "tuned")
        connection.close()
        self.assertEqual(server.interrupt(), 0)
        events = read_events(run)
        kinds = [(e["event"], e.get("phase")) for e in events]
        self.assertEqual(kinds, [("phase", "loading_model"), ("serving", None), ("phase", "stopped")])
        serving = events[1]
        self.assertEqual((serving["engine"], serving["api_key_required"], serving["url"]),
                         ("vllm", True, ready["url"]))
        self.assertEqual({m["id"]: m["parent"] for m in serving["models"]},
                         {"org/base-model": None, "tuned": "org/base-model"})
        with self.assertRaises(OSError):  # the child (the fake vLLM) is gone too
            http.client.HTTPConnection("127.0.0.1", ready["port"], timeout=2).request("GET", "/health")

    def test_a_vllm_ignoring_sigint_is_killed_before_the_job_runner_would_kill_us(self):
        run = self.work / "run"
        server = ServeProcess(self, ["--engine", "vllm", "--model", "org/base-model", "--port", "0", "--run-dir",
                                     str(run)], {**self.env, "FAKE_VLLM_STUBBORN": "1"})
        server.ready()
        vllm_pid = json.loads(self.record.read_text())["pid"]
        self.addCleanup(kill_quietly, vllm_pid)
        server.process.send_signal(signal.SIGINT)
        # The runner SIGKILLs our group (not vLLM's) about 20 s after its SIGINT: we must be gone, vLLM with us.
        self.assertEqual(server.process.wait(RUNNER_SIGKILL_SECONDS), 0)
        self.assertFalse(alive(vllm_pid))
        self.assertEqual(read_events(run)[-1]["phase"], "stopped")

    @unittest.skipUnless(sys.platform.startswith("linux"), "PR_SET_PDEATHSIG is Linux's")
    def test_vllm_dies_when_the_launcher_is_killed(self):
        server = ServeProcess(self, ["--engine", "vllm", "--model", "org/base-model", "--port", "0"],
                              {**self.env, "FAKE_VLLM_STUBBORN": "1"})
        server.ready()
        vllm_pid = json.loads(self.record.read_text())["pid"]
        self.addCleanup(kill_quietly, vllm_pid)
        os.kill(server.process.pid, signal.SIGKILL)  # the launcher only: vLLM is in a process group of its own
        server.process.wait(10)
        self.assertTrue(wait_until(lambda: not alive(vllm_pid)))

    def test_the_stop_now_file_stops_vllm_as_sigint_does(self):
        run = self.work / "run"
        server = ServeProcess(self, ["--engine", "vllm", "--model", "org/base-model", "--port", "0", "--run-dir",
                                     str(run)], self.env)
        ready = server.ready()
        (run / "stop-now").write_text("")  # what the job runner writes on Windows
        self.assertEqual(server.wait(), 0)
        self.assertEqual(read_events(run)[-1]["phase"], "stopped")
        with self.assertRaises(OSError):  # the child (the fake vLLM) is gone too
            http.client.HTTPConnection("127.0.0.1", ready["port"], timeout=2).request("GET", "/health")

    def test_a_vllm_that_exits_before_health_fails_with_engine_failed(self):
        run = self.work / "run"
        server = ServeProcess(self, ["--engine", "vllm", "--model", "org/base-model", "--port", "0", "--run-dir",
                                     str(run)], {**self.env, "FAKE_VLLM_EXIT": "3"})
        self.assertEqual(server.wait(), 2)
        events = read_events(run)
        self.assertEqual(events[-2]["code"], "ENGINE_FAILED")
        self.assertIn("exited with code 3", events[-2]["message"])
        self.assertEqual((events[-1]["phase"], events[-1]["code"]), ("failed", "ENGINE_FAILED"))

    def test_an_adapter_of_another_base_fails_before_launching(self):
        run = self.work / "run"
        server = ServeProcess(self, ["--engine", "vllm", "--model", "org/other", "--adapter", f"t={self.adapter}",
                                     "--run-dir", str(run)], self.env)
        self.assertEqual(server.wait(), 2)
        self.assertEqual(read_events(run)[-2]["code"], "ADAPTER_INVALID")
        self.assertFalse(self.record.exists())


if __name__ == "__main__":
    unittest.main()
