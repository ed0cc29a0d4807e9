"""Merging an adapter into its base: always into the unquantized base loaded in the requested dtype (bf16 by
default), never into a 4-bit model, whose rounding would be baked into the merged weights."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import TrainError


def merge_adapter(base_path: str, adapter_dir: Path | str, out_dir: Path | str, dtype_name: str = "bfloat16",
                  trust_remote_code: bool = False) -> Path:
    import torch  # noqa: PLC0415
    from peft import PeftModel  # noqa: PLC0415
    from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: PLC0415

    adapter = Path(adapter_dir)
    out = Path(out_dir)
    try:
        adapter_config = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise TrainError("MERGE_FAILED", f"{adapter}: no readable adapter_config.json ({error})") from error
    if adapter_config.get("peft_type") not in ("LORA",):
        raise TrainError("MERGE_FAILED", f"{adapter}: a {adapter_config.get('peft_type')} adapter has no weights to "
                                         "merge")
    dtype = getattr(torch, dtype_name)
    device: Any = {"": torch.cuda.current_device()} if torch.cuda.is_available() else None
    try:
        base = AutoModelForCausalLM.from_pretrained(base_path, dtype=dtype, device_map=device,
                                                    trust_remote_code=trust_remote_code)
        merged = PeftModel.from_pretrained(base, str(adapter)).merge_and_unload()
        merged.save_pretrained(str(out))
        AutoTokenizer.from_pretrained(str(adapter) if (adapter / "tokenizer_config.json").is_file() else base_path,
                                      trust_remote_code=trust_remote_code).save_pretrained(str(out))
    except TrainError:
        raise
    except Exception as error:  # noqa: BLE001
        raise TrainError("MERGE_FAILED", f"{type(error).__name__}: {error}") from error
    return out
