"""Where a serving job's events go: the trainer's EventWriter (RUN/events.jsonl, protocol v1) with --run-dir, or
nowhere without one. Stdout carries only the one ready line, so a parent reads it without parsing events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chatwright_train.events import EventWriter


class NoEvents:
    """The event sink of a server started without --run-dir."""

    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        return {"event": event, **fields}

    def phase(self, phase: str, **fields: Any) -> dict[str, Any]:
        return self.emit("phase", phase=phase, **fields)

    def error(self, code: str, message: str, action: str, **fields: Any) -> dict[str, Any]:
        return self.emit("error", code=code, message=message, action=action, **fields)

    def close(self) -> None:
        pass


def open_events(run_dir: str | None) -> EventWriter | NoEvents:
    return EventWriter(Path(run_dir), echo=None) if run_dir else NoEvents()
