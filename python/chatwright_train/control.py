"""Requests from outside a running job: stop-and-save (SIGINT/SIGTERM, or a file named `stop-now` in the run
folder; a second SIGINT aborts at once) and a checkpoint on demand (SIGUSR1, or a file named `checkpoint-now`).
The files work where signals cannot be sent to a child process (Windows). The Trainer callback calls
`take_checkpoint_request()` and `poll_stop()` after every optimizer step."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType

CHECKPOINT_NOW_FILE = "checkpoint-now"
STOP_NOW_FILE = "stop-now"


class JobControl:
    def __init__(self, run_dir: Path | str) -> None:
        self.run_dir = Path(run_dir)
        self.stop_requested = False
        self.stop_reason = ""
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
        if self.stop_requested and number == signal.SIGINT:
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
