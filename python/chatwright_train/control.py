"""Requests from outside a running job: stop-and-save (SIGINT/SIGTERM, or a file named `stop-now` in the run
folder; a second SIGINT aborts at once) and a checkpoint on demand (SIGUSR1, or a file named `checkpoint-now`).
The files work where signals cannot be sent to a child process (Windows) and where a signal would reach only some
of the processes. The Trainer callback calls `take_checkpoint_request()` and `poll_stop()` after every optimizer step
(with several processes, ranks.py's all-reduce makes every process take the same decision at the same step).

Signals under several processes (`accelerate launch`, torch's elastic agent): the agent forwards the SIGINT or
SIGTERM it receives to every worker, and a Slurm `scancel --signal=INT` reaches every process of the step, so a
worker may get one SIGINT twice within milliseconds. With WORLD_SIZE > 1 a second SIGINT within
DUPLICATE_SIGINT_SECONDS of the first is taken for the same request; a cancel's second interrupt comes later (the
runner spaces them at least 3 s apart for multi-process runs). The agent SIGKILLs workers that have not exited about
30 s after it forwarded the signal, so stop-and-save goes through the `stop-now` file instead (every rank agrees on
it by all-reduce), and the time limit's trap in the batch script creates that file too."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

CHECKPOINT_NOW_FILE = "checkpoint-now"
STOP_NOW_FILE = "stop-now"
# Two SIGINTs closer than this in a multi-process run are one request delivered twice (see above).
DUPLICATE_SIGINT_SECONDS = 2.0


class JobControl:
    def __init__(self, run_dir: Path | str, world_size: int = 1, clock: Callable[[], float] = time.monotonic) -> None:
        self.run_dir = Path(run_dir)
        self.stop_requested = False
        self.stop_reason = ""
        self.world_size = world_size
        self._clock = clock
        self._first_sigint_at: float | None = None
        self._checkpoint_signalled = False
        self._previous: dict[int, object] = {}

    def install_signal_handlers(self) -> None:
        for name in ("SIGINT", "SIGTERM", "SIGUSR1"):
            number = getattr(signal, name, None)
            if number is not None:
                self._previous[number] = signal.signal(number, self._on_signal)

    def restore_signal_handlers(self) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)  # type: ignore[arg-type]
        self._previous.clear()

    def _on_signal(self, number: int, _frame: FrameType | None) -> None:
        if number == getattr(signal, "SIGUSR1", None):
            self._checkpoint_signalled = True
            return
        if number == signal.SIGINT:
            now = self._clock()
            first = self._first_sigint_at
            if first is None:
                self._first_sigint_at = now
            elif self.world_size > 1 and now - first < DUPLICATE_SIGINT_SECONDS:
                return  # the same interrupt, once from the scheduler and once relayed by the launcher's agent
            if self.stop_requested:
                raise KeyboardInterrupt
        self.request_stop(signal.Signals(number).name)

    def request_stop(self, reason: str) -> None:
        self.stop_requested = True
        self.stop_reason = reason

    def poll_stop(self) -> bool:
        """True once a stop was asked for, by signal or by the `stop-now` file (removed when taken)."""
        marker = self.run_dir / STOP_NOW_FILE
        if not self.stop_requested and marker.exists():
            try:
                marker.unlink()
            except OSError:
                pass
            self.request_stop("stop-now file")
        return self.stop_requested

    def take_checkpoint_request(self) -> str | None:
        """'signal' or 'file' once per request, else None. The file is removed so it asks only once."""
        if self._checkpoint_signalled:
            self._checkpoint_signalled = False
            return "signal"
        marker = self.run_dir / CHECKPOINT_NOW_FILE
        if marker.exists():
            try:
                marker.unlink()
            except OSError:
                pass
            return "file"
        return None
