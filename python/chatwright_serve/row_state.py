"""One request's row in a batch: the per-row stopping rules (end of turn, max_tokens, stop strings, the cancel flag)
and the stream of text and the final result its HTTP handler reads. Engines push one token's text at a time; the row
decides whether it is finished, so every engine stops rows the same way."""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import Any

# What a row's queue carries: ("text", str), then exactly one ("done", RowResult) or ("error", Exception).
RowMessage = tuple[str, Any]


@dataclass(frozen=True)
class RowResult:
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str  # "stop" | "length" | "cancelled"


class RowState:
    def __init__(self, prompt_tokens: int, max_tokens: int, stop: list[str], cancel: threading.Event) -> None:
        self.prompt_tokens = prompt_tokens
        self.max_tokens = max_tokens
        self.stop = [s for s in stop if s]
        self.cancel = cancel
        self.completion_tokens = 0
        self.finish_reason: str | None = None
        self.messages: queue.Queue[RowMessage] = queue.Queue()
        self._pending = ""  # text held back because it may be the start of a stop string
        self._lock = threading.Lock()

    @property
    def finished(self) -> bool:
        """Read by the engine each step (a StoppingCriteria); a set cancel flag finishes the row here, so a client
        that left frees its row within one token."""
        if self.finish_reason is None and self.cancel.is_set():
            self.finish("cancelled")
        return self.finish_reason is not None

    def push(self, text: str) -> None:
        """One generated token (its decoded text, possibly "" while a character is incomplete)."""
        with self._lock:
            if self.finish_reason is not None:
                return
            self.completion_tokens += 1
            self._pending += text
            cut = self._first_stop()
            if cut is not None:
                self._emit(self._pending[:cut])
                self._pending = ""
                self._finish_locked("stop")
                return
            keep = self._held_back()
            self._emit(self._pending[: len(self._pending) - keep])
            self._pending = self._pending[len(self._pending) - keep:]
            if self.completion_tokens >= self.max_tokens:
                self._finish_locked("length")

    def end_of_turn(self) -> None:
        """The model produced its end-of-turn token (not counted, not shown)."""
        self.finish("stop")

    def finish(self, reason: str) -> None:
        with self._lock:
            self._finish_locked(reason)

    def fail(self, error: BaseException) -> None:
        with self._lock:
            if self.finish_reason is None:
                self.finish_reason = "error"
                self.messages.put(("error", error))

    def _finish_locked(self, reason: str) -> None:
        if self.finish_reason is not None:
            return
        if reason != "cancelled":
            self._emit(self._pending)
        self._pending = ""
        self.finish_reason = reason
        self.messages.put(("done", RowResult(self.prompt_tokens, self.completion_tokens, reason)))

    def _emit(self, text: str) -> None:
        if text:
            self.messages.put(("text", text))

    def _first_stop(self) -> int | None:
        found = [index for index in (self._pending.find(s) for s in self.stop) if index >= 0]
        return min(found) if found else None

    def _held_back(self) -> int:
        """The longest end of the pending text that is a proper prefix of a stop string."""
        longest = 0
        for stop in self.stop:
            for length in range(min(len(stop) - 1, len(self._pending)), longest, -1):
                if self._pending.endswith(stop[:length]):
                    longest = length
                    break
        return longest
