"""`python -m chatwright_serve` as a child process for tests: started with PYTHONPATH=python, its ready line read
from stdout, its events read from the run folder, stopped by signal and always reaped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import unittest
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


class ServeProcess:
    def __init__(self, test: unittest.TestCase, args: list[str], env: dict[str, str] | None = None) -> None:
        # A key in the tests' own environment must not leak into a server that a test starts without one.
        inherited = {k: v for k, v in os.environ.items() if k != "CHATWRIGHT_SERVE_API_KEY"}
        environment = {**inherited, "PYTHONPATH": str(REPO / "python"), "PYTHONDONTWRITEBYTECODE": "1",
                       "PYTHONUNBUFFERED": "1", **(env or {})}
        self.process = subprocess.Popen([sys.executable, "-m", "chatwright_serve", *args], stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, env=environment, start_new_session=True)
        test.addCleanup(self.kill)

    def ready(self) -> dict[str, Any]:
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line:
            self.process.wait(30)
            raise AssertionError(f"no ready line; exit {self.process.returncode}; stderr: {self.stderr()}")
        return json.loads(line)

    def stderr(self) -> str:
        return self.process.stderr.read() if self.process.stderr and self.process.poll() is not None else ""

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(30)

    def wait(self) -> int:
        return self.process.wait(60)

    def kill(self) -> None:
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream:
                stream.close()


def read_events(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
