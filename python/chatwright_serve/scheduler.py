"""Static batching on one thread: requests wait in arrival order; when the engine is free the scheduler takes the
oldest waiting request and, after it in arrival order, up to `max_batch - 1` more that may share its batch, and runs
them as one generation. Requests that arrive while a batch runs wait for the next one (no joining mid-batch).

Rows of one batch share sampling settings (greedy, or the same temperature and top_p), and, unless the engine can mix
LoRA adapters in a batch, the same adapter. A request with a `seed` runs alone, so its output depends on the seed
only. Work that must not overlap a generation (loading or unloading an adapter) runs on the same thread between
batches."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from .generation import BatchBackend, ChatRequest, PreparedRow, ServeError
from .row_state import RowState


def batch_key(row: PreparedRow, mixed_adapters: bool) -> tuple[Any, ...] | None:
    """Rows with equal keys may run in one batch; None: this row runs alone."""
    request = row.request
    if request.seed is not None:
        return None
    sampling: tuple[Any, ...] = (True, request.temperature, request.top_p) if request.do_sample else (False,)
    return sampling if mixed_adapters else (*sampling, row.adapter)


def pick_batch(waiting: list[PreparedRow], max_batch: int, mixed_adapters: bool) -> list[PreparedRow]:
    """The next batch: the oldest row and, in arrival order, the rows that share its key (at most max_batch)."""
    if not waiting:
        return []
    first = waiting[0]
    key = batch_key(first, mixed_adapters)
    if key is None:
        return [first]
    batch = [first]
    for row in waiting[1:]:
        if len(batch) >= max_batch:
            break
        if batch_key(row, mixed_adapters) == key:
            batch.append(row)
    return batch


class Scheduler:
    def __init__(self, backend: BatchBackend, max_batch: int = 8, max_queue: int = 32,
                 max_tokens_limit: int = 8192) -> None:
        self.backend = backend
        self.max_batch = max(1, max_batch)
        self.max_queue = max(0, max_queue)
        self.max_tokens_limit = max_tokens_limit
        self._waiting: list[PreparedRow] = []
        self._tasks: deque[tuple[Callable[[], Any], Future[Any]]] = deque()
        self._running: list[PreparedRow] = []
        self._condition = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._loop, name="chatwright-scheduler", daemon=True)
        # Called with each row that ran, once its batch ends (cancelled rows included): the server's token counts.
        self.on_row_done: Callable[[RowState], None] | None = None
        self.batches_run = 0
        self.largest_batch = 0

    def start(self) -> None:
        self._thread.start()

    @property
    def active(self) -> int:
        with self._condition:
            return len(self._running)

    @property
    def queued(self) -> int:
        with self._condition:
            return len(self._waiting)

    def submit(self, request: ChatRequest, adapter: str | None) -> PreparedRow:
        """Prepares the request (on the caller's thread) and queues it. Raises ServeError: 400 when the prompt does
        not fit the context, 429 when `max_queue` requests already wait, 503 while closing."""
        prompt, prompt_tokens = self.backend.prepare(request, adapter)
        room = self.backend.context_length - prompt_tokens
        if room <= 0:
            raise ServeError(400, f"This model's maximum context length is {self.backend.context_length} tokens; "
                             f"the messages take {prompt_tokens}.", "messages", "context_length_exceeded")
        if request.max_tokens is not None and request.max_tokens > room:
            raise ServeError(400, f"This model's maximum context length is {self.backend.context_length} tokens; "
                             f"the messages take {prompt_tokens} and max_tokens asks {request.max_tokens} more.",
                             "max_tokens", "context_length_exceeded")
        max_tokens = request.max_tokens if request.max_tokens is not None else min(room, self.max_tokens_limit)
        row = PreparedRow(request, adapter, prompt, RowState(prompt_tokens, max_tokens, request.stop, request.cancel))
        with self._condition:
            if self._closing:
                raise ServeError(503, "The server is shutting down.", None, "server_closing")
            if len(self._waiting) >= self.max_queue:
                raise ServeError(429, f"Too many requests are waiting ({self.max_queue}); retry later.", None,
                                 "queue_full")
            self._waiting.append(row)
            self._condition.notify_all()
        return row

    def run_task(self, task: Callable[[], Any]) -> Any:
        """Runs `task` on the scheduler's thread between batches and returns its result (or raises its error)."""
        future: Future[Any] = Future()
        with self._condition:
            if self._closing:
                raise ServeError(503, "The server is shutting down.", None, "server_closing")
            self._tasks.append((task, future))
            self._condition.notify_all()
        return future.result()

    def close(self) -> None:
        """Cancels waiting and running rows, stops the thread after the current step."""
        with self._condition:
            self._closing = True
            rows = [*self._waiting, *self._running]
            self._waiting.clear()
            tasks = list(self._tasks)  # never run now: their callers must not wait forever
            self._tasks.clear()
            self._condition.notify_all()
        for _, future in tasks:
            future.set_exception(ServeError(503, "The server is shutting down.", None, "server_shutting_down"))
        for row in rows:
            row.request.cancel.set()
            row.state.finish("cancelled")
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=30)

    def _next(self) -> tuple[Callable[[], Any], Future[Any]] | list[PreparedRow] | None:
        with self._condition:
            while True:
                if self._closing:
                    return None
                if self._tasks:
                    return self._tasks.popleft()
                for row in [r for r in self._waiting if r.state.finished]:  # cancelled while waiting
                    self._waiting.remove(row)
                batch = pick_batch(self._waiting, self.max_batch, self.backend.mixed_adapters)
                if batch:
                    chosen = {id(row) for row in batch}
                    self._waiting = [row for row in self._waiting if id(row) not in chosen]
                    self._running = batch
                    return batch
                self._condition.wait()

    def _loop(self) -> None:
        while True:
            work = self._next()
            if work is None:
                return
            if isinstance(work, tuple):
                task, future = work
                try:
                    future.set_result(task())
                except BaseException as error:  # noqa: BLE001 - handed to the waiting caller
                    future.set_exception(error)
                continue
            self.batches_run += 1
            self.largest_batch = max(self.largest_batch, len(work))
            try:
                self.backend.run_batch(work)
            except BaseException as error:  # noqa: BLE001 - a failed batch fails its rows, not the server
                for row in work:
                    row.state.fail(ServeError(500, f"Generation failed: {type(error).__name__}: {error}"[:500]))
            finally:
                for row in work:  # an engine that returned early leaves no row hanging
                    row.state.finish("stop")
                    if self.on_row_done is not None:
                        self.on_row_done(row.state)
                with self._condition:
                    self._running = []
