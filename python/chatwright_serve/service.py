"""The serving job's life: bind the port (so PORT_IN_USE fails fast and /health answers 503 while loading), load the
engine, announce `serving` and the ready line, write `serving_stats` at most once a second while requests come in,
and on SIGINT/SIGTERM (or the RUN/stop-now file, which the job runner writes on Windows and for Slurm jobs) stop
accepting, cancel generations, write `phase stopped` and exit 0."""

from __future__ import annotations

import argparse
import errno
import json
import signal
import sys
import threading
import time
from typing import Any

from chatwright_train.errors import TrainError

from .adapters import AdapterInvalid
from .generation import BatchBackend
from .http_server import ServerOptions, ServingHttpServer
from .models import ModelRegistry
from .placement import placement_fields
from .scheduler import Scheduler
from .stop_file import watch_stop_file


def batching_description(engine: str, max_batch: int, mixed_adapters: bool) -> str:
    adapters = "adapters mixed in a batch (PEFT adapter_names)" if mixed_adapters else "one adapter per batch"
    return (f"static batching ({engine}): up to {max_batch} waiting requests with the same sampling settings run as "
            f"one generate, {adapters}; a request with a seed runs alone; requests arriving during a batch wait for "
            "the next one")


def make_backend(args: argparse.Namespace, engine: str, base_id: str) -> BatchBackend:
    if engine == "standin":
        from .standin import StandinBackend  # noqa: PLC0415

        time.sleep(max(0.0, args.standin_load_delay_ms) / 1000)
        return StandinBackend(base_id, token_delay=max(0.0, args.standin_token_delay_ms) / 1000,
                              **({"context_length": args.context_length} if args.context_length else {}))
    from .transformers_engine import TransformersBackend  # noqa: PLC0415

    return TransformersBackend(args.model, base_id, device=args.device, context_length=args.context_length,
                              tensor_parallel_size=args.tensor_parallel_size)


def bind(options: ServerOptions, log: Any) -> ServingHttpServer:
    try:
        return ServingHttpServer(options, log)
    except OSError as error:
        if error.errno in (errno.EADDRINUSE, errno.EACCES):
            raise TrainError("PORT_IN_USE", f"cannot listen on {options.host}:{options.port}: "
                             f"{error.strerror}") from error
        raise TrainError("ENGINE_FAILED", f"cannot listen on {options.host}:{options.port}: {error}") from error


def run_service(args: argparse.Namespace, engine: str, events: Any, api_key: str | None) -> int:
    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    base_id = args.served_model_name or args.model
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    watch_stop_file(args.run_dir, stop.set, stop)  # Windows: the runner's stop request
    events.phase("loading_model", model=args.model)
    placement = placement_fields(engine, args.host, args.tensor_parallel_size)
    if "parallelism" in placement:
        log(f"chatwright_serve: {placement['parallelism']}")
    options = ServerOptions(host=args.host, port=args.port, api_key=api_key, max_request_bytes=args.max_request_bytes,
                            max_tokens_limit=args.max_tokens_limit, keepalive_seconds=args.keepalive_seconds)
    server = bind(options, log)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="chatwright-http",
                     daemon=True).start()
    backend: BatchBackend | None = None
    scheduler: Scheduler | None = None
    try:
        backend = make_backend(args, engine, base_id)
        scheduler = Scheduler(backend, max_batch=args.max_batch, max_queue=args.max_queue,
                              max_tokens_limit=args.max_tokens_limit)
        registry = ModelRegistry(base_id, args.model, scheduler, args.adapter_root)
        for name, path in args.adapter:
            try:
                registry.add_known(name, path)
            except AdapterInvalid as error:
                raise TrainError("ADAPTER_INVALID", f"--adapter {name}: {error}") from error
        scheduler.start()
        server.ready(registry, scheduler)
        events.emit("serving", url=server.url, host=args.host, port=server.port, engine=engine,
                    models=registry.ids(), api_key_required=bool(api_key), max_concurrent=args.max_batch,
                    max_queue=args.max_queue, batching=batching_description(engine, args.max_batch,
                                                                             backend.mixed_adapters),
                    **placement)
        print(json.dumps({"event": "ready", "url": server.url, "host": args.host, "port": server.port,
                          "engine": engine}), flush=True)
        last_version = server.stats.version
        while not stop.wait(1.0):
            if server.stats.version != last_version or scheduler.active or scheduler.queued:
                last_version = server.stats.version
                events.emit("serving_stats", **server.stats.snapshot(scheduler))
        log("chatwright_serve: stopping")
        server.begin_closing()
        scheduler.close()
        events.emit("serving_stats", **server.stats.snapshot(scheduler))
        events.phase("stopped")
        return 0
    finally:
        server.begin_closing()
        if scheduler is not None:
            scheduler.close()
        server.shutdown()
        server.server_close()
        if backend is not None:
            backend.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
