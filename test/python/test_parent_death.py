"""A worker of torch's elastic launcher dies with the launcher (PR_SET_PDEATHSIG): when it is armed, and a real
launcher process SIGKILLed with its worker in a session of its own, as torch starts workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import unittest
from pathlib import Path

from chatwright_train import ranks
from chatwright_train.parent_death import PR_SET_PDEATHSIG
from chatwright_train.ranks import die_with_launcher, under_elastic_launcher

from support import alive, kill_quietly, temp_dir

PYTHON_DIR = Path(__file__).resolve().parents[2] / "python"
ELASTIC = {"TORCHELASTIC_RUN_ID": "none"}  # what torchrun sets when no --rdzv-id was given


class FakePrctl:
    def __init__(self, result: int = 0) -> None:
        self.calls: list[tuple[int, ...]] = []
        self.result = result

    def __call__(self, *args: int) -> int:
        self.calls.append(args)
        return self.result


class DecisionTests(unittest.TestCase):
    def test_only_a_worker_of_the_elastic_launcher_is_tied_to_its_parent(self):
        self.assertTrue(under_elastic_launcher(ELASTIC))
        self.assertTrue(under_elastic_launcher({"TORCHELASTIC_RUN_ID": "1f2e", "RANK": "1", "WORLD_SIZE": "2"}))
        # One process (today's command line), and srun starting processes itself: no elastic agent in between.
        self.assertFalse(under_elastic_launcher({}))
        self.assertFalse(under_elastic_launcher({"RANK": "0", "WORLD_SIZE": "2", "SLURM_JOB_ID": "7"}))

    def test_without_the_launcher_nothing_is_armed(self):
        prctl = FakePrctl()
        self.assertEqual(die_with_launcher({}, prctl), "not-launched")
        self.assertEqual(prctl.calls, [])

    def test_under_the_launcher_the_kill_signal_is_asked_for(self):
        prctl = FakePrctl()
        self.assertEqual(die_with_launcher(ELASTIC, prctl, expected_parent=os.getppid()), "armed")
        self.assertEqual(prctl.calls, [(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)])

    def test_a_launcher_gone_before_the_call_ends_the_worker(self):
        with self.assertRaises(SystemExit) as raised:
            die_with_launcher(ELASTIC, FakePrctl(), expected_parent=os.getppid() + 100000)
        self.assertIn("launcher", str(raised.exception.code))

    def test_a_system_without_prctl_or_refusing_it_goes_on_unarmed(self):
        self.assertEqual(die_with_launcher(ELASTIC, None), "unsupported")
        self.assertEqual(die_with_launcher(ELASTIC, FakePrctl(result=-1), expected_parent=os.getppid()),
                         "unsupported")

    def test_the_parent_compared_is_the_one_seen_at_import(self):
        self.assertEqual(ranks.PARENT_AT_START, os.getppid())


# The launcher: starts one worker in a session of its own (as torch's elastic agent does), prints the worker's pid,
# and waits. The worker arms itself (or not) and sleeps.
LAUNCHER = textwrap.dedent("""
    import subprocess, sys, time
    worker = subprocess.Popen([sys.executable, "-c", sys.argv[1]], start_new_session=True)
    print(worker.pid, flush=True)
    time.sleep(120)
""")
WORKER = textwrap.dedent("""
    import os, sys, time
    from chatwright_train.ranks import die_with_launcher
    env = {"TORCHELASTIC_RUN_ID": "none"} if os.environ["ARM"] == "1" else {}
    open(os.environ["READY"] + ".tmp", "w").write(die_with_launcher(env))
    os.replace(os.environ["READY"] + ".tmp", os.environ["READY"])
    time.sleep(120)
""")


@unittest.skipUnless(sys.platform.startswith("linux"), "PR_SET_PDEATHSIG is Linux's")
class LauncherKilledTests(unittest.TestCase):
    def start(self, arm: bool) -> tuple[subprocess.Popen[str], int]:
        ready = temp_dir(self) / "ready"
        env = {**os.environ, "PYTHONPATH": str(PYTHON_DIR), "ARM": "1" if arm else "0", "READY": str(ready)}
        launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER, WORKER], env=env, stdout=subprocess.PIPE,
                                    text=True)
        self.addCleanup(launcher.wait)
        self.addCleanup(kill_quietly, launcher.pid)
        assert launcher.stdout is not None
        worker = int(launcher.stdout.readline())
        launcher.stdout.close()
        self.addCleanup(kill_quietly, worker)
        deadline = time.monotonic() + 30
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertTrue(ready.exists(), "the worker did not start")
        self.assertEqual(ready.read_text(), "armed" if arm else "not-launched")
        return launcher, worker

    def wait_gone(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        return not alive(pid)

    def test_an_armed_worker_dies_when_its_launcher_is_killed(self):
        launcher, worker = self.start(arm=True)
        os.kill(launcher.pid, signal.SIGKILL)
        launcher.wait(10)
        self.assertTrue(self.wait_gone(worker, 10))

    def test_an_unarmed_worker_outlives_its_launcher(self):
        # What the arming prevents: the worker, in a session of its own, runs on after the launcher is gone.
        launcher, worker = self.start(arm=False)
        os.kill(launcher.pid, signal.SIGKILL)
        launcher.wait(10)
        self.assertFalse(self.wait_gone(worker, 1))


if __name__ == "__main__":
    unittest.main()
