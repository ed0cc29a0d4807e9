"""`--engine vllm`: run `vllm serve` as a child instead of serving here — the engine that scales (continuous
batching, paged attention, many GPUs). This process builds the command (adapters as `--lora-modules name=path`,
`--max-lora-rank` from their adapter_config.json), passes the API key through the environment (VLLM_API_KEY; the
command line is visible to every user in `ps`), waits for the child's /health, writes the same `serving` event and
ready line as the transformers engine (engine "vllm"), relays SIGINT/SIGTERM (and the `stop-now` file), and writes
`phase stopped` when the child ends on our signal or `error` + `phase failed` when it ends on its own.

vLLM lacks two of our server's defences, so: it always runs with `--allowed-origins []` (its CORS default lets every
web page read its answers), and it has no Host-header check (a DNS-rebinding page can reach a loopback vLLM), so the
host gives it a key even on loopback. It must not outlive this process, which holds the GPU's job: it gets
SIGKILL when we die (Linux: PR_SET_PDEATHSIG, chatwright_train/parent_death.py), and on a stop we wait
STOP_GRACE_SECONDS before killing its process group, less than the job runner gives us before it kills ours."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from chatwright_train.errors import TrainError
from chatwright_train.parent_death import die_with_parent
from chatwright_train.probe import install_command

from .adapters import AdapterInvalid, check_adapter
from .placement import placement_fields
from .stop_file import watch_stop_file

# The ranks vLLM's --max-lora-rank accepts (vllm/config: possible_max_ranks).
VLLM_LORA_RANKS = (8, 16, 32, 64, 128, 256, 320, 512)
VLLM_API_KEY_VARIABLE = "VLLM_API_KEY"
# Run locally, the job runner sends our process group SIGTERM 10 s after its SIGINT and SIGKILL about 10 s later; on
# Slurm it writes RUN/stop-now and runs `scancel` 10 s later, which ends the job's step (SIGTERM, then SIGKILL after
# Slurm's KillWait). vLLM is in a group of its own, so we must have ended it before then: locally nothing else would,
# and on Slurm the stop would otherwise be the scheduler's kill rather than our orderly one.
STOP_GRACE_SECONDS = 8.0


def max_lora_rank(ranks: list[int]) -> int:
    """The smallest rank vLLM accepts that holds every adapter's r."""
    needed = max(ranks, default=1)
    for rank in VLLM_LORA_RANKS:
        if rank >= needed:
            return rank
    raise AdapterInvalid(f"an adapter has r={needed}; vLLM serves LoRA ranks up to {VLLM_LORA_RANKS[-1]}")


def vllm_command(executable: str, model: str, host: str, port: int, adapters: list[tuple[str, str, int]],
                 served_model_name: str | None = None, max_num_seqs: int | None = None,
                 tensor_parallel_size: int = 1) -> list[str]:
    """`vllm serve <model> --host H --port P [--served-model-name N] [--max-num-seqs S] [--tensor-parallel-size T]
    [--enable-lora --lora-modules name=path … --max-lora-rank R]`. `adapters`: (name, folder, r)."""
    command = [executable, "serve", model, "--host", host, "--port", str(port), "--allowed-origins", "[]"]
    if served_model_name:
        command += ["--served-model-name", served_model_name]
    if max_num_seqs:
        command += ["--max-num-seqs", str(max_num_seqs)]
    if tensor_parallel_size > 1:
        command += ["--tensor-parallel-size", str(tensor_parallel_size)]
    if adapters:
        command += ["--enable-lora", "--lora-modules", *(f"{name}={path}" for name, path, _ in adapters),
                    "--max-lora-rank", str(max_lora_rank([rank for _, _, rank in adapters]))]
    return command


def vllm_environment(api_key: str | None, base: dict[str, str] | None = None) -> dict[str, str]:
    environment = dict(os.environ if base is None else base)
    environment.pop(VLLM_API_KEY_VARIABLE, None)
    if api_key:
        environment[VLLM_API_KEY_VARIABLE] = api_key
    return environment


def find_vllm() -> str:
    found = shutil.which("vllm")
    if found:
        return found
    beside = Path(sys.executable).parent / "vllm"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    command = install_command(["vllm"])
    raise TrainError("PACKAGES_MISSING", f"the vllm command is not on PATH; install with: {command}",
                     {"install_command": command, "missing": ["vllm"]})


def free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _get(host: str, port: int, path: str, api_key: str | None, timeout: float = 5.0) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {api_key}"} if api_key else {})
        response = connection.getresponse()
        return response.status, response.read(1 << 20)
    finally:
        connection.close()


def wait_healthy(host: str, port: int, child: subprocess.Popen[Any], stop: threading.Event,
                 timeout: float) -> bool:
    """True once GET /health answers 200; False when the child exits, we are told to stop, or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stop.is_set():
        if child.poll() is not None:
            return False
        try:
            if _get(host, port, "/health", None, timeout=2.0)[0] == 200:
                return True
        except OSError:
            pass
        stop.wait(0.25)
    return False


def served_models(host: str, port: int, api_key: str | None, fallback: list[dict[str, Any]]) -> list[dict[str, Any]]:
    try:
        status, body = _get(host, port, "/v1/models", api_key)
        data = json.loads(body)["data"] if status == 200 else None
        if isinstance(data, list):
            return [{"id": str(m["id"]), "parent": m.get("parent")} for m in data if isinstance(m, dict) and "id" in m]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return fallback


def _signal_group(child: subprocess.Popen[Any], sig: int) -> None:
    if not hasattr(os, "killpg"):  # Windows: no process groups to signal
        child.kill() if sig == getattr(signal, "SIGKILL", None) else child.terminate()
        return
    try:
        os.killpg(child.pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            child.send_signal(sig)
        except ProcessLookupError:
            pass


def _stop_child(child: subprocess.Popen[Any], sig: int) -> None:
    """Relays `sig` to vLLM's group; after STOP_GRACE_SECONDS, SIGKILL (its workers too)."""
    if child.poll() is None:
        _signal_group(child, sig)
    try:
        child.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        pass
    _signal_group(child, getattr(signal, "SIGKILL", signal.SIGTERM))  # workers left behind by a vLLM that exited
    child.wait()


def run_vllm(args: argparse.Namespace, events: Any, api_key: str | None) -> int:
    base_id = args.served_model_name or args.model
    adapters: list[tuple[str, str, int]] = []
    for name, path in args.adapter:
        try:
            info = check_adapter(name, path, args.model)
        except AdapterInvalid as error:
            raise TrainError("ADAPTER_INVALID", f"--adapter {name}: {error}") from error
        if info.peft_type != "LORA":
            raise TrainError("ADAPTER_INVALID", f"--adapter {name}: vLLM serves LoRA adapters, not {info.peft_type}")
        adapters.append((name, path, info.r or 1))
    try:
        max_lora_rank([rank for _, _, rank in adapters])
    except AdapterInvalid as error:
        raise TrainError("ADAPTER_INVALID", str(error)) from error
    port = args.port or free_port(args.host)
    tensor_parallel_size = args.tensor_parallel_size
    command = vllm_command(find_vllm(), args.model, args.host, port, adapters, args.served_model_name,
                           args.max_batch, tensor_parallel_size)
    events.phase("loading_model", model=args.model, command=command)
    stop = threading.Event()
    received: list[int] = []

    def on_signal(sig: int, _frame: Any) -> None:
        received.append(sig)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    if not api_key:
        print("chatwright_serve: vLLM runs without an API key; it has no Host-header check, so a web page that "
              f"rebinds its name to {args.host} can use it; give it a key with CHATWRIGHT_SERVE_API_KEY (passed on "
              f"as {VLLM_API_KEY_VARIABLE}).", file=sys.stderr, flush=True)
    try:
        # Its own process group, so a relayed signal reaches vLLM's workers too; its output goes to our stderr so
        # that stdout carries only the ready line.
        child = subprocess.Popen(command, env=vllm_environment(api_key), stdout=sys.stderr, stderr=sys.stderr,
                                 stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=die_with_parent())
    except OSError as error:
        raise TrainError("ENGINE_FAILED", f"could not start {command[0]}: {error}") from error
    # After the fork: no other thread of ours runs while preexec_fn does.
    watch_stop_file(args.run_dir, lambda: on_signal(signal.SIGINT, None), stop)
    try:
        if not wait_healthy(args.host, port, child, stop, args.startup_timeout):
            if stop.is_set():
                _stop_child(child, received[0] if received else signal.SIGTERM)
                events.phase("stopped")
                return 0
            code = child.poll()
            message = (f"vllm serve exited with code {code} before answering /health" if code is not None else
                       f"vllm serve did not answer /health within {args.startup_timeout:g} s")
            raise TrainError("ENGINE_FAILED", message, {"command": command})
        fallback = [{"id": base_id, "parent": None}, *({"id": n, "parent": base_id} for n, _, _ in adapters)]
        host_for_url = f"[{args.host}]" if ":" in args.host else args.host
        url = f"http://{host_for_url}:{port}/v1"
        events.emit("serving", url=url, host=args.host, port=port, engine="vllm",
                    models=served_models(args.host, port, api_key, fallback), api_key_required=bool(api_key),
                    **placement_fields("vllm", args.host, tensor_parallel_size),
                    **({"max_concurrent": args.max_batch} if args.max_batch else {}),
                    batching="continuous batching (vLLM): requests join and leave the running batch at every step"
                    + (f", up to {args.max_batch} sequences" if args.max_batch else ""))
        print(json.dumps({"event": "ready", "url": url, "host": args.host, "port": port, "engine": "vllm"}),
              flush=True)
        while child.poll() is None and not stop.is_set():
            stop.wait(0.5)
        if stop.is_set():
            _stop_child(child, received[0] if received else signal.SIGTERM)
            events.phase("stopped")
            return 0
        raise TrainError("ENGINE_FAILED", f"vllm serve exited with code {child.returncode} while serving",
                         {"command": command})
    finally:
        if child.poll() is None:
            _stop_child(child, signal.SIGTERM)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
