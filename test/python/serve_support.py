"""The Python server in-process for tests: the real HTTP layer, scheduler and registry over the stand-in generator
(chatwright_serve.standin), on 127.0.0.1 and a free port, closed when the test ends."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import unittest
from pathlib import Path
from typing import Any

from chatwright_serve.http_server import ServerOptions, ServingHttpServer
from chatwright_serve.models import ModelRegistry
from chatwright_serve.scheduler import Scheduler
from chatwright_serve.standin import StandinBackend

BASE = "org/base-model"


def write_adapter(folder: Path, base: str = BASE, r: int = 8, config: Any = None, weights: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    body = config if config is not None else {"peft_type": "LORA", "base_model_name_or_path": base, "r": r,
                                              "lora_alpha": 2 * r, "target_modules": ["q_proj", "v_proj"]}
    (folder / "adapter_config.json").write_text(body if isinstance(body, str) else json.dumps(body))
    if weights:
        (folder / "adapter_model.safetensors").write_bytes(b"\0" * 16)
    return folder


class ServerFixture:
    def __init__(self, test: unittest.TestCase, *, api_key: str | None = None, max_batch: int = 8,
                 max_queue: int = 32, token_delay: float = 0.005, max_request_bytes: int = 4 << 20,
                 context_length: int = 2048, keepalive: float = 10.0, mixed_adapters: bool = True,
                 ready: bool = True, max_tokens_limit: int = 8192, adapter_roots: list[str] | None = None) -> None:
        self.backend = StandinBackend(BASE, token_delay=token_delay, context_length=context_length,
                                      mixed_adapters=mixed_adapters)
        self.scheduler = Scheduler(self.backend, max_batch=max_batch, max_queue=max_queue,
                                   max_tokens_limit=max_tokens_limit)
        self.server = ServingHttpServer(ServerOptions(host="127.0.0.1", port=0, api_key=api_key,
                                                      max_request_bytes=max_request_bytes,
                                                      max_tokens_limit=max_tokens_limit, keepalive_seconds=keepalive))
        self.registry = ModelRegistry(BASE, BASE, self.scheduler, adapter_roots)
        self.port = self.server.port
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        self.scheduler.start()
        if ready:
            self.server.ready(self.registry, self.scheduler)
        test.addCleanup(self.close)

    def close(self) -> None:
        self.server.begin_closing()
        self.scheduler.close()
        self.server.shutdown()
        self.server.server_close()

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
                ) -> tuple[int, dict[str, str], Any]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
            connection.request(method, path, body=data, headers={"Content-Type": "application/json",
                                                                 **(headers or {})})
            response = connection.getresponse()
            raw = response.read()
            try:
                payload: Any = json.loads(raw)
            except ValueError:
                payload = raw.decode("utf-8", "replace")
            return response.status, {k.lower(): v for k, v in response.getheaders()}, payload
        finally:
            connection.close()

    def chat(self, headers: dict[str, str] | None = None, **body: Any) -> tuple[int, dict[str, str], Any]:
        body.setdefault("model", BASE)
        body.setdefault("messages", [{"role": "user", "content": "Hello there"}])
        return self.request("POST", "/v1/chat/completions", body, headers)

    def stream_lines(self, **body: Any) -> list[str]:
        """The raw lines of a streamed answer, as a client reads them (empty lines included)."""
        body.setdefault("model", BASE)
        body.setdefault("messages", [{"role": "user", "content": "Hello there"}])
        body["stream"] = True
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            connection.request("POST", "/v1/chat/completions", body=json.dumps(body).encode(),
                               headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            assert response.status == 200, (response.status, response.read())
            assert response.getheader("Content-Type", "").startswith("text/event-stream")
            return response.read().decode("utf-8").split("\n")
        finally:
            connection.close()

    def raw_socket(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=20)


def wait_until(predicate: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())
