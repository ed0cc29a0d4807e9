"""python -m chatwright_serve --model <id|folder> [--adapter name=folder]... [--adapter-root DIR]... [--host 127.0.0.1] [--port 8766]
    [--engine auto|transformers|vllm|standin] [--max-batch 8] [--max-queue 32] [--tensor-parallel-size 1] [--run-dir DIR]

Serves the model (and each adapter as a model id of its own) with OpenAI's chat-completions API. The API key comes
from the environment variable CHATWRIGHT_SERVE_API_KEY (never the command line); it is required for a host beyond
loopback. `--engine auto` is vLLM when it is importable, else transformers; `standin` is the stand-in generator for
tests. `--tensor-parallel-size N` spreads the model over N GPUs: vLLM with tensor parallelism, transformers by
splitting the layers (device_map=auto; no speed-up). Once listening it prints one line on stdout:
{"event": "ready", "url": ...}; the `serving` event names this machine (`node`) when the host is 0.0.0.0 or ::.

Exit codes: 0 stopped on SIGINT/SIGTERM, 1 usage, 2 failed (an `error` event in RUN/events.jsonl says why)."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys

from chatwright_train.errors import TrainError

API_KEY_VARIABLE = "CHATWRIGHT_SERVE_API_KEY"
ENGINES = ("auto", "transformers", "vllm", "standin")


def _adapter(text: str) -> tuple[str, str]:
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"--adapter takes name=folder, got {text!r}")
    return name, path


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m chatwright_serve", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="a Hugging Face model id or folder")
    p.add_argument("--served-model-name", help="the base model's id in the API (default: --model as given)")
    p.add_argument("--adapter", action="append", type=_adapter, default=[], metavar="NAME=FOLDER",
                   help="a PEFT adapter served as model id NAME (loaded on first use)")
    p.add_argument("--adapter-root", action="append", default=[], metavar="FOLDER",
                   help="POST /v1/adapters/load loads only folders inside these (repeatable; default: the folders "
                   "holding the --adapter folders)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8766, help="0 picks a free port (see the ready line)")
    p.add_argument("--engine", choices=ENGINES, default="auto")
    p.add_argument("--max-batch", type=int, help="requests generated together in one batch (default 8; for vLLM "
                   "its --max-num-seqs, left to vLLM unless given)")
    p.add_argument("--max-queue", type=int, default=32, help="requests waiting beyond the running batch before 429")
    p.add_argument("--max-tokens-limit", type=int, default=8192, help="a request asking more max_tokens gets 400")
    p.add_argument("--max-request-bytes", type=int, default=4 << 20, help="bodies beyond it get 413")
    p.add_argument("--context-length", type=int, help="override the model's context window (tokens)")
    p.add_argument("--tensor-parallel-size", type=_positive, default=1, metavar="N",
                   help="GPUs the model is spread over: vLLM's tensor parallelism; the transformers engine splits the "
                   "layers over them instead (default 1)")
    p.add_argument("--device", default="auto", help="transformers engine: auto (CUDA when present), cuda, cpu, mps")
    p.add_argument("--run-dir", help="append protocol-v1 events to RUN/events.jsonl")
    p.add_argument("--startup-timeout", type=float, default=900.0, help="vLLM: seconds to wait for its /health")
    p.add_argument("--keepalive-seconds", type=float, default=10.0, help="SSE keep-alive comment interval")
    p.add_argument("--standin-token-delay-ms", type=float, default=10.0, help="standin engine: time per token")
    p.add_argument("--standin-load-delay-ms", type=float, default=0.0, help="standin engine: time to 'load'")
    return p


def choose_engine(requested: str) -> str:
    if requested != "auto":
        return requested
    return "vllm" if importlib.util.find_spec("vllm") is not None else "transformers"


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from .events_sink import open_events  # noqa: PLC0415
    from .http_server import is_loopback_host  # noqa: PLC0415

    events = open_events(args.run_dir)
    try:
        api_key = os.environ.get(API_KEY_VARIABLE) or None
        if not is_loopback_host(args.host) and not api_key:
            raise TrainError("API_KEY_REQUIRED", f"--host {args.host} is beyond loopback and {API_KEY_VARIABLE} is "
                             "not set")
        engine = choose_engine(args.engine)
        if engine != "vllm" and args.max_batch is None:
            args.max_batch = 8
        if engine == "vllm":
            from .vllm_launch import run_vllm  # noqa: PLC0415

            return run_vllm(args, events, api_key)
        from .service import run_service  # noqa: PLC0415

        return run_service(args, engine, events, api_key)
    except TrainError as error:
        events.error(error.code, error.message, error.action, **error.details)
        events.phase("failed", code=error.code)
        print(f"chatwright_serve: {error.code}: {error.message}\n  {error.action}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001 - an unexpected failure still ends with an error event and exit 2
        import traceback  # noqa: PLC0415

        action = "See the message and the log; report it with events.jsonl if it persists."
        events.error("ENGINE_FAILED", f"{type(error).__name__}: {error}"[:1000], action,
                     traceback=traceback.format_exc()[-4000:])
        events.phase("failed", code="ENGINE_FAILED")
        print(f"chatwright_serve: ENGINE_FAILED: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    finally:
        events.close()
