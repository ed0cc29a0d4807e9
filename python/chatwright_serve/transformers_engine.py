"""The GPU engine: transformers + PEFT, batched. The model loads with `AutoModelForCausalLM` in bf16 where the GPU
supports it (fp16 on other CUDA GPUs, fp32 on the CPU), prompts are rendered with the tokenizer's chat template, and
each PEFT adapter (`PeftModel.from_pretrained`, then `load_adapter`) is a model id of its own.

A batch is one `generate` call over left-padded prompts. Two hooks make it serve several clients at once:
  - BatchStreamer (a `BaseStreamer`): `put` receives one token per row each step; each row decodes incrementally
    (IncrementalDecoder, whole characters only) and feeds its RowState, which streams to that row's client;
  - RowStopping (a `StoppingCriteria`): returns one bool per row each step (the row's max_tokens, its stop strings
    or its cancel flag), so a finished or abandoned row stops while the others go on.
Rows with different adapters share a batch through PEFT's `adapter_names=` when every loaded adapter is a plain LoRA
(DoRA and other PEFT types cannot be mixed); otherwise the scheduler groups rows by adapter.

Importing this module needs nothing beyond the standard library; torch, transformers and PEFT load when the engine
is built, and their absence is PACKAGES_MISSING with the command that installs them."""

from __future__ import annotations

import copy
import importlib
import os
import threading
from typing import Any

from chatwright_train.errors import TrainError
from chatwright_train.probe import install_command, version_at_least

from .adapters import AdapterInvalid, AdapterInfo, read_adapter_config
from .generation import ChatRequest, PreparedRow, ServeError
from .placement import transformers_gpus

REQUIRED = (("torch", "torch", "2.4"), ("transformers", "transformers", "5.0"), ("peft", "peft", "0.14"),
            ("accelerate", "accelerate", "1.0"))
BASE_ADAPTER_NAME = "__base__"  # PEFT's name for "no adapter" in adapter_names


def check_packages() -> None:
    missing: list[str] = []
    for module, pip_name, minimum in REQUIRED:
        try:
            loaded = importlib.import_module(module)
            version = str(getattr(loaded, "__version__", "") or "")
            if version and not version_at_least(version, minimum):
                missing.append(f"{pip_name}>={minimum}")
        except Exception:  # noqa: BLE001 - a broken install counts as missing
            missing.append(f"{pip_name}>={minimum}")
    if missing:
        command = install_command(missing)
        raise TrainError("PACKAGES_MISSING", f"the transformers engine needs {', '.join(missing)}; install with: "
                         f"{command}", {"install_command": command, "missing": missing})


class IncrementalDecoder:
    """Text of a growing token sequence, piece by piece, never splitting a character: decodes a short window
    (from the last emitted boundary) and holds text back while it ends in an incomplete UTF-8 sequence (U+FFFD)."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.ids: list[int] = []
        self.prefix_offset = 0
        self.read_offset = 0

    def add(self, token_id: int) -> str:
        self.ids.append(token_id)
        decode = self.tokenizer.decode
        prefix = decode(self.ids[self.prefix_offset:self.read_offset], skip_special_tokens=True)
        text = decode(self.ids[self.prefix_offset:], skip_special_tokens=True)
        if len(text) > len(prefix) and not text.endswith("\ufffd"):
            self.prefix_offset = self.read_offset
            self.read_offset = len(self.ids)
            return text[len(prefix):]
        return ""


def render_fallback(messages: list[dict[str, str]]) -> str:
    """For a tokenizer without a chat template: plain role-labelled turns, then the assistant's cue."""
    return "".join(f"{m['role']}: {m['content']}\n" for m in messages) + "assistant:"


def _pick_device(requested: str, torch: Any) -> str:
    if requested != "auto":
        return requested
    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    return "mps" if mps is not None and mps.is_available() else "cpu"


def _pick_dtype(device: str, torch: Any) -> Any:
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float16 if device == "mps" else torch.float32


class TransformersBackend:
    engine = "transformers"

    def __init__(self, model: str, base_id: str, device: str = "auto", context_length: int | None = None,
                 tensor_parallel_size: int = 1) -> None:
        check_packages()
        import torch  # noqa: PLC0415
        from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: PLC0415

        self.torch = torch
        self.base_id = base_id
        looks_like_path = model.startswith((".", "/", "~")) or os.sep in model.strip(os.sep).replace("/", "", 1)
        if looks_like_path and not os.path.isdir(os.path.expanduser(model)):
            raise TrainError("MODEL_NOT_FOUND", f"{model}: no such folder")
        # Several GPUs: the layers are split over the first N visible GPUs (accelerate's device_map), each GPU
        # holding its share; inputs go to the GPU of the first layers.
        gpus = transformers_gpus(tensor_parallel_size, device,
                                 torch.cuda.device_count() if torch.cuda.is_available() else 0)
        self.device = "cuda:0" if gpus else _pick_device(device, torch)
        self.dtype = _pick_dtype(self.device, torch)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(model)
            if gpus:
                memory = {index: int(torch.cuda.get_device_properties(index).total_memory * 0.9) for index in gpus}
                self.model = AutoModelForCausalLM.from_pretrained(model, dtype=self.dtype, device_map="auto",
                                                                  max_memory=memory).eval()
                self.device = str(self.model.get_input_embeddings().weight.device)
            else:
                self.model = AutoModelForCausalLM.from_pretrained(model, dtype=self.dtype).to(self.device).eval()
        except OSError as error:
            raise TrainError("MODEL_NOT_FOUND", f"{model}: {error}"[:1000]) from error
        except Exception as error:  # noqa: BLE001 - reported with its code, not a traceback
            raise TrainError("MODEL_LOAD_FAILED", f"{model}: {type(error).__name__}: {error}"[:1000]) from error
        self.tokenizer.padding_side = "left"
        config = self.model.config
        self.context_length = int(context_length or getattr(config, "max_position_embeddings", None)
                                  or min(getattr(self.tokenizer, "model_max_length", 4096), 1 << 20))
        generation = self.model.generation_config
        eos = generation.eos_token_id if generation.eos_token_id is not None else self.tokenizer.eos_token_id
        self.eos_ids = {int(t) for t in (eos if isinstance(eos, (list, tuple)) else [eos]) if t is not None}
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else generation.pad_token_id
        self.pad_id = int(pad if pad is not None else min(self.eos_ids, default=0))
        self.has_template = bool(getattr(self.tokenizer, "chat_template", None))
        self.peft_model: Any = None
        self.adapters: dict[str, AdapterInfo] = {}
        self._tokenizer_lock = threading.Lock()  # fast tokenizers refuse concurrent use ("Already borrowed")

    @property
    def mixed_adapters(self) -> bool:
        return all(info.peft_type == "LORA" and not info.use_dora for info in self.adapters.values())

    # ------------------------------------------------------------------ requests
    def prepare(self, request: ChatRequest, adapter: str | None) -> tuple[Any, int]:
        with self._tokenizer_lock:
            if self.has_template:
                try:
                    text = self.tokenizer.apply_chat_template(request.messages, add_generation_prompt=True,
                                                              tokenize=False)
                except Exception as error:  # noqa: BLE001 - a template that raises (e.g. on roles) is the caller's 400
                    raise ServeError(400, f"The model's chat template rejected the messages: {error}"[:500],
                                     "messages", "invalid_messages") from error
            else:
                text = render_fallback(request.messages)
            ids = list(self.tokenizer(text, add_special_tokens=False)["input_ids"])
        return ids, len(ids)

    def run_batch(self, rows: list[PreparedRow]) -> None:
        torch = self.torch
        # From their own modules: transformers 5 no longer exports BaseStreamer at its top level.
        from transformers.generation.stopping_criteria import StoppingCriteria, StoppingCriteriaList  # noqa: PLC0415
        from transformers.generation.streamers import BaseStreamer  # noqa: PLC0415

        decoders = [IncrementalDecoder(self.tokenizer) for _ in rows]
        eos_ids = self.eos_ids
        tokenizer_lock = self._tokenizer_lock

        class BatchStreamer(BaseStreamer):
            def __init__(self) -> None:
                self.prompt_seen = False

            def put(self, value: Any) -> None:
                if not self.prompt_seen:  # generate's first call hands over the prompt
                    self.prompt_seen = True
                    return
                tokens = value.reshape(len(rows), -1)[:, -1].tolist()
                with tokenizer_lock:  # decoding borrows the tokenizer that request threads use in prepare()
                    pieces = [None if row.state.finished or token in eos_ids else decoder.add(int(token))
                              for row, decoder, token in zip(rows, decoders, tokens)]
                for row, token, piece in zip(rows, tokens, pieces):
                    if row.state.finished:
                        continue
                    if piece is None:
                        row.state.end_of_turn()
                    else:
                        row.state.push(piece)

            def end(self) -> None:
                pass

        class RowStopping(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                return torch.tensor([row.state.finished for row in rows], dtype=torch.bool, device=input_ids.device)

        longest = max(len(row.prompt) for row in rows)
        input_ids = torch.full((len(rows), longest), self.pad_id, dtype=torch.long)
        attention_mask = torch.zeros((len(rows), longest), dtype=torch.long)
        for index, row in enumerate(rows):
            length = len(row.prompt)
            input_ids[index, longest - length:] = torch.tensor(row.prompt, dtype=torch.long)
            attention_mask[index, longest - length:] = 1
        first = rows[0].request
        config = copy.deepcopy(self.model.generation_config)
        config.do_sample = first.do_sample
        config.temperature = first.temperature if first.do_sample else 1.0
        config.top_p = first.top_p if first.do_sample else 1.0
        config.top_k = None
        config.max_new_tokens = max(row.state.max_tokens for row in rows)
        config.pad_token_id = self.pad_id
        config.eos_token_id = sorted(eos_ids) or None
        if first.seed is not None:
            torch.manual_seed(first.seed)
        kwargs: dict[str, Any] = {"input_ids": input_ids.to(self.device),
                                  "attention_mask": attention_mask.to(self.device), "generation_config": config,
                                  "streamer": BatchStreamer(),
                                  "stopping_criteria": StoppingCriteriaList([RowStopping()])}
        with torch.inference_mode():
            if self.peft_model is None:
                self.model.generate(**kwargs)
            elif self.mixed_adapters:
                self.peft_model.generate(**kwargs, adapter_names=[row.adapter or BASE_ADAPTER_NAME for row in rows])
            elif rows[0].adapter is None:
                with self.peft_model.disable_adapter():
                    self.peft_model.generate(**kwargs)
            else:
                self.peft_model.set_adapter(rows[0].adapter)
                self.peft_model.generate(**kwargs)

    # ------------------------------------------------------------------ adapters
    def load_adapter(self, name: str, path: str) -> None:
        info = read_adapter_config(path)
        from peft import PeftConfig, PeftModel  # noqa: PLC0415

        first = self.peft_model is None
        try:
            if first:
                # PeftModel.from_pretrained in its two steps, so that a failure while reading the weights leaves
                # a wrapper to take the injected LoRA layers out of self.model again.
                config = PeftConfig.from_pretrained(path)
                config.inference_mode = True
                self.peft_model = PeftModel(self.model, config, adapter_name=name)
            self.peft_model.load_adapter(path, adapter_name=name)
            self.peft_model.eval()
        except Exception as error:  # noqa: BLE001 - whatever PEFT raised, undo what it left, then report it
            self._discard_failed_adapter(name)
            raise AdapterInvalid(f"{path}: PEFT could not load it: {type(error).__name__}: {error}"[:800]) from error
        self.adapters[name] = info

    def _discard_failed_adapter(self, name: str) -> None:
        """A failed load can leave LoRA layers named `name` in the model: delete them, or, when no other adapter is
        loaded, take PEFT out and serve the plain model again (as unloading the last adapter does)."""
        peft_model, self.peft_model = self.peft_model, None
        if peft_model is None:
            return
        try:
            if not self.adapters:
                self.model = peft_model.unload()
                return
            if name in getattr(peft_model, "peft_config", {}):
                peft_model.delete_adapter(name)
            self.peft_model = peft_model
        except Exception:  # noqa: BLE001 - best effort; the load's own error is what the caller hears
            if self.adapters:
                self.peft_model = peft_model

    def unload_adapter(self, name: str) -> None:
        if self.peft_model is None or name not in self.adapters:
            return
        del self.adapters[name]
        if self.adapters:
            self.peft_model.delete_adapter(name)
        else:  # the last one: take the LoRA layers out and serve the plain model again
            self.model = self.peft_model.unload()
            self.peft_model = None
        if self.device.startswith("cuda"):
            self.torch.cuda.empty_cache()

    def close(self) -> None:
        self.peft_model = None
        self.model = None
