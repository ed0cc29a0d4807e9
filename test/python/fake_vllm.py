"""A fake `vllm` executable for the launcher's tests (installed on PATH as `vllm` by the test): it records its argv
and whether VLLM_API_KEY reached it, then serves the stand-in generator (chatwright_serve --engine standin) with the
same model, host, port, adapters and key, so the launcher's health wait, signal relay and events run for real.
FAKE_VLLM_EXIT=N makes it exit with N at once (a vLLM that fails to start). FAKE_VLLM_STUBBORN=1 makes it a vLLM
that ignores SIGINT and SIGTERM: it answers /health and /v1/models itself and only SIGKILL ends it."""

from __future__ import annotations

import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


def serve_stubbornly(host: str, port: int, model: str) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = json.dumps({"object": "list", "data": [{"id": model, "parent": None}]}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    HTTPServer((host, port), Handler).serve_forever()
    return 0


def main() -> int:
    argv = sys.argv[1:]
    record = os.environ.get("FAKE_VLLM_RECORD")
    if record:
        with open(record, "w", encoding="utf-8") as handle:
            json.dump({"argv": argv, "api_key": os.environ.get("VLLM_API_KEY"), "pid": os.getpid()}, handle)
    if os.environ.get("FAKE_VLLM_EXIT"):
        print("fake vllm: failing on purpose", file=sys.stderr)
        return int(os.environ["FAKE_VLLM_EXIT"])
    assert argv[0] == "serve", argv
    model, options = argv[1], argv[2:]
    served = ["--engine", "standin", "--model", model]
    index = 0
    while index < len(options):
        option = options[index]
        if option in ("--host", "--port", "--served-model-name"):
            served += [option, options[index + 1]]
            index += 2
        elif option == "--lora-modules":
            index += 1
            while index < len(options) and not options[index].startswith("--"):
                served += ["--adapter", options[index]]
                index += 1
        elif option in ("--max-lora-rank", "--max-num-seqs", "--tensor-parallel-size"):
            index += 2
        else:
            index += 1
    if os.environ.get("FAKE_VLLM_STUBBORN"):
        return serve_stubbornly(options[options.index("--host") + 1], int(options[options.index("--port") + 1]), model)
    environment = {k: v for k, v in os.environ.items() if k != "VLLM_API_KEY"}
    if os.environ.get("VLLM_API_KEY"):
        environment["CHATWRIGHT_SERVE_API_KEY"] = os.environ["VLLM_API_KEY"]
    os.execvpe(sys.executable, [sys.executable, "-m", "chatwright_serve", *served], environment)
    return 1


if __name__ == "__main__":
    sys.exit(main())
