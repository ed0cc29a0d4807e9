"""A STAND-IN GENERATOR FOR TESTS, not a model: `--engine standin` serves it so the HTTP layer, the scheduler, the
events and the clients can be tested without torch or weights. Its reply is deterministic text derived from the
prompt and the model id (base or adapter), one word per "token", one step every `token_delay` seconds; it honours
max_tokens, stop strings and cancel exactly as the real engine does (through RowState) and counts tokens as words.
It says what it is: every reply's model id and the `serving` event's engine is "standin"."""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

from .generation import ChatRequest, PreparedRow

WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett", "kilo", "lima",
         "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey",
         "xray", "yankee", "zulu")


def render_prompt(messages: list[dict[str, str]]) -> str:
    return "".join(f"<{message['role']}>{message['content']}</{message['role']}>\n" for message in messages)


def count_tokens(text: str) -> int:
    return len(text.split())


def reply_tokens(model_id: str, prompt: str) -> list[str]:
    """The whole reply the stand-in gives `model_id` for `prompt` when nothing stops it early (6-25 tokens)."""
    digest = hashlib.sha256(f"{model_id}\n{prompt}".encode()).digest()
    length = 6 + digest[0] % 20
    stream = digest
    tokens: list[str] = []
    while len(tokens) < length:
        stream = hashlib.sha256(stream).digest()
        tokens.extend(WORDS[byte % len(WORDS)] for byte in stream[: length - len(tokens)])
    return [token if index == 0 else " " + token for index, token in enumerate(tokens)]


class StandinBackend:
    engine = "standin"

    def __init__(self, base_id: str, token_delay: float = 0.01, context_length: int = 2048,
                 mixed_adapters: bool = True) -> None:
        self.base_id = base_id
        self.token_delay = token_delay
        self.context_length = context_length
        self.mixed_adapters = mixed_adapters
        self.adapters: dict[str, str] = {}
        # What ran, for tests: each batch's row models, and rows that ended cancelled.
        self.batches: list[list[str]] = []
        self.cancelled_rows = 0
        self._lock = threading.Lock()

    def prepare(self, request: ChatRequest, adapter: str | None) -> tuple[Any, int]:
        prompt = render_prompt(request.messages)
        return prompt, count_tokens(prompt)

    def run_batch(self, rows: list[PreparedRow]) -> None:
        replies = [reply_tokens(row.adapter or self.base_id, row.prompt) for row in rows]
        with self._lock:
            self.batches.append([row.adapter or self.base_id for row in rows])
        for row, adapter in ((row, row.adapter) for row in rows):
            if adapter is not None and adapter not in self.adapters:
                raise RuntimeError(f"adapter {adapter!r} is not loaded")
        step = 0
        while not all(row.state.finished for row in rows):
            time.sleep(self.token_delay)
            for row, reply in zip(rows, replies):
                if row.state.finished:
                    continue
                if step < len(reply):
                    row.state.push(reply[step])
                else:
                    row.state.end_of_turn()
            step += 1
        with self._lock:
            self.cancelled_rows += sum(1 for row in rows if row.state.finish_reason == "cancelled")

    def load_adapter(self, name: str, path: str) -> None:
        self.adapters[name] = path

    def unload_adapter(self, name: str) -> None:
        self.adapters.pop(name, None)

    def close(self) -> None:
        pass
