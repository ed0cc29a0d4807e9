"""The OpenAI-compatible HTTP layer on the standard library (`http.server.ThreadingHTTPServer`, one thread per
connection): routes, auth, limits, server-sent events and disconnects, with the same status codes and error bodies as
the built-in server. Generation happens on the scheduler's thread; a request's thread only waits on its row's queue,
writing text as it comes, keep-alive comments while nothing does, and watching its socket: a client that leaves
sets the request's cancel flag, which the engine reads every token.

Routes: GET /health (no key; 503 while loading or closing), GET /v1/models, GET /v1/models/{id},
POST /v1/chat/completions, POST /v1/adapters/load {name, path}, POST /v1/adapters/unload {name}."""

from __future__ import annotations

import hmac
import ipaddress
import json
import queue
import re
import select
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from .generation import ServeError
from .models import ModelRegistry
from .row_state import RowResult
from .scheduler import Scheduler
from .validation import parse_chat_request, parse_json_body, require_object

POLL_SECONDS = 0.05
CHUNK_SIZE_LINE = re.compile(rb"^([0-9A-Fa-f]{1,16})[ \t]*(?:;[^\r\n]*)?\r?\n$")
# A connection idle this long (a client that stops sending mid-request or never reads) is closed, so it cannot hold
# a thread forever.
SOCKET_TIMEOUT_SECONDS = 120.0
HOST_HEADER = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[^:\[\]]+)(?::(\d{1,5}))?$")


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 (also IPv4-mapped or in brackets) and `localhost`."""
    bare = host.strip().lower()
    if bare.startswith("[") and bare.endswith("]"):
        bare = bare[1:-1]
    if bare == "localhost" or bare.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(bare)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def is_loopback_host_header(header: str | None) -> bool:
    """The DNS-rebinding defence: a page the user opens can point its own name at 127.0.0.1 and then read our
    answers as same-origin; its requests still carry `Host: evil.example`, so a loopback server refuses them."""
    if header is None:
        return False
    match = HOST_HEADER.match(header.strip())
    return match is not None and is_loopback_host(match.group(1))


def has_api_key(authorization: str | None, api_key: str) -> bool:
    match = re.match(r"^Bearer[ \t]+(\S+)[ \t]*$", authorization or "", re.IGNORECASE)
    presented = match.group(1) if match else ""
    return hmac.compare_digest(presented.encode(), api_key.encode()) and bool(presented)


@dataclass
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 8766
    api_key: str | None = None
    max_request_bytes: int = 4 << 20
    max_tokens_limit: int = 8192
    keepalive_seconds: float = 10.0


class ServingStats:
    def __init__(self) -> None:
        self.requests = 0
        self.rejected = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.version = 0  # bumped on every change, so the stats writer knows whether there is news
        self._lock = threading.Lock()

    def add(self, **deltas: int) -> None:
        with self._lock:
            for name, delta in deltas.items():
                setattr(self, name, getattr(self, name) + delta)
            self.version += 1

    def snapshot(self, scheduler: Scheduler | None) -> dict[str, int]:
        with self._lock:
            return {"requests": self.requests, "active": scheduler.active if scheduler else 0,
                    "queued": scheduler.queued if scheduler else 0, "rejected": self.rejected,
                    "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens}


class ClientGone(Exception):
    pass


class ServingHttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, options: ServerOptions, log: Callable[[str], None] | None = None) -> None:
        self.options = options
        self.state = "loading"  # loading -> ready -> closing
        self.registry: ModelRegistry | None = None
        self.scheduler: Scheduler | None = None
        self.stats = ServingStats()
        self.log_line = log or (lambda line: None)
        self.address_family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
        super().__init__((options.host, options.port), RequestHandler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        host = f"[{self.options.host}]" if ":" in self.options.host else self.options.host
        return f"http://{host}:{self.port}/v1"

    def ready(self, registry: ModelRegistry, scheduler: Scheduler) -> None:
        self.registry, self.scheduler = registry, scheduler
        scheduler.on_row_done = lambda row: self.stats.add(prompt_tokens=row.prompt_tokens,
                                                           completion_tokens=row.completion_tokens)
        self.state = "ready"

    def begin_closing(self) -> None:
        self.state = "closing"


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ServingHttpServer
    server_version = "chatwright-serve"
    timeout = SOCKET_TIMEOUT_SECONDS

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        self.server.log_line(f"{self.address_string()} {format % args}")

    # ------------------------------------------------------------------ dispatch
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        self._body_pending = "chunked" in (self.headers.get("Transfer-Encoding") or "").lower() or \
            (self.headers.get("Content-Length") or "0").strip() not in ("", "0")
        try:
            path = self.path.split("?", 1)[0]
            if self.server.options.host and is_loopback_host(self.server.options.host) and \
                    not is_loopback_host_header(self.headers.get("Host")):
                raise ServeError(403, "This server listens on loopback and answers only requests addressed to "
                                 "localhost or a loopback address (Host header).", None, "host_not_allowed")
            if path == "/health":
                self._require(method, "GET")
                return self._health()
            if not path.startswith("/v1/"):
                raise ServeError(404, f"Unknown route {method} {path}.", None, "unknown_url")
            self._check_api_key()
            routes: dict[str, tuple[str, Callable[[], None]]] = {
                "/v1/models": ("GET", self._models),
                "/v1/chat/completions": ("POST", self._chat),
                "/v1/adapters/load": ("POST", self._load_adapter),
                "/v1/adapters/unload": ("POST", self._unload_adapter),
            }
            if path in routes:
                wanted, handler = routes[path]
                self._require(method, wanted)
                self._require_ready()
                return handler()
            if path.startswith("/v1/models/") and method == "GET":
                self._require_ready()
                return self._model(unquote(path[len("/v1/models/"):]))
            raise ServeError(404, f"Unknown route {method} {path}.", None, "unknown_url")
        except ServeError as error:
            self._send_error(error)
        except (ClientGone, TimeoutError):  # TimeoutError: the client stopped sending for SOCKET_TIMEOUT_SECONDS
            self.close_connection = True
        except Exception as error:  # noqa: BLE001 - one bad request must not take the server down
            self.server.log_line(f"internal error: {type(error).__name__}: {error}")
            self._send_error(ServeError(500, f"Internal error: {type(error).__name__}: {error}"[:500]))

    def _require(self, method: str, wanted: str) -> None:
        if method != wanted:
            raise ServeError(405, f"{self.path} takes {wanted}, not {method}.", None, "method_not_allowed")

    def _require_ready(self) -> None:
        if self.server.state == "loading":
            raise ServeError(503, "The model is still loading; retry shortly.", None, "model_loading")
        if self.server.state == "closing":
            raise ServeError(503, "The server is shutting down.", None, "server_shutting_down")

    def _check_api_key(self) -> None:
        key = self.server.options.api_key
        if key and not has_api_key(self.headers.get("Authorization"), key):
            raise ServeError(401, "Incorrect or missing API key: send `Authorization: Bearer <key>`.", None,
                             "invalid_api_key")

    # ------------------------------------------------------------------ bodies
    def _read_body(self) -> Any:
        limit = self.server.options.max_request_bytes
        too_large = ServeError(413, f"The request body is larger than this server accepts ({limit} bytes).", None,
                               "request_too_large")
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            raw = self._read_chunked(limit, too_large)
        else:
            length_header = self.headers.get("Content-Length")
            try:
                length = int(length_header) if length_header is not None else 0
            except ValueError as error:
                raise ServeError(400, "Content-Length is not a number.", None, "invalid_body") from error
            if length < 0:
                raise ServeError(400, "Content-Length is negative.", None, "invalid_body")
            if length > limit:
                self.close_connection = True  # the unread body must not be parsed as the next request
                raise too_large
            raw = self.rfile.read(length)
        self._body_pending = False
        return parse_json_body(raw)

    def _read_chunked(self, limit: int, too_large: ServeError) -> bytes:
        body = bytearray()
        while True:
            size_line = self.rfile.readline(65537)
            match = CHUNK_SIZE_LINE.match(size_line)
            if match is None:  # only hex digits: int(…, 16) would also take "-1", and read(-1) reads to the end
                self.close_connection = True
                raise ServeError(400, "Malformed chunked body: a chunk size must be hexadecimal digits.", None,
                                 "invalid_body")
            size = int(match.group(1), 16)
            if size == 0:
                self._body_pending = False
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass
                return bytes(body)
            if len(body) + size > limit:
                self.close_connection = True
                raise too_large
            body += self.rfile.read(size)
            self.rfile.readline(3)

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        if getattr(self, "_body_pending", False):
            self.close_connection = True  # an unread body must not be parsed as the next request
        try:
            self.send_response(status)
            if self.close_connection:
                self.send_header("Connection", "close")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def _send_error(self, error: ServeError) -> None:
        if error.status == 429:
            self.server.stats.add(rejected=1)
        headers = {"WWW-Authenticate": 'Bearer realm="chatwright"'} if error.status == 401 else {}
        if error.status == 503:
            headers["Retry-After"] = "1"
        self._send_json(error.status, error.body(), headers)

    # ------------------------------------------------------------------ routes
    def _health(self) -> None:
        state = self.server.state
        if state == "ready":
            self._send_json(200, {"status": "ok"})
        else:
            self._send_json(503, {"status": state})

    def _models(self) -> None:
        assert self.server.registry is not None
        self._send_json(200, {"object": "list", "data": self.server.registry.listing()})

    def _model(self, model_id: str) -> None:
        assert self.server.registry is not None
        for entry in self.server.registry.listing():
            if entry["id"] == model_id:
                return self._send_json(200, entry)
        raise ServeError(404, f"The model `{model_id}` does not exist.", "model", "model_not_found")

    def _load_adapter(self) -> None:
        assert self.server.registry is not None
        body = require_object(self._read_body())
        self._send_json(200, self.server.registry.load(body.get("name"), body.get("path")))

    def _unload_adapter(self) -> None:
        assert self.server.registry is not None
        body = require_object(self._read_body())
        self._send_json(200, self.server.registry.unload(body.get("name")))

    def _chat(self) -> None:
        registry, scheduler = self.server.registry, self.server.scheduler
        assert registry is not None and scheduler is not None
        request, stream, include_usage = parse_chat_request(self._read_body(), self.server.options.max_tokens_limit)
        adapter = registry.resolve(request.model)
        row = scheduler.submit(request, adapter)
        self.server.stats.add(requests=1)
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        try:
            if stream:
                self._stream(row.state.messages, request, completion_id, created, include_usage)
            else:
                self._complete(row.state.messages, request, completion_id, created)
        finally:
            request.cancel.set()  # a no-op once the row finished; frees it if this thread leaves early

    def _next_message(self, messages: queue.Queue[tuple[str, Any]], idle_since: float,
                      on_idle: Callable[[], None] | None) -> tuple[str, Any]:
        """The row's next message, watching the socket (and sending keep-alives) while there is none."""
        keepalive = self.server.options.keepalive_seconds
        while True:
            try:
                return messages.get(timeout=POLL_SECONDS)
            except queue.Empty:
                pass
            if self._client_left():
                raise ClientGone()
            if on_idle is not None and time.monotonic() - idle_since >= keepalive:
                on_idle()
                idle_since = time.monotonic()

    def _client_left(self) -> bool:
        """A readable socket with nothing to read is a closed one (a client sends nothing more mid-response)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def _complete(self, messages: queue.Queue[tuple[str, Any]], request: Any, completion_id: str,
                  created: int) -> None:
        texts: list[str] = []
        while True:
            kind, value = self._next_message(messages, time.monotonic(), None)
            if kind == "text":
                texts.append(value)
                continue
            if kind == "error":
                raise value if isinstance(value, ServeError) else ServeError(500, str(value))
            result: RowResult = value
            if result.finish_reason == "cancelled":  # only the server's close cancels a row this thread waits on
                raise shutting_down()
            return self._send_json(200, {
                "id": completion_id, "object": "chat.completion", "created": created, "model": request.model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "".join(texts)},
                             "finish_reason": _finish_reason(result), "logprobs": None}],
                "usage": _usage(result), "system_fingerprint": None,
            })

    def _stream(self, messages: queue.Queue[tuple[str, Any]], request: Any, completion_id: str, created: int,
                include_usage: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Accel-Buffering", "no")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            payload: dict[str, Any] = {"id": completion_id, "object": "chat.completion.chunk", "created": created,
                                       "model": request.model, "system_fingerprint": None,
                                       "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                                    "finish_reason": finish_reason}]}
            if include_usage:
                payload["usage"] = None
            return payload

        self._write_event(chunk({"role": "assistant", "content": ""}))
        idle_since = time.monotonic()
        while True:
            kind, value = self._next_message(messages, idle_since, lambda: self._write_chunk(b": keep-alive\n\n"))
            idle_since = time.monotonic()
            if kind == "text":
                self._write_event(chunk({"content": value}))
                continue
            if kind == "error":
                error = value if isinstance(value, ServeError) else ServeError(500, str(value))
                self._write_event(error.body())
                break
            result: RowResult = value
            if result.finish_reason == "cancelled":  # the server is closing: say so, as the built-in server does
                self._write_event(shutting_down().body())
                break
            self._write_event(chunk({}, _finish_reason(result)))
            if include_usage:
                self._write_event({"id": completion_id, "object": "chat.completion.chunk", "created": created,
                                   "model": request.model, "system_fingerprint": None, "choices": [],
                                   "usage": _usage(result)})
            self._write_chunk(b"data: [DONE]\n\n")
            break
        self._write_chunk(b"")

    def _write_event(self, payload: Any) -> None:
        self._write_chunk(b"data: " + json.dumps(payload, ensure_ascii=False).encode("utf-8") + b"\n\n")

    def _write_chunk(self, data: bytes) -> None:
        """One HTTP chunk (an empty one ends the response). A failed write means the client left."""
        try:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()
        except OSError as error:
            raise ClientGone() from error


def shutting_down() -> ServeError:
    return ServeError(503, "The server is shutting down.", None, "server_shutting_down")


def _finish_reason(result: RowResult) -> str:
    return "length" if result.finish_reason == "length" else "stop"


def _usage(result: RowResult) -> dict[str, int]:
    return {"prompt_tokens": result.prompt_tokens, "completion_tokens": result.completion_tokens,
            "total_tokens": result.prompt_tokens + result.completion_tokens}
