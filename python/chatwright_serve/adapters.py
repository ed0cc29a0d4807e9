"""PEFT adapter folders, checked before anything loads them: a folder holding a bounded, valid
`adapter_config.json` whose base model is the served one. Every failure is a sentence naming the folder and what is
wrong, raised as AdapterInvalid (a 400 at runtime, ADAPTER_INVALID at startup)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

CONFIG_NAME = "adapter_config.json"
MAX_CONFIG_BYTES = 1 << 20
ADAPTER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$")
WEIGHT_FILES = ("adapter_model.safetensors", "adapter_model.bin")
# The most adapter weights one adapter may bring (a LoRA of a 70B model at rank 256 is a few GiB): a bigger folder is
# not an adapter, and loading it would exhaust memory.
MAX_WEIGHT_BYTES = 8 << 30


class AdapterInvalid(ValueError):
    pass


@dataclass(frozen=True)
class AdapterInfo:
    path: str
    base_model: str | None
    peft_type: str
    r: int | None
    use_dora: bool


def check_adapter_name(name: object) -> str:
    if not isinstance(name, str) or not ADAPTER_NAME.match(name):
        raise AdapterInvalid(f"adapter name {name!r} must be 1-128 characters of letters, digits and . _ : / -, "
                             "starting with a letter or digit")
    return name


def read_adapter_config(path: str | os.PathLike[str]) -> AdapterInfo:
    folder = Path(path)
    if not folder.is_dir():
        raise AdapterInvalid(f"{folder}: not a folder (an adapter is a folder with {CONFIG_NAME})")
    config_path = folder / CONFIG_NAME
    try:
        if not config_path.is_file():
            raise AdapterInvalid(f"{config_path}: missing (not a PEFT adapter folder)")
        with open(config_path, "rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as error:
        raise AdapterInvalid(f"{config_path}: unreadable ({error.strerror or error})") from error
    if len(raw) > MAX_CONFIG_BYTES:
        raise AdapterInvalid(f"{config_path}: larger than {MAX_CONFIG_BYTES} bytes")
    try:
        config = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise AdapterInvalid(f"{config_path}: not valid JSON ({error})") from error
    if not isinstance(config, dict):
        raise AdapterInvalid(f"{config_path}: must hold a JSON object")
    peft_type = config.get("peft_type")
    if not isinstance(peft_type, str) or not peft_type:
        raise AdapterInvalid(f"{config_path}: peft_type is missing")
    base = config.get("base_model_name_or_path")
    if base is not None and not isinstance(base, str):
        raise AdapterInvalid(f"{config_path}: base_model_name_or_path must be a string")
    rank = config.get("r")
    if rank is not None and (not isinstance(rank, int) or isinstance(rank, bool) or rank < 1):
        raise AdapterInvalid(f"{config_path}: r must be a positive integer, got {rank!r}")
    if peft_type.upper() in ("LORA", "ADALORA") and rank is None:
        raise AdapterInvalid(f"{config_path}: a {peft_type} adapter needs r")
    return AdapterInfo(str(folder), base or None, peft_type.upper(), rank, bool(config.get("use_dora")))


def check_has_weights(info: AdapterInfo, max_bytes: int = MAX_WEIGHT_BYTES) -> None:
    files = [Path(info.path) / name for name in WEIGHT_FILES if (Path(info.path) / name).is_file()]
    if not files:
        raise AdapterInvalid(f"{info.path}: no adapter weights ({' or '.join(WEIGHT_FILES)})")
    total = sum(file.stat().st_size for file in files)
    if total > max_bytes:
        raise AdapterInvalid(f"{info.path}: the adapter weights are {total / (1 << 30):.1f} GiB, more than the "
                             f"{max_bytes / (1 << 30):g} GiB an adapter may have")


def is_under(path: str, roots: list[str]) -> bool:
    """Whether `path`, with its symbolic links resolved, is one of `roots` (resolved too) or inside one."""
    real = os.path.realpath(path)
    for root in roots:
        real_root = os.path.realpath(root)
        if real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep):
            return True
    return False


def check_under_roots(path: object, roots: list[str]) -> str:
    """The folder `POST /v1/adapters/load` names, resolved, when it lies under an adapter root (--adapter-root):
    a caller must not make the server read any folder on disk."""
    if not isinstance(path, str) or not path:
        raise AdapterInvalid("path must be the adapter folder's path")
    if not roots:
        raise AdapterInvalid("this server loads adapters only from the folders it was started with "
                             "(--adapter-root, or the folders holding the --adapter folders); none was given")
    if not is_under(path, roots):
        raise AdapterInvalid(f"{path}: outside the folders this server loads adapters from "
                             f"({', '.join(roots)}; see --adapter-root)")
    return os.path.realpath(path)


def _hub_id_of(path: str) -> str | None:
    """`org/name` for a Hub cache snapshot folder (…/models--org--name/snapshots/<hash>)."""
    for part in Path(path).parts:
        if part.startswith("models--"):
            return part[len("models--"):].replace("--", "/")
    return None


def same_base_model(adapter_base: str | None, served: str) -> bool:
    """Whether an adapter trained on `adapter_base` runs on the model served from `served`: the same string, the same
    folder, or a Hub id and a cache snapshot of it. An adapter that does not name its base does not."""
    if adapter_base is None:
        return False
    if adapter_base == served:
        return True
    names = {adapter_base.rstrip("/"), served.rstrip("/")}
    if len(names) == 1:
        return True
    if os.path.isdir(adapter_base) and os.path.isdir(served):
        return os.path.realpath(adapter_base) == os.path.realpath(served)
    return _hub_id_of(served) == adapter_base or _hub_id_of(adapter_base) == served


def check_adapter(name: object, path: object, served_model: str) -> AdapterInfo:
    """The checks `POST /v1/adapters/load` and `--adapter` make, in one place."""
    check_adapter_name(name)
    if not isinstance(path, str) or not path:
        raise AdapterInvalid("path must be the adapter folder's path")
    info = read_adapter_config(path)
    if info.base_model is None:
        raise AdapterInvalid(f"{path}: {CONFIG_NAME} does not name its base model (base_model_name_or_path); it "
                             f"must name the served one, {served_model!r}")
    if not same_base_model(info.base_model, served_model):
        raise AdapterInvalid(f"{path}: trained on {info.base_model!r}, but this server serves {served_model!r}")
    check_has_weights(info)
    return info
