"""Where the served model runs and how a client reaches it: the GPUs a model is spread over (`--tensor-parallel-size`:
vLLM's tensor parallelism; the transformers engine splits the layers over the GPUs instead) and, when the server
listens on every interface (a Slurm compute node), the name of this machine for the `serving` event, so a client on
the login node knows where to connect. Stdlib only."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from chatwright_train.errors import TrainError

WILDCARD_HOSTS = ("0.0.0.0", "::", "[::]", "")


def is_wildcard_host(host: str) -> bool:
    return host.strip() in WILDCARD_HOSTS


def serving_node(host: str, hostname: Callable[[], str] = socket.gethostname,
                 fqdn: Callable[[str], str] = socket.getfqdn) -> str | None:
    """This machine's name when the server listens on every interface (else None: the host it was given is the
    address). The fully qualified name when it resolves to one (getfqdn answers the short name or `localhost…`
    otherwise), else the short name."""
    if not is_wildcard_host(host):
        return None
    name = hostname().strip()
    if not name:
        return None
    try:
        qualified = fqdn(name).strip()
    except OSError:
        qualified = ""
    if "." in qualified and not qualified.startswith("localhost"):
        return qualified
    return name


def parallelism_description(engine: str, tensor_parallel_size: int) -> str | None:
    """In words, for the `serving` event and the log; None on one GPU."""
    if tensor_parallel_size <= 1:
        return None
    if engine == "vllm":
        return f"tensor parallelism over {tensor_parallel_size} GPUs (vLLM --tensor-parallel-size)"
    if engine == "standin":
        return f"stand-in engine: {tensor_parallel_size} GPUs asked for, none used"
    return (f"layers split over {tensor_parallel_size} GPUs (transformers device_map=auto): no tensor parallelism, "
            "the GPUs take turns on each token, so it fits a bigger model but is no faster than one GPU; install vLLM "
            "for tensor parallelism")


def transformers_gpus(tensor_parallel_size: int, device: str, visible_gpus: int) -> list[int]:
    """The GPUs the transformers engine spreads the model over: the first `tensor_parallel_size` visible ones."""
    if tensor_parallel_size <= 1:
        return []
    if device not in ("auto", "cuda"):
        raise TrainError("ENGINE_FAILED", f"--tensor-parallel-size {tensor_parallel_size} needs CUDA GPUs; --device is "
                                          f"{device}")
    if visible_gpus < tensor_parallel_size:
        raise TrainError("ENGINE_FAILED", f"--tensor-parallel-size {tensor_parallel_size}: only {visible_gpus} CUDA "
                                          "GPU(s) are visible (CUDA_VISIBLE_DEVICES, or the GPUs the job was given)")
    return list(range(tensor_parallel_size))


def placement_fields(engine: str, host: str, tensor_parallel_size: int,
                     node: Callable[[str], str | None] = serving_node) -> dict[str, Any]:
    """The `serving` event's `tensor_parallel_size`, `parallelism` (in words, on several GPUs) and `node` (this
    machine, when listening on every interface)."""
    fields: dict[str, Any] = {"tensor_parallel_size": tensor_parallel_size}
    description = parallelism_description(engine, tensor_parallel_size)
    if description is not None:
        fields["parallelism"] = description
    name = node(host)
    if name is not None:
        fields["node"] = name
    return fields
