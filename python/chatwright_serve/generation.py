"""The generator interface the HTTP layer and the scheduler speak: what one chat request asks for, how a client
error is reported, and the batch backend an engine implements (the transformers engine, or the stand-in for tests).

An engine never sees HTTP. It prepares a request (renders the chat template, counts the prompt's tokens, checks the
context window) and then runs batches of prepared rows, feeding each row's `RowState` one token at a time; the row
decides when it is finished (end of turn, max_tokens, a stop string, or its cancel flag)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from .row_state import RowState


class ServeError(Exception):
    """A request that fails with OpenAI's error body `{"error": {"message", "type", "param", "code"}}`."""

    TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
             404: "not_found_error", 405: "invalid_request_error", 411: "invalid_request_error",
             413: "invalid_request_error", 429: "rate_limit_error", 500: "server_error", 503: "service_unavailable"}

    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.TYPES.get(self.status, "server_error"),
                          "param": self.param, "code": self.code}}


@dataclass
class ChatRequest:
    """A checked `POST /v1/chat/completions` body. `model` is the base model's id or an adapter's."""

    model: str
    messages: list[dict[str, str]]
    max_tokens: int | None = None
    temperature: float = 1.0
    top_p: float = 1.0
    seed: int | None = None
    stop: list[str] = field(default_factory=list)
    cancel: threading.Event = field(default_factory=threading.Event)

    @property
    def do_sample(self) -> bool:
        return self.temperature > 0


@dataclass
class PreparedRow:
    """A request ready to run: its prompt as the engine's tokens (opaque to the scheduler) and its row state."""

    request: ChatRequest
    adapter: str | None
    prompt: Any
    state: RowState


class BatchBackend(Protocol):
    """An engine. All methods but `prepare` are called on the scheduler's one thread, never concurrently."""

    engine: str
    base_id: str
    context_length: int
    # Whether one batch may mix adapters (PEFT's `adapter_names=`); otherwise the scheduler groups by adapter.
    mixed_adapters: bool

    def prepare(self, request: ChatRequest, adapter: str | None) -> tuple[Any, int]:
        """(the prompt in the engine's terms, its token count). Raises ServeError 400 context_length_exceeded when
        the prompt leaves no room to generate. Called on the request's thread: must be thread-safe."""

    def run_batch(self, rows: list[PreparedRow]) -> None:
        """Generates for all rows at once until every row's state is finished, calling `row.state.push(...)` for each
        new token of each unfinished row. Rows share sampling settings and (unless mixed_adapters) the adapter."""

    def load_adapter(self, name: str, path: str) -> None: ...

    def unload_adapter(self, name: str) -> None: ...

    def close(self) -> None: ...
