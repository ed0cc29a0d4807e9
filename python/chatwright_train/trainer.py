"""The training job: transformers' Trainer + PEFT, with events, stop-and-save, checkpoints on demand and resume.

Heavy imports (torch, transformers, peft) happen inside functions so `python -m chatwright_train env probe` and
the pure modules work without them."""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .batching import BatchCollator, PlannedBatches, plan_batches
from .config import JobConfig, effective_packing
from .control import JobControl
from .distributed import plan_batch
from .errors import ERROR_ACTIONS, TrainError
from .events import EventWriter
from .masking import ConversionStats, Example, convert_rows
from .ranks import (AppliedBatch, RankFailureWatcher, RankInfo, TerminalGate, agree_on_requests, apply_batch_plan,
                    distributed_payload, expected_backend, failure_event_fields, launcher_strategy, model_device_map,
                    torch_all_reduce, weights_sharded)
from .rows import Row, find_eval_sibling, load_rows, split_eval

CHECKPOINTS_DIR = "checkpoints"
ADAPTER_DIR = "adapter"
MERGED_DIR = "merged"
PAD_CANDIDATES = ("<|finetune_right_pad_id|>", "<pad>", "<|pad|>", "[PAD]", "<|endoftext|>", "<unk>")


@dataclass
class PreparedData:
    train: list[Example]
    eval: list[Example]
    train_stats: ConversionStats
    eval_stats: ConversionStats | None
    kind: str
    eval_source: str | None


def require_packages() -> None:
    from .probe import probe_packages  # noqa: PLC0415

    report = probe_packages()
    if report["missing_or_old"]:
        raise TrainError("PACKAGES_MISSING", "missing or too old: " + ", ".join(report["missing_or_old"]),
                         {"install_command": report["install_command"],
                          "requirements_command": report["requirements_command"]})


def choose_precision(requested: str) -> str:
    import torch  # noqa: PLC0415

    if requested != "auto":
        return requested
    if torch.cuda.is_available():
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return "fp32"


def load_tokenizer(config: JobConfig, events: EventWriter | None) -> Any:
    from transformers import AutoTokenizer  # noqa: PLC0415

    try:
        tokenizer = AutoTokenizer.from_pretrained(config.model.path, trust_remote_code=config.model.trust_remote_code)
    except Exception as error:  # noqa: BLE001 - any loader failure is the same user problem
        raise TrainError("MODEL_LOAD_FAILED", f"{config.model.path}: tokenizer: {error}") from error
    if config.data.chat_template:
        tokenizer.chat_template = config.data.chat_template
    ensure_distinct_pad_token(tokenizer, events)
    return tokenizer


def ensure_distinct_pad_token(tokenizer: Any, events: EventWriter | None) -> None:
    """Padding with EOS is harmless to the labels here (they come from turn spans, never from pad ids), but a model
    trained where EOS doubles as padding learns to ignore it in recipes that mask pads; pick a distinct one."""
    eos, pad = tokenizer.eos_token, tokenizer.pad_token
    if pad is not None and pad != eos:
        return
    vocabulary = tokenizer.get_vocab()
    for candidate in PAD_CANDIDATES:
        if candidate != eos and candidate in vocabulary:
            tokenizer.pad_token = candidate
            if events:
                events.warning("PAD_TOKEN_CHANGED", f"pad token was {pad!r} (the EOS token); using {candidate!r}",
                               previous=pad, pad_token=candidate)
            return
    if events:
        events.warning("PAD_TOKEN_IS_EOS", f"the pad token is the EOS token {eos!r} and the vocabulary has no other "
                                           "pad-like token; padded positions are masked out of attention and loss, "
                                           "so EOS is still trained at the end of each turn")
    if pad is None:
        tokenizer.pad_token = eos


def prepare_data(config: JobConfig, tokenizer: Any, events: EventWriter | None) -> PreparedData:
    rows = load_rows(config.data.train, config.data.format, config.data.max_file_bytes)
    kind = rows[0].kind
    if kind in ("messages",) or (kind == "prompt_completion" and isinstance(rows[0].value.get("prompt"), list)):
        if not getattr(tokenizer, "chat_template", None):
            raise TrainError("NO_CHAT_TEMPLATE", f"{config.model.path}: the tokenizer has no chat template, and "
                                                 f"{config.data.train} holds chat rows")
    eval_rows: list[Row] = []
    eval_source: str | None = None
    if config.data.eval == "auto":
        sibling = find_eval_sibling(config.data.train)
        if sibling is not None:
            eval_rows = load_rows(sibling, kind, config.data.max_file_bytes)
            eval_source = str(sibling)
        else:
            rows, eval_rows = split_eval(rows, config.data.eval_fraction, config.training.seed)
            eval_source = f"{len(eval_rows)} rows held out of {config.data.train}" if eval_rows else None
    elif config.data.eval:
        eval_rows = load_rows(config.data.eval, kind, config.data.max_file_bytes)
        eval_source = config.data.eval
    train, train_stats = convert_rows(tokenizer, rows, config.data.max_seq_length, config.data.overlong)
    eval_examples: list[Example] = []
    eval_stats = None
    if eval_rows:
        try:
            eval_examples, eval_stats = convert_rows(tokenizer, eval_rows, config.data.max_seq_length,
                                                     config.data.overlong)
        except TrainError as error:
            if error.code != "LOSS_MASK_EMPTY":
                raise
            if events:
                events.warning("EVAL_EMPTY", f"no eval row keeps a trained token; training without eval ({error})")
    if events:
        for stats, name in ((train_stats, "train"), (eval_stats, "eval")):
            if stats is None:
                continue
            if stats.problems:
                events.warning("ROWS_SKIPPED", f"{len(stats.problems)} {name} row(s) skipped: {stats.problems[0]}",
                               split=name, errors=stats.problems[:20])
            if stats.missing_end_of_turn:
                events.warning("NO_END_OF_TURN", f"{stats.missing_end_of_turn} {name} assistant turn(s) have no "
                                                 "end-of-turn special token after them in the rendered template",
                               split=name)
            if stats.truncated or stats.dropped_overlong:
                events.warning("ROWS_OVERLONG", f"{name}: {stats.truncated} truncated, {stats.dropped_overlong} "
                                                f"dropped at max_seq_length={config.data.max_seq_length}", split=name)
    return PreparedData(train, eval_examples, train_stats, eval_stats, kind, eval_source)


def resolve_attention(requested: str) -> str:
    if requested != "auto":
        return requested
    try:
        import flash_attn  # noqa: F401, PLC0415
        import torch  # noqa: PLC0415

        if torch.cuda.is_available() and torch.cuda.get_device_capability()[0] >= 8:
            return "flash_attention_2"
    except ImportError:
        pass
    return "sdpa"


def load_model(config: JobConfig, precision: str, attention: str, rank: RankInfo | None = None) -> Any:
    import torch  # noqa: PLC0415
    from transformers import AutoModelForCausalLM  # noqa: PLC0415

    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[precision]
    kwargs: dict[str, Any] = {"dtype": dtype, "attn_implementation": attention,
                              "trust_remote_code": config.model.trust_remote_code}
    if config.method.type == "qlora":
        try:
            import bitsandbytes  # noqa: F401, PLC0415
        except ImportError as error:
            raise TrainError("NO_GPU_FOR_QLORA", "bitsandbytes is not installed",
                             {"install_command": 'python -m pip install "bitsandbytes>=0.45"'}) from error
        if not torch.cuda.is_available():
            raise TrainError("NO_GPU_FOR_QLORA", "QLoRA needs a CUDA GPU; none is visible")
        from transformers import BitsAndBytesConfig  # noqa: PLC0415

        q = config.method.quantization
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type=q.quant_type, bnb_4bit_use_double_quant=q.double_quant,
            bnb_4bit_compute_dtype=getattr(torch, q.compute_dtype))
        kwargs["dtype"] = getattr(torch, q.compute_dtype)
    rank = rank or RankInfo()
    device_map = model_device_map(launcher_strategy(), rank, torch.cuda.is_available(), config.method.type == "qlora")
    if device_map is not None:
        if rank.is_distributed:
            torch.cuda.set_device(rank.local_rank)
        kwargs["device_map"] = device_map
    try:
        model = AutoModelForCausalLM.from_pretrained(config.model.path, **kwargs)
    except TrainError:
        raise
    except Exception as error:  # noqa: BLE001
        raise TrainError("MODEL_LOAD_FAILED", f"{config.model.path}: {type(error).__name__}: {error}") from error
    model.config.use_cache = False
    return model


def peft_config_for(config: JobConfig) -> Any:
    from peft import LoraConfig, PromptTuningConfig, PromptTuningInit, TaskType  # noqa: PLC0415

    if config.method.type == "prompt_tuning":
        p = config.method.prompt_tuning
        return PromptTuningConfig(
            task_type=TaskType.CAUSAL_LM, num_virtual_tokens=p.num_virtual_tokens,
            prompt_tuning_init=PromptTuningInit.TEXT if p.init == "text" else PromptTuningInit.RANDOM,
            prompt_tuning_init_text=p.init_text if p.init == "text" else None,
            tokenizer_name_or_path=config.model.path if p.init == "text" else None)
    lora = config.method.lora
    return LoraConfig(task_type=TaskType.CAUSAL_LM, r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                      target_modules=lora.target_modules, use_rslora=lora.use_rslora, use_dora=lora.use_dora,
                      bias="none")


def wrap_with_peft(model: Any, config: JobConfig) -> Any:
    from peft import get_peft_model, prepare_model_for_kbit_training  # noqa: PLC0415

    if config.method.type == "qlora":
        model = prepare_model_for_kbit_training(
            model, use_gradient_checkpointing=config.training.gradient_checkpointing,
            gradient_checkpointing_kwargs={"use_reentrant": False})
    return get_peft_model(model, peft_config_for(config))


def find_resume_checkpoint(config: JobConfig, checkpoints: Path) -> str | None:
    setting = config.training.resume
    if setting == "never":
        return None
    if setting != "auto":
        path = Path(setting)
        if not (path / "trainer_state.json").is_file():
            raise TrainError("RESUME_FAILED", f"{path}: not a checkpoint folder (no trainer_state.json)")
        return str(path)
    if not checkpoints.is_dir():
        return None
    from transformers.trainer_utils import get_last_checkpoint  # noqa: PLC0415

    return get_last_checkpoint(str(checkpoints))


def check_resume_matches(checkpoint: str, config: JobConfig) -> None:
    """A checkpoint of another method or rank would load with confusing errors deep in PEFT; say it plainly."""
    adapter_config = Path(checkpoint) / "adapter_config.json"
    if not adapter_config.is_file():
        raise TrainError("RESUME_FAILED", f"{checkpoint}: no adapter_config.json in the checkpoint")
    try:
        saved = json.loads(adapter_config.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise TrainError("RESUME_FAILED", f"{adapter_config}: {error}") from error
    expected_type = "PROMPT_TUNING" if config.method.type == "prompt_tuning" else "LORA"
    if saved.get("peft_type") != expected_type:
        raise TrainError("RESUME_FAILED", f"{checkpoint} holds a {saved.get('peft_type')} adapter; this job trains "
                                          f"{expected_type}")
    if expected_type == "LORA" and saved.get("r") != config.method.lora.r:
        raise TrainError("RESUME_FAILED", f"{checkpoint} has LoRA rank {saved.get('r')}; the job asks for "
                                          f"{config.method.lora.r}")


def training_arguments(config: JobConfig, output_dir: Path, precision: str, has_eval: bool,
                       gradient_accumulation_steps: int | None = None) -> Any:
    import dataclasses  # noqa: PLC0415

    from transformers import TrainingArguments  # noqa: PLC0415

    t = config.training
    known = {f.name for f in dataclasses.fields(TrainingArguments)}
    eval_steps = t.eval_steps or t.save_steps
    wanted: dict[str, Any] = {
        "output_dir": str(output_dir),
        "num_train_epochs": t.epochs,
        "max_steps": t.max_steps,
        "per_device_train_batch_size": 1,  # one planned batch per item (batching.py)
        "per_device_eval_batch_size": 1,
        "gradient_accumulation_steps": gradient_accumulation_steps or t.gradient_accumulation_steps,
        "learning_rate": t.learning_rate,
        "lr_scheduler_type": t.lr_scheduler,
        "weight_decay": t.weight_decay,
        "max_grad_norm": t.max_grad_norm,
        "seed": t.seed,
        "data_seed": t.seed,
        "bf16": precision == "bf16",
        "fp16": precision == "fp16",
        "gradient_checkpointing": t.gradient_checkpointing,
        "gradient_checkpointing_kwargs": {"use_reentrant": False} if t.gradient_checkpointing else None,
        "logging_strategy": "steps",
        "logging_steps": t.logging_steps,
        "save_strategy": "steps",
        "save_steps": t.save_steps,
        "save_total_limit": t.save_total_limit,
        "eval_strategy": "steps" if has_eval else "no",
        "eval_steps": eval_steps if has_eval else None,
        "prediction_loss_only": True,
        "remove_unused_columns": False,
        "report_to": "none",
        "dataloader_num_workers": t.dataloader_workers,
        "dataloader_pin_memory": True,
        "disable_tqdm": True,
        "optim": "adamw_torch_fused" if precision != "fp32" else "adamw_torch",
    }
    # transformers 5 takes a ratio in warmup_steps (a float < 1); 4.x had warmup_ratio.
    if "warmup_ratio" in known:
        wanted["warmup_ratio"] = t.warmup_ratio
    else:
        wanted["warmup_steps"] = t.warmup_ratio
    return TrainingArguments(**{k: v for k, v in wanted.items() if k in known})


class TokenMeter:
    """Tokens the model consumed since the last reading (counted on the CPU, from the collator)."""

    def __init__(self) -> None:
        self.tokens = 0
        self.total = 0

    def add(self, count: int) -> None:
        self.tokens += count
        self.total += count

    def take(self) -> int:
        count, self.tokens = self.tokens, 0
        return count


def make_trainer_class() -> type:
    import torch  # noqa: PLC0415
    from transformers import Trainer  # noqa: PLC0415

    from .fused_loss import causal_lm_loss_sum, make_frozen_head_cross_entropy  # noqa: PLC0415

    class ChatwrightTrainer(Trainer):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, token_meter: TokenMeter, fused_loss: bool, autocast_dtype: Any,
                     **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.token_meter = token_meter
            self.fused_loss = fused_loss
            self.autocast_dtype = autocast_dtype
            self._cross_entropy = make_frozen_head_cross_entropy() if fused_loss else None

        def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False,
                         num_items_in_batch: Any = None) -> Any:
            num_tokens = inputs.pop("num_tokens", None)
            if model.training and isinstance(num_tokens, int):
                self.token_meter.add(num_tokens)
            if not self.fused_loss:
                return super().compute_loss(model, inputs, return_outputs=return_outputs,
                                            num_items_in_batch=num_items_in_batch)
            labels = inputs.pop("labels")
            causal_lm = model.get_base_model() if hasattr(model, "get_base_model") else model
            decoder = causal_lm.get_decoder() if hasattr(causal_lm, "get_decoder") else causal_lm.model
            device_type = labels.device.type
            with torch.autocast(device_type, dtype=self.autocast_dtype, enabled=self.autocast_dtype is not None):
                hidden = decoder(**inputs, use_cache=False).last_hidden_state
                loss_sum, count = causal_lm_loss_sum(causal_lm, hidden, labels, self._cross_entropy)
            if num_items_in_batch is not None and model.training:
                denominator = num_items_in_batch.to(loss_sum.device) if torch.is_tensor(num_items_in_batch) \
                    else num_items_in_batch
                loss = loss_sum / denominator
            else:
                loss = loss_sum / max(count, 1)
            return (loss, {"loss": loss}) if return_outputs else loss

    return ChatwrightTrainer


def make_event_callback(events: EventWriter, control_requests: JobControl, meter: TokenMeter) -> Any:
    import torch  # noqa: PLC0415
    from transformers import TrainerCallback  # noqa: PLC0415

    class EventCallback(TrainerCallback):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            self.last_log_time = time.monotonic()
            self.start_time = self.last_log_time
            self.start_step = 0
            self.pending_reason = "interval"
            # All-reduces over the processes once torch.distributed is up (the Trainer starts it); None alone.
            self.reduce_max = torch_all_reduce("max")
            self.reduce_sum = torch_all_reduce("sum")

        def on_train_begin(self, args: Any, state: Any, control: Any, **_: Any) -> None:
            self.start_time = self.last_log_time = time.monotonic()
            self.start_step = state.global_step
            self.reduce_max = torch_all_reduce("max")
            self.reduce_sum = torch_all_reduce("sum")
            meter.take()
            if torch.cuda.is_available():
                torch.cuda.reset_peak_memory_stats()

        def on_step_end(self, args: Any, state: Any, control: Any, **_: Any) -> Any:
            # Every process runs this after the same optimizer step; deciding on the all-reduced requests keeps them
            # saving and stopping together (one that stopped alone would leave the others in a collective forever).
            request = control_requests.take_checkpoint_request()
            agreed = agree_on_requests(control_requests.poll_stop(), request is not None, self.reduce_max)
            if agreed.checkpoint:
                control.should_save = True
                self.pending_reason = f"on-demand ({request or 'another process'})"
            if agreed.stop:
                if not control_requests.stop_requested:
                    control_requests.request_stop("stop asked of another process")
                control.should_save = True
                control.should_training_stop = True
                self.pending_reason = "stop"
            return control

        def on_save(self, args: Any, state: Any, control: Any, **_: Any) -> None:
            path = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            events.emit("checkpoint", step=state.global_step, path=str(path), reason=self.pending_reason)
            self.pending_reason = "interval"

        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **_: Any) -> None:
            logs = logs or {}
            now = time.monotonic()
            if "loss" in logs:
                elapsed = max(now - self.last_log_time, 1e-9)
                done = state.global_step - self.start_step
                per_step = (now - self.start_time) / done if done > 0 else None
                # Every process logs at the same steps (the Trainer gathers the loss there), so the tokens of all
                # of them can be summed here: the throughput of the whole run, not of the first GPU.
                tokens = meter.take()
                if self.reduce_sum is not None:
                    tokens = self.reduce_sum([tokens])[0]
                remaining = max(state.max_steps - state.global_step, 0)
                fields: dict[str, Any] = {
                    "step": state.global_step, "total_steps": state.max_steps,
                    "epoch": round(float(state.epoch or 0.0), 4), "loss": logs.get("loss"),
                    "learning_rate": logs.get("learning_rate"), "grad_norm": logs.get("grad_norm"),
                    "tokens_per_second": round(tokens / elapsed, 1),
                    "eta_seconds": round(per_step * remaining, 1) if per_step is not None else None,
                }
                if torch.cuda.is_available():
                    fields["gpu_memory_bytes"] = int(torch.cuda.memory_allocated())
                    fields["gpu_memory_peak_bytes"] = int(torch.cuda.max_memory_allocated())
                events.emit("step", **fields)
                self.last_log_time = now
            elif "eval_loss" in logs:
                events.emit("eval", step=state.global_step, eval_loss=logs["eval_loss"],
                            eval_runtime_seconds=logs.get("eval_runtime"))

    return EventCallback()


def target_strategy(config: JobConfig) -> str:
    """How the processes share the work: what the launcher set up (DeepSpeed, FSDP), else the job's
    `target.strategy` (`ddp` when the job file has no target)."""
    launched = launcher_strategy()
    return launched if launched is not None else config.target.strategy


def requested_batch(config: JobConfig) -> AppliedBatch:
    t = config.training
    return AppliedBatch(t.per_device_batch_size, t.gradient_accumulation_steps, 1,
                        t.per_device_batch_size * t.gradient_accumulation_steps)


def run_training(config: JobConfig, run_dir: Path | str, events: EventWriter, control: JobControl,
                 extra_callbacks: list[Any] | None = None, *, rank: RankInfo | None = None,
                 batch: AppliedBatch | None = None) -> dict[str, Any]:
    """Runs the whole job; returns the `done`/`stopped` payload. Raises TrainError for expected failures.
    `extra_callbacks` (TrainerCallbacks) are for measurements such as the GPU benchmark. `rank` and `batch`: this
    process's place among several and the per-process batch it trains with (run_job works them out)."""
    run_path = Path(run_dir)
    rank = rank or RankInfo()
    batch = batch or requested_batch(config)
    events.phase("probing")
    require_packages()
    import torch  # noqa: PLC0415

    from .probe import probe_gpus  # noqa: PLC0415

    gpus = probe_gpus()
    precision = choose_precision(config.training.precision)
    if precision == "bf16" and torch.cuda.is_available() and not torch.cuda.is_bf16_supported():
        raise TrainError("CONFIG_INVALID", "training.precision: bf16 is not supported by this GPU; use fp16 or auto")
    attention = resolve_attention(config.model.attn_implementation)
    packing = effective_packing(config.data.packing, attention)
    if config.method.type == "prompt_tuning" and packing == "padding_free":
        # PEFT prepends the virtual tokens to each row; in a packed row only the first sequence would see them.
        packing = "grouped"
    events.emit("environment", precision=precision, attn_implementation=attention, packing=packing,
                cuda=gpus.get("cuda"), torch=gpus.get("torch"), gpus=gpus.get("gpus"))

    events.phase("loading_model", model=config.model.path)
    tokenizer = load_tokenizer(config, events)

    events.phase("preparing_data", train=config.data.train)
    data = prepare_data(config, tokenizer, events)
    batch_size = batch.per_device_batch_size
    train_plan = plan_batches([len(e.input_ids) for e in data.train], batch_size, packing, config.training.seed)
    eval_plan = plan_batches([len(e.input_ids) for e in data.eval], batch_size, "grouped", 0) if data.eval else []
    events.emit("data", format=data.kind, train_examples=len(data.train), eval_examples=len(data.eval),
                eval_source=data.eval_source, train_tokens=data.train_stats.tokens,
                trained_tokens=data.train_stats.trained_tokens, truncated=data.train_stats.truncated,
                dropped=data.train_stats.dropped_overlong + data.train_stats.dropped_no_labels,
                batches_per_epoch=len(train_plan))

    from transformers import set_seed  # noqa: PLC0415

    # The Trainer seeds only when it is built, after PEFT has drawn the adapter's initial weights from the global
    # generator: without this, the same job gives a different starting adapter in each process.
    set_seed(config.training.seed)
    if config.training.deterministic:
        # Must precede the first cuBLAS call of this process to take effect.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
    checkpoints = run_path / CHECKPOINTS_DIR
    # Before the model (they depend only on the job and the precision): under DeepSpeed ZeRO-3 building them
    # registers DeepSpeed's config (accelerate's plugin, from ACCELERATE_USE_DEEPSPEED), so from_pretrained partitions
    # the weights as they load (zero.Init) instead of every process materialising the whole model first.
    args = training_arguments(config, checkpoints, precision, bool(data.eval), batch.gradient_accumulation_steps)
    # Its device sets up accelerate's state (torch.distributed under a launcher, and this process's GPU), which FSDP's
    # cpu_ram_efficient_loading needs to load on one process per node; with one plain process it is just this device.
    _ = args.device
    model = load_model(config, precision, attention, rank)
    model = wrap_with_peft(model, config)
    if config.training.gradient_checkpointing and config.method.type != "qlora":
        model.enable_input_require_grads()
    trainable, total = model.get_nb_trainable_parameters()
    events.emit("model", method=config.method.type, trainable_parameters=int(trainable), total_parameters=int(total))

    from .fused_loss import frozen_head_is_plain  # noqa: PLC0415

    # The fused loss reads the output head's weight outside its forward: not possible once the weights are sharded.
    fused = (config.method.type in ("lora", "qlora") and not weights_sharded(launcher_strategy())
             and frozen_head_is_plain(model.get_base_model()))
    resume = find_resume_checkpoint(config, checkpoints)
    if resume:
        check_resume_matches(resume, config)
    meter = TokenMeter()
    trainer_class = make_trainer_class()
    autocast_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    trainer = trainer_class(
        model=model, args=args, train_dataset=PlannedBatches(data.train, train_plan),
        eval_dataset=PlannedBatches(data.eval, eval_plan) if data.eval else None,
        data_collator=BatchCollator(packing, tokenizer.pad_token_id), processing_class=tokenizer,
        callbacks=[make_event_callback(events, control, meter), *(extra_callbacks or [])], token_meter=meter, fused_loss=fused,
        autocast_dtype=autocast_dtype)

    events.phase("training", resumed_from=resume, fused_loss=fused)
    try:
        result = trainer.train(resume_from_checkpoint=resume)
    except torch.cuda.OutOfMemoryError as error:
        raise TrainError("OUT_OF_MEMORY", str(error).splitlines()[0]) from error
    stopped = control.stop_requested

    events.phase("saving")
    adapter_dir = run_path / ADAPTER_DIR
    # Every process calls it: under ZeRO-3/FSDP saving gathers the shards; the Trainer writes on the first only.
    trainer.save_model(str(adapter_dir))
    reduce_sum = torch_all_reduce("sum")
    train_tokens = reduce_sum([meter.total])[0] if reduce_sum is not None else meter.total
    payload: dict[str, Any] = {"adapter": str(adapter_dir), "step": trainer.state.global_step,
                               "train_loss": getattr(result, "training_loss", None),
                               "train_tokens": train_tokens,
                               "runtime_seconds": (result.metrics or {}).get("train_runtime")}
    if torch.cuda.is_available():
        payload["gpu_memory_peak_bytes"] = int(torch.cuda.max_memory_allocated())
    if rank.is_distributed:
        # The adapter is complete on disk before anything reads it (the merge below) or a process exits.
        trainer.accelerator.wait_for_everyone()
        if not rank.is_main:
            return payload
    if config.output.merge and not stopped:
        events.phase("merging")
        del trainer, model
        torch.cuda.empty_cache()
        from .merge import merge_adapter  # noqa: PLC0415

        payload["merged"] = str(merge_adapter(config.model.path, adapter_dir, run_path / MERGED_DIR,
                                              config.output.merged_dtype, config.model.trust_remote_code))
    if stopped:
        payload["reason"] = control.stop_reason
    return payload


def cuda_available() -> bool | None:
    try:
        import torch  # noqa: PLC0415
    except ImportError:
        return None
    return bool(torch.cuda.is_available())


def run_job(config: JobConfig, run_dir: Path | str, events: EventWriter,
            extra_callbacks: list[Any] | None = None, rank: RankInfo | None = None) -> int:
    """Phases, signals and the terminal event around run_training. Exit codes: 0 done, 2 failed, 3 stopped.
    `rank`: this process's place among several (default: from the launcher's environment). Every process runs
    this; only the first one's `events` writes (the others get a SilentEventWriter, cli.py)."""
    rank = rank or RankInfo.from_env()
    control = JobControl(run_dir, world_size=rank.world_size)
    control.install_signal_handlers()
    gate = TerminalGate()
    watcher: RankFailureWatcher | None = None
    if rank.is_main and rank.is_distributed:
        def report_other_failure(record: dict[str, Any]) -> None:
            if gate.claim():
                code, message, action, extra = failure_event_fields(record)
                events.error(code, message, action, **extra)
                events.phase("failed", code=code)

        watcher = RankFailureWatcher(run_dir, report_other_failure).start()

    def fail(code: str, message: str, action: str, **details: Any) -> int:
        # Another process's failure explains this one (a collective it left); the watcher has the first word.
        if watcher is not None:
            watcher.check_once()
        if gate.claim():
            events.error(code, message, action, **details)
            events.phase("failed", code=code)
        return 2

    try:
        try:
            batch = apply_batch_plan(config.training.per_device_batch_size, config.training.gradient_accumulation_steps,
                                     rank.world_size, plan_batch)
        except TrainError:
            events.emit("run", config=config.to_json(), run_dir=str(run_dir))
            raise
        cuda = cuda_available()  # None without torch: the backend is not known (the trainer fails in probing)
        backend = expected_backend(rank, cuda) if rank.is_distributed and cuda is not None else None
        events.emit("run", config=config.to_json(), run_dir=str(run_dir),
                    distributed=distributed_payload(rank, target_strategy(config), batch, backend))
        payload = run_training(config, run_dir, events, control, extra_callbacks, rank=rank, batch=batch)
    except TrainError as error:
        return fail(error.code, error.message, error.action, **error.details)
    except KeyboardInterrupt:
        if gate.claim():
            events.phase("stopped", reason="interrupted twice: stopped without saving")
        return 3
    except Exception as error:  # noqa: BLE001 - the last line of defence: an event, never a bare traceback
        import traceback  # noqa: PLC0415

        code = "OUT_OF_MEMORY" if "out of memory" in str(error).lower() else "TRAINING_FAILED"
        return fail(code, f"{type(error).__name__}: {error}"[:2000], ERROR_ACTIONS[code],
                    traceback=traceback.format_exc()[-4000:])
    finally:
        control.restore_signal_handlers()
        if watcher is not None:
            watcher.stop()
    if not gate.claim():
        return 2
    if control.stop_requested:
        events.phase("stopped", **payload)
        return 3
    events.phase("done", **payload)
    return 0


def finite_or_none(value: Any) -> float | None:
    return value if isinstance(value, (int, float)) and math.isfinite(value) else None
