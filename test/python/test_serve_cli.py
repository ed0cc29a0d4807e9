"""`python -m chatwright_serve` as a process: the ready line, the events in the run folder, SIGINT -> phase stopped
(exit 0), and each startup failure as an `error` event with its code and `phase failed` (exit 2)."""

from __future__ import annotations

import http.client
import importlib.util
import json
import socket
import unittest

from serve_process import ServeProcess, read_events
from serve_support import write_adapter
from support import temp_dir


class ServeCliTests(unittest.TestCase):
    def setUp(self):
        self.work = temp_dir(self)
        self.run_dir = self.work / "run"

    def start(self, *args: str, env: dict[str, str] | None = None) -> ServeProcess:
        return ServeProcess(self, ["--engine", "standin", "--model", "org/base-model", "--port", "0", "--run-dir",
                                   str(self.run_dir), *args], env)

    def test_ready_line_serving_event_stats_and_sigint_stop(self):
        server = self.start()
        ready = server.ready()
        self.assertEqual(ready["url"], f"http://127.0.0.1:{ready['port']}/v1")
        connection = http.client.HTTPConnection("127.0.0.1", ready["port"], timeout=20)
        connection.request("POST", "/v1/chat/completions", json.dumps({"model": "org/base-model", "max_tokens": 3,
                                                                       "messages": [{"role": "user", "content": "x"}]}))
        self.assertEqual(connection.getresponse().status, 200)
        connection.close()
        self.assertEqual(server.interrupt(), 0)
        events = read_events(self.run_dir)
        self.assertEqual([e["seq"] for e in events], list(range(1, len(events) + 1)))
        self.assertEqual((events[0]["phase"], events[0]["model"]), ("loading_model", "org/base-model"))
        serving = events[1]
        self.assertEqual((serving["event"], serving["engine"], serving["port"], serving["api_key_required"]),
                         ("serving", "standin", ready["port"], False))
        self.assertEqual(serving["models"], [{"id": "org/base-model", "parent": None}])
        self.assertIn("static batching", serving["batching"])
        stats = [e for e in events if e["event"] == "serving_stats"]
        self.assertEqual((stats[-1]["requests"], stats[-1]["completion_tokens"]), (1, 3))
        self.assertEqual((events[-1]["event"], events[-1]["phase"]), ("phase", "stopped"))

    def test_the_stop_now_file_stops_the_server_as_sigint_does(self):
        server = self.start()
        server.ready()
        (self.run_dir / "stop-now").write_text("")  # what the job runner writes on Windows
        self.assertEqual(server.wait(), 0)
        self.assertEqual(read_events(self.run_dir)[-1]["phase"], "stopped")
        self.assertFalse((self.run_dir / "stop-now").exists())

    def test_a_taken_port_is_port_in_use(self):
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            server = ServeProcess(self, ["--engine", "standin", "--model", "m", "--port",
                                         str(taken.getsockname()[1]), "--run-dir", str(self.run_dir)])
            self.assertEqual(server.wait(), 2)
        events = read_events(self.run_dir)
        self.assertEqual((events[-2]["event"], events[-2]["code"]), ("error", "PORT_IN_USE"))
        self.assertEqual((events[-1]["phase"], events[-1]["code"]), ("failed", "PORT_IN_USE"))

    def test_beyond_loopback_without_a_key_is_refused(self):
        server = ServeProcess(self, ["--engine", "standin", "--model", "m", "--host", "0.0.0.0", "--run-dir",
                                     str(self.run_dir)])
        self.assertEqual(server.wait(), 2)
        self.assertEqual(read_events(self.run_dir)[-2]["code"], "API_KEY_REQUIRED")

    def test_a_bad_adapter_on_the_command_line_is_adapter_invalid(self):
        adapter = write_adapter(self.work / "tuned", base="org/another-model")
        server = self.start("--adapter", f"tuned={adapter}")
        self.assertEqual(server.wait(), 2)
        error = read_events(self.run_dir)[-2]
        self.assertEqual(error["code"], "ADAPTER_INVALID")
        self.assertIn("org/another-model", error["message"])
        self.assertIn("adapter", error["action"])

    def test_known_adapters_are_listed_in_the_serving_event(self):
        adapter = write_adapter(self.work / "tuned", base="org/base-model")
        server = self.start("--adapter", f"tuned={adapter}")
        server.ready()
        server.interrupt()
        serving = read_events(self.run_dir)[1]
        self.assertEqual(serving["models"], [{"id": "org/base-model", "parent": None},
                                             {"id": "tuned", "parent": "org/base-model"}])

    @unittest.skipIf(importlib.util.find_spec("torch") is not None, "torch is installed here")
    def test_the_transformers_engine_without_its_packages_is_packages_missing_with_the_command(self):
        server = ServeProcess(self, ["--engine", "transformers", "--model", "m", "--port", "0", "--run-dir",
                                     str(self.run_dir)])
        self.assertEqual(server.wait(), 2)
        error = read_events(self.run_dir)[-2]
        self.assertEqual(error["code"], "PACKAGES_MISSING")
        self.assertIn("pip install", error["install_command"])
        self.assertIn("torch", error["install_command"])


if __name__ == "__main__":
    unittest.main()
