"""The resolved job config: JSON in (the TypeScript side owns the YAML job file and resolves it), a checked
`JobConfig` out. Every problem is reported with its dotted path; all of them at once, not just the first.

Defaults and why (PEFT's and the QLoRA paper's guidance):
- LoRA r=16, alpha=32 (alpha = 2r is the usual starting point), target `all-linear` (the QLoRA paper found adapting
  every linear layer matters more than r), dropout 0.0 (PEFT's own default; dropout > 0 makes PEFT copy each adapted
  layer's input, which costs time and memory), learning rate 2e-4.
- rsLoRA scales by alpha/sqrt(r) instead of alpha/r, which keeps higher ranks stable; DoRA decomposes magnitude and
  direction (slower per step, often better at low r). Both are off by default.
- QLoRA: 4-bit NF4, double quantization, bf16 compute (the paper's recipe).
- Prompt tuning: 20 virtual tokens, learning rate 3e-2 (soft prompts need a far larger rate than LoRA).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import TrainError

METHODS = ("lora", "qlora", "prompt_tuning")
DATA_FORMATS = ("auto", "messages", "prompt_completion", "text")
PRECISIONS = ("auto", "bf16", "fp16", "fp32")
ATTENTION_IMPLEMENTATIONS = ("auto", "sdpa", "eager", "flash_attention_2", "flash_attention_3", "flex_attention")
PACKING_MODES = ("auto", "padding_free", "grouped", "padded")
OVERLONG_POLICIES = ("truncate", "drop")
SCHEDULERS = ("linear", "cosine", "constant", "constant_with_warmup", "cosine_with_min_lr")
DEFAULT_LEARNING_RATE = {"lora": 2e-4, "qlora": 2e-4, "prompt_tuning": 3e-2}
TARGET_TYPES = ("local", "slurm")
DISTRIBUTED_STRATEGIES = ("ddp", "deepspeed_zero2", "deepspeed_zero3", "fsdp")
SLURM_TIME_FORMS = "minutes, mm:ss, hh:mm:ss, d-hh, d-hh:mm or d-hh:mm:ss"
# The options the generated sbatch script sets itself or that would fight what it writes, as
# `slurmOptionsSetByChatwright` in src/core/jobs/jobTargetChecks.ts: (names, what the message calls them (None: the
# names), the field to use instead, why none may be used, whether only a --gres that asks for GPUs clashes).
SLURM_OPTIONS_SET_BY_CHATWRIGHT: tuple[tuple[tuple[str, ...], str | None, str | None, str | None, bool], ...] = (
    (("--output", "-o"), None, None, "the job writes to the run folder's train.log", False),
    (("--error", "-e"), None, None, "the job writes to the run folder's train.log", False),
    (("--open-mode",), None, None, "train.log is appended to so resumed runs keep their log", False),
    (("--chdir", "-D"), None, None, "the job runs in its run folder", False),
    (("--parsable",), None, None, "Chatwright submits with it", False),
    (("--job-name", "-J"), None, "the job file's `name`", None, False),
    (("--nodes", "-N"), None, "`target.slurm.nodes`", None, False),
    (("--gpus-per-node", "--gpus", "-G", "--gpus-per-task"), "the GPUs (--gpus-per-node)", "`target.gpus` and `target.slurm.gpu_type`", None, False),
    (("--gres",), "the GPUs (--gpus-per-node)", "`target.gpus` and `target.slurm.gpu_type`", None, True),
    (("--ntasks-per-node", "--ntasks", "-n"), None, None, "one task per node starts one process per GPU", False),
    (("--cpus-per-task", "-c"), None, "`target.slurm.cpus_per_task`", None, False),
    (("--mem",), None, "`target.slurm.mem`", None, False),
    (("--qos", "-q"), None, "`target.slurm.qos`", None, False),
    (("--export",), None, None, "sbatch must carry the launch's environment to the job", False),
    (("--signal",), None, "`target.slurm.save_before_limit_seconds`", None, False),
    (
        ("--requeue", "--no-requeue"),
        None,
        None,
        "Chatwright writes --no-requeue: a requeued job would run again under the same id while its run looks ended; resume the job instead",
        False,
    ),
    (("--time", "-t"), None, "`target.slurm.time`", None, False),
    (("--partition", "-p"), None, "`target.slurm.partition`", None, False),
    (("--account", "-A"), None, "`target.slurm.account`", None, False),
)


@dataclass
class ModelConfig:
    path: str
    attn_implementation: str = "auto"
    trust_remote_code: bool = False


@dataclass
class DataConfig:
    train: str
    eval: str | None = "auto"  # "auto": a sibling valid/eval/validation file, else eval_fraction
    eval_fraction: float = 0.05
    format: str = "auto"
    max_seq_length: int = 2048
    packing: str = "auto"
    overlong: str = "truncate"
    chat_template: str | None = None
    max_file_bytes: int = 4 * 1024**3


@dataclass
class LoraSettings:
    r: int = 16
    alpha: float = 32.0
    dropout: float = 0.0
    target_modules: str | list[str] = "all-linear"
    use_rslora: bool = False
    use_dora: bool = False


@dataclass
class QuantizationSettings:
    quant_type: str = "nf4"
    double_quant: bool = True
    compute_dtype: str = "bfloat16"


@dataclass
class PromptTuningSettings:
    num_virtual_tokens: int = 20
    init: str = "random"
    init_text: str | None = None


@dataclass
class MethodConfig:
    type: str = "lora"
    lora: LoraSettings = field(default_factory=LoraSettings)
    quantization: QuantizationSettings = field(default_factory=QuantizationSettings)
    prompt_tuning: PromptTuningSettings = field(default_factory=PromptTuningSettings)


@dataclass
class TrainingConfig:
    epochs: float = 3.0
    max_steps: int = -1
    per_device_batch_size: int = 4
    gradient_accumulation_steps: int = 1
    learning_rate: float = 0.0  # 0: the method's default (DEFAULT_LEARNING_RATE)
    lr_scheduler: str = "cosine"
    warmup_ratio: float = 0.03
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    seed: int = 42
    precision: str = "auto"
    gradient_checkpointing: bool = False
    logging_steps: int = 1
    eval_steps: int = 0  # 0: evaluate at each save
    save_steps: int = 100
    save_total_limit: int = 2
    resume: str = "auto"  # "auto" | "never" | a checkpoint folder
    dataloader_workers: int = 0
    deterministic: bool = False  # deterministic algorithms: reproducible runs, somewhat slower


@dataclass
class OutputConfig:
    merge: bool = False
    merged_dtype: str = "bfloat16"


@dataclass
class SlurmTarget:
    """`target.slurm`: what the generated sbatch script asks for (defaults as `defaultTarget` in jobTarget.ts)."""
    partition: str | None = None
    nodes: int = 1
    time: str = "04:00:00"
    account: str | None = None
    qos: str | None = None
    cpus_per_task: int | None = None
    mem: str | None = None
    gpu_type: str | None = None
    sbatch: list[str] = field(default_factory=list)
    setup: list[str] = field(default_factory=list)
    python: str | None = None
    save_before_limit_seconds: int = 300


@dataclass
class TargetConfig:
    """Where the job runs. The trainer itself reads only what concerns it (the launcher sets WORLD_SIZE and the
    ranks); the rest is checked here so that a config that reaches the trainer is one the TypeScript side accepts."""
    type: str = "local"
    gpus: int = 1
    strategy: str = "ddp"
    main_port: int = 29500
    slurm: SlurmTarget = field(default_factory=SlurmTarget)


@dataclass
class JobConfig:
    model: ModelConfig
    data: DataConfig
    method: MethodConfig = field(default_factory=MethodConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    target: TargetConfig = field(default_factory=TargetConfig)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, path: str, problem: str) -> None:
        self.errors.append(f"{path}: {problem}")

    def section(self, raw: Any, path: str, known: tuple[str, ...]) -> dict[str, Any]:
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.fail(path, f"must be an object, got {type(raw).__name__}")
            return {}
        for key in raw:
            if key not in known:
                close = [k for k in known if k.replace("_", "") == str(key).replace("_", "").lower()]
                hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"
                self.fail(f"{path}.{key}" if path else str(key), f"unknown field{hint}")
        return raw

    def string(self, raw: dict[str, Any], key: str, path: str, default: Any, choices: tuple[str, ...] | None = None,
               required: bool = False) -> Any:
        if key not in raw or raw[key] is None:
            if required:
                self.fail(f"{path}.{key}", "is required")
            return default
        value = raw[key]
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{path}.{key}", f"must be a non-empty string, got {value!r}")
            return default
        if choices is not None and value not in choices:
            self.fail(f"{path}.{key}", f"must be one of {', '.join(choices)}; got {value!r}")
            return default
        return value

    def boolean(self, raw: dict[str, Any], key: str, path: str, default: bool) -> bool:
        if key not in raw:
            return default
        if not isinstance(raw[key], bool):
            self.fail(f"{path}.{key}", f"must be true or false, got {raw[key]!r}")
            return default
        return raw[key]

    def integer(self, raw: dict[str, Any], key: str, path: str, default: int, minimum: int | None = None,
                maximum: int | None = None) -> int:
        if key not in raw:
            return default
        value = raw[key]
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                self.fail(f"{path}.{key}", f"must be an integer, got {value!r}")
                return default
        if minimum is not None and value < minimum:
            self.fail(f"{path}.{key}", f"must be at least {minimum}, got {value}")
            return default
        if maximum is not None and value > maximum:
            self.fail(f"{path}.{key}", f"must be at most {maximum}, got {value}")
            return default
        return value

    def number(self, raw: dict[str, Any], key: str, path: str, default: float, minimum: float | None = None,
               maximum: float | None = None, exclusive_minimum: bool = False) -> float:
        if key not in raw:
            return default
        value = raw[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.fail(f"{path}.{key}", f"must be a finite number, got {value!r}")
            return default
        value = float(value)
        if minimum is not None and (value <= minimum if exclusive_minimum else value < minimum):
            self.fail(f"{path}.{key}", f"must be {'greater than' if exclusive_minimum else 'at least'} {minimum}, "
                                       f"got {value:g}")
            return default
        if maximum is not None and value > maximum:
            self.fail(f"{path}.{key}", f"must be at most {maximum}, got {value:g}")
            return default
        return value


def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(cls.__dataclass_fields__)  # type: ignore[attr-defined]


def resolve_config(raw: Any) -> JobConfig:
    """Checks a parsed config and fills defaults. Raises TrainError(CONFIG_INVALID) listing every problem."""
    c = _Checker()
    top = c.section(raw, "", ("model", "data", "method", "training", "output", "target"))
    if raw is not None and not isinstance(raw, dict):
        raise TrainError("CONFIG_INVALID", "the config must be a JSON object", {"errors": c.errors})

    m = c.section(top.get("model"), "model", _field_names(ModelConfig))
    if "model" not in top:
        c.fail("model", "is required")
    model = ModelConfig(
        path=c.string(m, "path", "model", "", required="model" in top),
        attn_implementation=c.string(m, "attn_implementation", "model", "auto", ATTENTION_IMPLEMENTATIONS),
        trust_remote_code=c.boolean(m, "trust_remote_code", "model", False),
    )

    d = c.section(top.get("data"), "data", _field_names(DataConfig))
    if "data" not in top:
        c.fail("data", "is required")
    eval_value: str | None = "auto"
    if "eval" in d:
        if d["eval"] is None or d["eval"] is False:
            eval_value = None
        elif isinstance(d["eval"], str) and d["eval"].strip():
            eval_value = d["eval"]
        else:
            c.fail("data.eval", f"must be a file path, \"auto\" or null, got {d['eval']!r}")
    data = DataConfig(
        train=c.string(d, "train", "data", "", required="data" in top),
        eval=eval_value,
        eval_fraction=c.number(d, "eval_fraction", "data", 0.05, 0.0, 0.5),
        format=c.string(d, "format", "data", "auto", DATA_FORMATS),
        max_seq_length=c.integer(d, "max_seq_length", "data", 2048, 16, 1_048_576),
        packing=_packing(c, d),
        overlong=c.string(d, "overlong", "data", "truncate", OVERLONG_POLICIES),
        chat_template=c.string(d, "chat_template", "data", None),
        max_file_bytes=c.integer(d, "max_file_bytes", "data", 4 * 1024**3, 1),
    )

    me = c.section(top.get("method"), "method", _field_names(MethodConfig))
    method_type = c.string(me, "type", "method", "lora", METHODS)
    lo = c.section(me.get("lora"), "method.lora", _field_names(LoraSettings))
    targets: str | list[str] = "all-linear"
    if "target_modules" in lo:
        t = lo["target_modules"]
        if isinstance(t, str) and t.strip():
            targets = t
        elif isinstance(t, list) and t and all(isinstance(x, str) and x.strip() for x in t):
            targets = list(t)
        else:
            c.fail("method.lora.target_modules", "must be \"all-linear\" or a non-empty list of module names")
    lora = LoraSettings(
        r=c.integer(lo, "r", "method.lora", 16, 1, 4096),
        alpha=c.number(lo, "alpha", "method.lora", 32.0, 0.0, exclusive_minimum=True),
        dropout=c.number(lo, "dropout", "method.lora", 0.0, 0.0, 0.9),
        target_modules=targets,
        use_rslora=c.boolean(lo, "use_rslora", "method.lora", False),
        use_dora=c.boolean(lo, "use_dora", "method.lora", False),
    )
    q = c.section(me.get("quantization"), "method.quantization", _field_names(QuantizationSettings))
    quantization = QuantizationSettings(
        quant_type=c.string(q, "quant_type", "method.quantization", "nf4", ("nf4", "fp4")),
        double_quant=c.boolean(q, "double_quant", "method.quantization", True),
        compute_dtype=c.string(q, "compute_dtype", "method.quantization", "bfloat16", ("bfloat16", "float16")),
    )
    p = c.section(me.get("prompt_tuning"), "method.prompt_tuning", _field_names(PromptTuningSettings))
    prompt = PromptTuningSettings(
        num_virtual_tokens=c.integer(p, "num_virtual_tokens", "method.prompt_tuning", 20, 1, 1024),
        init=c.string(p, "init", "method.prompt_tuning", "random", ("random", "text")),
        init_text=c.string(p, "init_text", "method.prompt_tuning", None),
    )
    if prompt.init == "text" and not prompt.init_text:
        c.fail("method.prompt_tuning.init_text", "is required when init is \"text\"")
    if method_type == "prompt_tuning" and (lora.use_dora or lora.use_rslora):
        c.fail("method.lora", "use_dora/use_rslora apply to LoRA methods, not prompt_tuning")
    method = MethodConfig(type=method_type, lora=lora, quantization=quantization, prompt_tuning=prompt)

    t = c.section(top.get("training"), "training", _field_names(TrainingConfig))
    training = TrainingConfig(
        epochs=c.number(t, "epochs", "training", 3.0, 0.0, 10_000, exclusive_minimum=True),
        max_steps=c.integer(t, "max_steps", "training", -1, -1),
        per_device_batch_size=c.integer(t, "per_device_batch_size", "training", 4, 1, 65_536),
        gradient_accumulation_steps=c.integer(t, "gradient_accumulation_steps", "training", 1, 1, 65_536),
        learning_rate=c.number(t, "learning_rate", "training", DEFAULT_LEARNING_RATE[method_type], 0.0, 10.0,
                               exclusive_minimum=True),
        lr_scheduler=c.string(t, "lr_scheduler", "training", "cosine", SCHEDULERS),
        warmup_ratio=c.number(t, "warmup_ratio", "training", 0.03, 0.0, 0.5),
        weight_decay=c.number(t, "weight_decay", "training", 0.0, 0.0, 1.0),
        max_grad_norm=c.number(t, "max_grad_norm", "training", 1.0, 0.0),
        seed=c.integer(t, "seed", "training", 42, 0, 2**32 - 1),
        precision=c.string(t, "precision", "training", "auto", PRECISIONS),
        gradient_checkpointing=c.boolean(t, "gradient_checkpointing", "training", False),
        logging_steps=c.integer(t, "logging_steps", "training", 1, 1),
        eval_steps=c.integer(t, "eval_steps", "training", 0, 0),
        save_steps=c.integer(t, "save_steps", "training", 100, 1),
        save_total_limit=c.integer(t, "save_total_limit", "training", 2, 1),
        resume=c.string(t, "resume", "training", "auto"),
        dataloader_workers=c.integer(t, "dataloader_workers", "training", 0, 0, 64),
        deterministic=c.boolean(t, "deterministic", "training", False),
    )
    if training.max_steps == 0:
        c.fail("training.max_steps", "must be -1 (use epochs) or at least 1")

    o = c.section(top.get("output"), "output", _field_names(OutputConfig))
    output = OutputConfig(
        merge=c.boolean(o, "merge", "output", False),
        merged_dtype=c.string(o, "merged_dtype", "output", "bfloat16", ("bfloat16", "float16", "float32")),
    )
    if output.merge and method_type == "prompt_tuning":
        c.fail("output.merge", "prompt tuning has no weights to merge; set it to false")

    target = _target(c, top.get("target"))

    if c.errors:
        raise TrainError("CONFIG_INVALID", f"{len(c.errors)} problem(s) in the config: " + "; ".join(c.errors[:5]),
                         {"errors": c.errors})
    return JobConfig(model=model, data=data, method=method, training=training, output=output, target=target)


def _lines(c: _Checker, raw: dict[str, Any], key: str, path: str) -> list[str]:
    value = raw.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        c.fail(f"{path}.{key}", "must be a list of lines of text")
        return []
    return list(value)


def _text_or_number(raw: dict[str, Any], key: str) -> dict[str, Any]:
    """`time: 90` and `mem: 65536` are taken as their text, as the job file does."""
    value = raw.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return {**raw, key: str(value)}
    return raw


def _target(c: _Checker, raw: Any) -> TargetConfig:
    t = c.section(raw, "target", _field_names(TargetConfig))
    s = c.section(t.get("slurm"), "target.slurm", _field_names(SlurmTarget))
    s = _text_or_number(_text_or_number(s, "time"), "mem")
    path = "target.slurm"
    slurm = SlurmTarget(
        partition=c.string(s, "partition", path, None),
        nodes=c.integer(s, "nodes", path, 1, 1, 100_000),
        time=c.string(s, "time", path, "04:00:00"),
        account=c.string(s, "account", path, None),
        qos=c.string(s, "qos", path, None),
        cpus_per_task=None if s.get("cpus_per_task") is None else c.integer(s, "cpus_per_task", path, None, 1, 100_000),
        mem=c.string(s, "mem", path, None),
        gpu_type=c.string(s, "gpu_type", path, None),
        sbatch=_lines(c, s, "sbatch", path),
        setup=_lines(c, s, "setup", path),
        python=c.string(s, "python", path, None),
        save_before_limit_seconds=c.integer(s, "save_before_limit_seconds", path, 300, 1, 65_535),
    )
    target = TargetConfig(
        type=c.string(t, "type", "target", "local", TARGET_TYPES),
        gpus=c.integer(t, "gpus", "target", 1, 0, 1024),
        strategy=c.string(t, "strategy", "target", "ddp", DISTRIBUTED_STRATEGIES),
        main_port=c.integer(t, "main_port", "target", 29500, 1024, 65535),
        slurm=slurm,
    )
    for problem_path, problem in target_problems(target):
        c.fail(problem_path, problem)
    return target


def slurm_time_seconds(text: str) -> int | None:
    """Seconds in a Slurm time limit, or None when the text is none of Slurm's forms (see SLURM_TIME_FORMS). The
    leading field may be any size (Slurm reads 90:00 as 90 minutes); the ones after it stay below 60 (24 for hours
    after days)."""
    with_days = re.fullmatch(r"(\d{1,5})-(\d{1,2})(?::(\d{1,2})(?::(\d{1,2}))?)?", text)
    if with_days:
        days, hours, minutes, seconds = (int(part or 0) for part in with_days.groups())
        if hours >= 24 or minutes >= 60 or seconds >= 60:
            return None
        return ((days * 24 + hours) * 60 + minutes) * 60 + seconds
    plain = re.fullmatch(r"(\d{1,7})(?::(\d{1,2})(?::(\d{1,2}))?)?", text)
    if not plain:
        return None
    parts = [int(part) for part in plain.groups() if part is not None]
    if any(part >= 60 for part in parts[1:]):
        return None
    if len(parts) == 1:
        return parts[0] * 60
    if len(parts) == 2:
        return parts[0] * 60 + parts[1]
    return (parts[0] * 60 + parts[1]) * 60 + parts[2]


_UNSAFE_NAME = re.compile(r"[\s`$&|;<>()\\'\"*?\[\]#~!{}=^\x00-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\n\r\x00]")


def _slurm_name_problem(value: str, what: str, allow_lists: bool) -> str | None:
    if len(value) > 64:
        return f"a {what} name has at most 64 characters, got {len(value)}"
    if _UNSAFE_NAME.search(value):
        return f"{value!r} is not a Slurm {what} name: no spaces, quotes or shell characters"
    if value.startswith("-"):
        return f"{value!r} is not a Slurm {what} name: it would read as an option"
    if ":" in value or (not allow_lists and "," in value):
        separators = "':'" if allow_lists else "',' or ':'"
        return f"{value!r} is not a Slurm {what} name: one name, without {separators}"
    return None


def sbatch_line_problem(line: str) -> str | None:
    """Why an extra #SBATCH option cannot be used: as `sbatchLineProblem` in jobTargetChecks.ts."""
    if _LINE_BREAK.search(line):
        return "an #SBATCH option is one line: no line breaks or NUL characters"
    text = line.strip()
    if re.match(r"#\s*SBATCH", text, re.IGNORECASE):
        bare = re.sub(r"^#\s*SBATCH\s*", "", text, flags=re.IGNORECASE)
        return f"write the option without the '#SBATCH' prefix: '{bare}'"
    if not text.startswith("-"):
        return f"'{text}' is not an sbatch option: each line is one option starting with '-' (--mail-type=END)"
    words = re.findall(r"(?:\"[^\"]*\"|'[^']*'|[^\s\"'])+", text)
    if len(words) > 2 or (len(words) == 2 and words[1].startswith("-")):
        return f"'{text}' holds more than one option: write each on its own line"
    word = words[0] if words else text
    long = word.split("=")[0] if word.startswith("--") else None
    if long is not None and "=" in word:
        value = word[word.index("=") + 1 :]
    else:
        value = words[1] if len(words) > 1 else ""
    long_names = [name for names, *_ in SLURM_OPTIONS_SET_BY_CHATWRIGHT for name in names if name.startswith("--")]

    def named(name: str) -> bool:
        if not name.startswith("--"):
            return long is None and word.startswith(name)
        # sbatch takes unambiguous abbreviations of long options; an option's own name is never an abbreviation.
        return long is not None and (long == name or (len(long) >= 5 and name.startswith(long) and long not in long_names))

    for names, what, use, because, gpu_gres_only in SLURM_OPTIONS_SET_BY_CHATWRIGHT:
        if not any(named(name) for name in names):
            continue
        if gpu_gres_only and not any(resource.strip().lower().startswith("gpu") for resource in value.split(",")):
            continue
        label = what if what is not None else "/".join(names)
        if use is not None:
            return f"Chatwright sets {label} itself; use {use}"
        return f"Chatwright sets {label} itself ({because}); leave it out"
    return None


def target_problems(target: TargetConfig) -> list[tuple[str, str]]:
    """The checks on a target beyond its fields' types and bounds, with the paths jobTargetChecks.ts names."""
    problems: list[tuple[str, str]] = []
    slurm = target.slurm
    if target.type == "local" and target.gpus < 1:
        problems.append(("target.gpus", "a local job runs at least one process: write 1 or more (0 GPUs, a CPU-only "
                                        "job, is for Slurm targets)"))
    seconds = slurm_time_seconds(slurm.time)
    if seconds is None:
        problems.append(("target.slurm.time", f"{slurm.time!r} is not a Slurm time limit: write {SLURM_TIME_FORMS}"))
    elif seconds == 0:
        problems.append(("target.slurm.time", "a time limit of zero asks Slurm for no limit at all; write the limit "
                                              "the job needs"))
    for key, what, allow_lists in (("partition", "partition", True), ("account", "account", False),
                                   ("qos", "QOS", False), ("gpu_type", "GPU type", False)):
        value = getattr(slurm, key)
        if isinstance(value, str):
            problem = _slurm_name_problem(value, what, allow_lists)
            if problem:
                problems.append((f"target.slurm.{key}", problem))
    if slurm.mem is not None and not re.fullmatch(r"\d{1,12}[KMGT]?", slurm.mem, re.IGNORECASE):
        problems.append(("target.slurm.mem", f"{slurm.mem!r} is not a Slurm memory size: write a whole number with "
                                             "K, M, G or T (64G, 512M, 1T), or a number of megabytes"))
    for line in slurm.sbatch:
        problem = sbatch_line_problem(line)
        if problem:
            problems.append(("target.slurm.sbatch", problem))
    for line in slurm.setup:
        if _LINE_BREAK.search(line):
            problems.append(("target.slurm.setup", "each setup line is one shell line: no line breaks or NUL "
                                                   "characters (write several lines as several items)"))
    if slurm.python is not None:
        if re.search(r"[\x00-\x1f\x7f]", slurm.python):
            problems.append(("target.slurm.python", "must not hold line breaks or control characters"))
        elif not slurm.python.startswith("/") and not re.fullmatch(r"[A-Za-z0-9._+-]+", slurm.python):
            problems.append(("target.slurm.python", f"{slurm.python!r} must be an absolute path on the compute nodes "
                                                    "or a command name found on their PATH"))
    return problems


def _packing(c: _Checker, d: dict[str, Any]) -> str:
    # true/false are accepted as the obvious shorthands of the job file.
    value = d.get("packing", "auto")
    if value is True:
        return "padding_free"
    if value is False:
        return "padded"
    return c.string({"packing": value}, "packing", "data", "auto", PACKING_MODES)


def effective_packing(mode: str, attn_implementation: str) -> str:
    """`auto` packs padding-free wherever attention keeps packed sequences apart without materialising per-head
    attention weights over the whole pack: the varlen kernels, and sdpa (transformers gives it a block-diagonal
    mask; on an H200 this ran faster than length-grouped padding and used 20% less memory, bench/results/gpu).
    Eager attention would build a pack-by-pack weight matrix per head, so it gets length-grouped batches."""
    if mode != "auto":
        return mode
    return "grouped" if attn_implementation == "eager" else "padding_free"


def load_config_file(path: Path | str) -> JobConfig:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TrainError("CONFIG_UNREADABLE", f"{file}: {error}") from error
    if file.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml  # noqa: PLC0415 - optional: PyYAML may be missing on user machines
        except ImportError as error:
            raise TrainError("CONFIG_UNREADABLE", f"{file}: YAML needs PyYAML (pip install pyyaml); pass the "
                                                  "resolved JSON instead") from error
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise TrainError("CONFIG_UNREADABLE", f"{file}: {error}") from error
    else:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as error:
            raise TrainError("CONFIG_UNREADABLE", f"{file}:{error.lineno}:{error.colno}: {error.msg}") from error
    return resolve_config(raw)
