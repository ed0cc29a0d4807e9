"""The `stop-now` file as a stop request: on Windows the job runner cannot send a child SIGINT, so it creates
RUN/stop-now instead (as for the trainer, chatwright_train.control). A server polls for it once a second and stops as
on SIGINT."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from chatwright_train.control import STOP_NOW_FILE

POLL_SECONDS = 1.0


def watch_stop_file(run_dir: str | None, on_stop: Callable[[], None], done: threading.Event) -> None:
    """Calls `on_stop` once when RUN/stop-now appears (removing it), on a daemon thread that ends with `done`.
    Nothing to watch without a run folder."""
    if not run_dir:
        return
    marker = Path(run_dir) / STOP_NOW_FILE

    def poll() -> None:
        while not done.wait(POLL_SECONDS):
            if marker.exists():
                try:
                    marker.unlink()
                except OSError:
                    pass
                on_stop()
                return

    threading.Thread(target=poll, name="chatwright-stop-file", daemon=True).start()
