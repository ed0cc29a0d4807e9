"""Events as JSON lines: appended to `<run dir>/events.jsonl` (so a viewer can reconnect and replay) and echoed
on stdout. The schema is documented in python/README.md ("Events"); `seq` counts across restarts of the same run
dir so a reader can resume from the last `seq` it saw."""

from __future__ import annotations

import json
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from . import EVENT_PROTOCOL_VERSION

EVENTS_FILE_NAME = "events.jsonl"
PHASES = ("probing", "loading_model", "preparing_data", "training", "saving", "merging", "serving", "done", "failed",
          "stopped")
TERMINAL_PHASES = ("done", "failed", "stopped")


def _json_safe(value: Any) -> Any:
    """NaN/inf are not JSON: they become null with the reason kept by the caller's field name."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


class EventWriter:
    def __init__(self, run_dir: Path | str, echo: TextIO | None = sys.stdout) -> None:
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.run_dir / EVENTS_FILE_NAME
        self._echo = echo
        self._lock = threading.Lock()
        self._seq = self._last_seq_on_disk()
        # "a" + one write per line: each line lands whole even if a viewer reads concurrently.
        self._file = open(self.path, "a", encoding="utf-8")

    def _last_seq_on_disk(self) -> int:
        last = 0
        for event in replay(self.path):
            if isinstance(event.get("seq"), int):
                last = max(last, event["seq"])
        return last

    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        with self._lock:
            self._seq += 1
            record = {"v": EVENT_PROTOCOL_VERSION, "seq": self._seq, "time": round(time.time(), 3), "event": event}
            record.update(_json_safe(fields))
            line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=str)
            self._file.write(line + "\n")
            self._file.flush()
            if self._echo is not None:
                self._echo.write(line + "\n")
                self._echo.flush()
            return record

    def phase(self, phase: str, **fields: Any) -> dict[str, Any]:
        if phase not in PHASES:
            raise ValueError(f"unknown phase {phase!r}")
        return self.emit("phase", phase=phase, **fields)

    def error(self, code: str, message: str, action: str, **fields: Any) -> dict[str, Any]:
        return self.emit("error", code=code, message=message, action=action, **fields)

    def warning(self, code: str, message: str, **fields: Any) -> dict[str, Any]:
        return self.emit("warning", code=code, message=message, **fields)

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.flush()
                os.fsync(self._file.fileno())
                self._file.close()

    def __enter__(self) -> EventWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SilentEventWriter(EventWriter):
    """The event writer of every process but the first when several train together: events.jsonl has one writer.
    Nothing is written to the events file or stdout; an `error` goes to `errors` (default: stderr, the run's
    train.log) and, when `on_error` is given, to it (the failure file the first process's watcher reads:
    ranks.record_rank_failure)."""

    def __init__(self, run_dir: Path | str, label: str, errors: TextIO | None = None,
                 on_error: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / EVENTS_FILE_NAME
        self._label = label
        self._errors = errors
        self._on_error = on_error
        self._lock = threading.Lock()
        self._seq = 0

    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        record = {"event": event, **_json_safe(fields)}
        if event == "error":
            stream = self._errors or sys.stderr  # the stderr of the moment (the run's log), not of the import
            stream.write(f"{self._label}: {fields.get('code')}: {fields.get('message')}\n")
            stream.flush()
            if self._on_error is not None:
                self._on_error(record)
        return record

    def close(self) -> None:
        return None


def replay(path: Path | str, after_seq: int = 0) -> Iterator[dict[str, Any]]:
    """Every complete event with seq > after_seq. A torn last line (writer killed mid-write) and lines that are not
    JSON objects are skipped, so a viewer never fails on a file a crashed trainer left behind."""
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        return
    with handle:
        for raw in handle:
            if not raw.endswith(b"\n"):
                break
            try:
                event = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError):
                continue
            if isinstance(event, dict) and isinstance(event.get("seq"), int) and event["seq"] > after_seq:
                yield event
