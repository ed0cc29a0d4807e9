"""`env probe`: what this interpreter can train with. Never raises: a missing or broken package is reported with
the exact command that fixes it."""

from __future__ import annotations

import importlib
import platform
import shutil
import sys
from pathlib import Path
from typing import Any

# (import name, pip name, minimum version, required). Minimums are the oldest with the APIs used here:
# transformers 5 (`dtype=`, `processing_class`, float `warmup_steps`), PEFT with DoRA and `all-linear`.
PACKAGES: tuple[tuple[str, str, str, bool], ...] = (
    ("torch", "torch", "2.4", True),
    ("transformers", "transformers", "5.0", True),
    ("peft", "peft", "0.14", True),
    ("accelerate", "accelerate", "1.0", True),
    ("safetensors", "safetensors", "0.4", True),
    ("tokenizers", "tokenizers", "0.20", True),
    ("jinja2", "jinja2", "3.1", True),
    ("bitsandbytes", "bitsandbytes", "0.45", False),
    ("trl", "trl", "0.20", False),
    ("yaml", "pyyaml", "6.0", False),
)
MINIMUM_PYTHON = (3, 10)


def _version_tuple(text: str) -> tuple[int, ...]:
    parts: list[int] = []
    for piece in text.split("+")[0].split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
        if not piece.isdigit():
            break
    return tuple(parts)


def version_at_least(found: str, minimum: str) -> bool:
    return _version_tuple(found) >= _version_tuple(minimum)


def install_command(pip_names: list[str], python: str = sys.executable) -> str:
    return f'"{python}" -m pip install --upgrade ' + " ".join(f'"{name}"' for name in pip_names)


def probe_packages() -> dict[str, Any]:
    packages: dict[str, Any] = {}
    to_fix: list[str] = []
    for module, pip_name, minimum, required in PACKAGES:
        entry: dict[str, Any] = {"required": required, "minimum": minimum}
        try:
            loaded = importlib.import_module(module)
            version = str(getattr(loaded, "__version__", "") or "unknown")
            entry["version"] = version
            entry["ok"] = version == "unknown" or version_at_least(version, minimum)
        except Exception as error:  # noqa: BLE001 - a broken install must be reported, not crash the probe
            entry["version"] = None
            entry["ok"] = False
            entry["problem"] = f"{type(error).__name__}: {error}"[:300]
        if not entry["ok"] and required:
            to_fix.append(f"{pip_name}>={minimum}")
        packages[pip_name] = entry
    requirements = Path(__file__).resolve().parent.parent / "requirements.txt"
    return {
        "packages": packages,
        "missing_or_old": to_fix,
        "install_command": install_command(to_fix) if to_fix else None,
        "requirements_command": f'"{sys.executable}" -m pip install -r "{requirements}"',
    }


def probe_gpus() -> dict[str, Any]:
    try:
        import torch  # noqa: PLC0415
    except Exception as error:  # noqa: BLE001
        return {"torch": None, "cuda_available": False, "gpus": [], "problem": str(error)[:300]}
    info: dict[str, Any] = {"torch": torch.__version__, "cuda": torch.version.cuda,
                            "cuda_available": bool(torch.cuda.is_available()), "gpus": []}
    mps = getattr(torch.backends, "mps", None)
    info["mps_available"] = bool(mps is not None and mps.is_available())
    if info["cuda_available"]:
        for index in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(index)
            free, total = torch.cuda.mem_get_info(index)
            info["gpus"].append({
                "index": index, "name": props.name, "memory_bytes": int(total), "free_memory_bytes": int(free),
                "compute_capability": f"{props.major}.{props.minor}",
                "bf16": bool(props.major >= 8),
            })
    return info


def probe(run_dir: Path | str | None = None) -> dict[str, Any]:
    where = Path(run_dir) if run_dir else Path.cwd()
    while not where.exists() and where != where.parent:
        where = where.parent
    disk = shutil.disk_usage(where)
    result: dict[str, Any] = {
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "python_ok": sys.version_info[:2] >= MINIMUM_PYTHON,
        "platform": platform.platform(),
        "disk_free_bytes": disk.free,
        "disk_path": str(where),
    }
    result.update(probe_packages())
    result.update(probe_gpus())
    result["can_train"] = result["python_ok"] and not result["missing_or_old"]
    result["qlora_available"] = bool(result["packages"]["bitsandbytes"]["ok"] and result["cuda_available"])
    return result
