"""The trainer under `accelerate launch`, checked on one GPU (the H200 machine), in under six minutes.

  (a) the job run plainly (`python -m chatwright_train train …`), twice: the second run measures the run-to-run spread
      of the losses on this machine;
  (b) the same job through `python -m accelerate.commands.launch --config_file RUN/accelerate.yaml --num_processes 1
      -m chatwright_train train …` with the accelerate.yaml Chatwright writes for a data-parallel job: its loss curve
      must equal the plain one step by step within the tolerance derived below;
  (c) DeepSpeed ZeRO-2, ZeRO-3 and FSDP configurations (accelerate.yaml + deepspeed.json as the launcher writes them):
      each must start and take a few optimizer steps with finite losses, where its packages are present (else the
      check says which package is missing).

Tolerance for (b): the larger of the spread measured between the two plain runs and the resolution of the compute
dtype at the size of the losses (unit roundoff u = 2^-8 for bf16, 2^-11 for fp16, 2^-24 for fp32, times the largest
loss): two curves closer than that cannot be told apart by this arithmetic. Both numbers and the maximum absolute
difference are in the summary. The runs use deterministic kernels and eager attention, so the expected difference
on one GPU is zero.

The model is a Qwen3 architecture with random weights, small (4 layers), with the real Qwen3 tokenizer when
.gpu-carry/qwen3-tokenizer holds it (as verify_training.py uses), else a byte-level BPE tokenizer trained here on the
fixture rows. Without torch/transformers/peft/accelerate it records what it skipped and why, and exits 0.
Output: OUT/multi_gpu.json and OUT/multi_gpu.md.
Usage: python3 scripts/gpu/verify_multi_gpu.py --out DIR [--work DIR] [--tokenizer DIR] [--steps 20]"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from gpu_stages import Report, elapsed, make_log  # noqa: E402
from make_fixtures import write_fixtures  # noqa: E402

UNIT_ROUNDOFF = {"bf16": 2.0**-8, "fp16": 2.0**-11, "fp32": 2.0**-24}
STRATEGY_STEPS = 5
PACKAGES = ("torch", "transformers", "peft", "accelerate", "deepspeed", "tokenizers", "yaml")


log = make_log("multi-gpu")


# ---------------------------------------------------------------- environment
def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        if importlib.util.find_spec(name) is None:
            versions[name] = None
            continue
        try:
            versions[name] = str(getattr(importlib.import_module(name), "__version__", "unknown"))
        except Exception as error:  # noqa: BLE001 - a broken install is reported, not fatal
            versions[name] = f"broken: {type(error).__name__}: {error}"[:200]
    return versions


def cuda_facts() -> dict[str, Any]:
    import torch

    facts: dict[str, Any] = {"cuda_available": bool(torch.cuda.is_available())}
    if facts["cuda_available"]:
        facts["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        facts["bf16"] = bool(torch.cuda.is_bf16_supported())
    return facts


# ---------------------------------------------------------------- model and tokenizer
def bpe_tokenizer(folder: Path, texts: list[str]) -> None:
    """A byte-level BPE tokenizer (the scheme of GPT-2 and Qwen) trained on the fixture texts, with ChatML turns."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=1024, special_tokens=specials,
                                                             initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    fast.chat_template = ("{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}"
                          "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
    fast.save_pretrained(str(folder))


def build_model(folder: Path, tokenizer_dir: Path, fixtures: dict[str, Path]) -> dict[str, Any]:
    import torch
    from transformers import AutoTokenizer, AutoModelForCausalLM, Qwen3Config

    folder.mkdir(parents=True, exist_ok=True)
    if (tokenizer_dir / "tokenizer.json").is_file():
        for name in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copy(tokenizer_dir / name, folder / name)
        template = json.loads((tokenizer_dir / "tokenizer_config.json").read_text())["chat_template"]
        (folder / "chat_template.jinja").write_text(template)
        tokenizer_kind = "Qwen3 (carried)"
    else:
        texts = [m["content"] for line in fixtures["persona_train"].read_text().splitlines() for m in json.loads(line)["messages"]]
        bpe_tokenizer(folder, texts)
        tokenizer_kind = "byte-level BPE trained on the fixtures"
    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    config = Qwen3Config(vocab_size=len(tokenizer), hidden_size=256, intermediate_size=768, num_hidden_layers=4,
                         num_attention_heads=4, num_key_value_heads=2, head_dim=64, max_position_embeddings=2048,
                         tie_word_embeddings=True, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config)
    if torch.cuda.is_available():
        model.to(torch.bfloat16)
    model.save_pretrained(str(folder))
    return {"architecture": "Qwen3ForCausalLM", "parameters": sum(p.numel() for p in model.parameters()),
            "layers": 4, "hidden": 256, "vocab": len(tokenizer), "tokenizer": tokenizer_kind}


# ---------------------------------------------------------------- launch files (the keys src/core/jobs/launch writes)
def yaml_text(value: dict[str, Any], indent: int = 0) -> str:
    lines: list[str] = []
    for key, item in value.items():
        if isinstance(item, dict):
            lines.append(" " * indent + f"{key}:")
            lines.append(yaml_text(item, indent + 2).rstrip("\n"))
        elif isinstance(item, bool):
            lines.append(" " * indent + f"{key}: {'true' if item else 'false'}")
        elif isinstance(item, str):
            lines.append(" " * indent + f"{key}: '{item}'")
        else:
            lines.append(" " * indent + f"{key}: {item}")
    return "\n".join(lines) + "\n"


def accelerate_config(strategy: str, deepspeed_path: Path | None, cuda: bool) -> dict[str, Any]:
    """accelerate.yaml as src/core/jobs/launch/accelerateConfig.ts writes it for one machine (one process here)."""
    distributed = {"deepspeed_zero2": "DEEPSPEED", "deepspeed_zero3": "DEEPSPEED", "fsdp": "FSDP"}.get(strategy, "MULTI_GPU")
    config: dict[str, Any] = {"compute_environment": "LOCAL_MACHINE", "debug": False,
                              "distributed_type": distributed if cuda else "NO", "main_training_function": "main",
                              "mixed_precision": "no", "num_machines": 1, "num_processes": 1, "machine_rank": 0,
                              "rdzv_backend": "static", "same_network": True, "use_cpu": not cuda}
    if distributed == "DEEPSPEED":
        # accelerate refuses a mixed_precision in the config file beside a deepspeed_config_file (the launcher leaves it
        # out too); the Trainer fills deepspeed.json's bf16/fp16 "auto" from its own arguments.
        del config["mixed_precision"]
        config["deepspeed_config"] = {"deepspeed_config_file": str(deepspeed_path), "deepspeed_multinode_launcher": "standard",
                                      "zero3_init_flag": strategy == "deepspeed_zero3"}
    if distributed == "FSDP":
        config["fsdp_config"] = {"fsdp_auto_wrap_policy": "TRANSFORMER_BASED_WRAP", "fsdp_backward_prefetch": "BACKWARD_PRE",
                                 "fsdp_forward_prefetch": False, "fsdp_sharding_strategy": "FULL_SHARD",
                                 "fsdp_state_dict_type": "FULL_STATE_DICT", "fsdp_use_orig_params": True,
                                 "fsdp_cpu_ram_efficient_loading": True, "fsdp_sync_module_states": True,
                                 "fsdp_offload_params": False}
    return config


def deepspeed_config(stage: int) -> dict[str, Any]:
    """deepspeed.json as src/core/jobs/launch/deepspeedConfig.ts writes it."""
    zero: dict[str, Any] = {"stage": stage, "overlap_comm": True, "contiguous_gradients": True, "reduce_bucket_size": "auto"}
    if stage == 2:
        zero.update(allgather_partitions=True, reduce_scatter=True, allgather_bucket_size=2e8)
    else:
        zero.update(sub_group_size=1e9, stage3_prefetch_bucket_size="auto", stage3_param_persistence_threshold="auto",
                    stage3_max_live_parameters=1e9, stage3_max_reuse_distance=1e9, stage3_gather_16bit_weights_on_model_save=True)
    return {"train_micro_batch_size_per_gpu": "auto", "gradient_accumulation_steps": "auto", "train_batch_size": "auto",
            "gradient_clipping": "auto", "bf16": {"enabled": "auto"},
            "fp16": {"enabled": "auto", "loss_scale": 0, "loss_scale_window": 1000, "initial_scale_power": 16, "hysteresis": 2,
                     "min_loss_scale": 1},
            "zero_optimization": zero, "wall_clock_breakdown": False}


# ---------------------------------------------------------------- runs
def job_config(model: Path, train: Path, steps: int, strategy: str = "ddp") -> dict[str, Any]:
    return {"target": {"strategy": strategy}, "model": {"path": str(model), "attn_implementation": "eager"},
            "data": {"train": str(train), "eval": None, "max_seq_length": 256},
            "method": {"type": "lora", "lora": {"r": 8, "alpha": 16}},
            "training": {"max_steps": steps, "per_device_batch_size": 4, "gradient_accumulation_steps": 2,
                         "learning_rate": 1e-3, "warmup_ratio": 0.0, "save_steps": 1000, "logging_steps": 1, "seed": 11,
                         "deterministic": True}}


def run_trainer(name: str, work: Path, config: dict[str, Any], launcher: list[str], timeout: float) -> dict[str, Any]:
    """One run in a fresh process; its events, exit code, log tail and seconds."""
    run_dir = work / name
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)
    config_path = run_dir / "config.json"
    config_path.write_text(json.dumps(config))
    command = [sys.executable, *launcher, "-m", "chatwright_train", "train", "--config", str(config_path), "--run-dir", str(run_dir), "--quiet"]
    environment = {**os.environ, "PYTHONPATH": str(REPO / "python"), "PYTHONUNBUFFERED": "1", "CUBLAS_WORKSPACE_CONFIG": ":4096:8",
                   "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1"}
    began = time.monotonic()
    log(f"run {name}: {' '.join(command)}")
    try:
        result = subprocess.run(command, cwd=run_dir, env=environment, capture_output=True, text=True, timeout=timeout)
        code, output = result.returncode, (result.stdout + result.stderr)
    except subprocess.TimeoutExpired as error:
        code, output = None, f"timed out after {timeout:.0f} s\n" + str(error.stderr or "")[-3000:]
    (run_dir / "train.log").write_text(output)
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines() if line.strip()] \
        if (run_dir / "events.jsonl").is_file() else []
    losses = {e["step"]: e["loss"] for e in events if e["event"] == "step" and e.get("loss") is not None}
    errors = [f"{e['code']}: {e['message']}"[:400] for e in events if e["event"] == "error"]
    environment_event = next((e for e in events if e["event"] == "environment"), {})
    run_event = next((e for e in events if e["event"] == "run"), {})
    return {"name": name, "exit_code": code, "seconds": round(time.monotonic() - began, 1), "losses": losses, "errors": errors,
            "precision": environment_event.get("precision"), "distributed": run_event.get("distributed"),
            "log_tail": output[-1500:], "phases": [e["phase"] for e in events if e["event"] == "phase"]}


def curve_difference(first: dict[int, float], second: dict[int, float]) -> tuple[float | None, int]:
    common = sorted(set(first) & set(second))
    if not common:
        return None, 0
    return max(abs(first[s] - second[s]) for s in common), len(common)


def compare_curves(report: Report, plain: dict[str, Any], again: dict[str, Any], launched: dict[str, Any], steps: int) -> None:
    for run in (plain, again, launched):
        complete = run["exit_code"] == 0 and len(run["losses"]) == steps
        report.check(f"{run['name']}: {steps} steps", f"exit 0, {steps} step losses",
                     f"exit {run['exit_code']}, {len(run['losses'])} losses, {run['seconds']} s", complete,
                     "; ".join(run["errors"]) or ("" if complete else run["log_tail"].replace("\n", " | ")[-600:]))
    spread, _ = curve_difference(plain["losses"], again["losses"])
    difference, compared = curve_difference(plain["losses"], launched["losses"])
    if spread is None or difference is None or compared < steps:
        report.check("accelerate launch vs plain: loss curve", "same curve within the derived tolerance",
                     "not enough steps to compare", False)
        return
    precision = plain["precision"] or "fp32"
    largest = max(abs(v) for v in plain["losses"].values())
    resolution = UNIT_ROUNDOFF.get(precision, UNIT_ROUNDOFF["fp32"]) * largest
    tolerance = max(spread, resolution)
    report.facts["loss_curves"] = {"plain": plain["losses"], "plain_again": again["losses"], "accelerate_launch": launched["losses"]}
    report.facts["tolerance"] = {"precision": precision, "unit_roundoff": UNIT_ROUNDOFF.get(precision), "largest_loss": largest,
                                 "dtype_resolution": resolution, "plain_run_to_run_spread": spread, "tolerance": tolerance}
    report.check("accelerate launch vs plain: max abs loss difference over the steps", f"<= {tolerance:.3g}", difference,
                 difference <= tolerance,
                 f"{compared} steps compared; tolerance = max(plain run-to-run spread {spread:.3g}, {precision} unit roundoff "
                 f"{UNIT_ROUNDOFF.get(precision, 0):.3g} x largest loss {largest:.4g} = {resolution:.3g}); identical curves: {difference == 0}")
    distributed = launched.get("distributed") or {}
    report.check("accelerate launch: run event's distributed", "world_size 1, batch as asked",
                 json.dumps(distributed), distributed.get("world_size") == 1 and distributed.get("effective_batch_size") == 8)


def strategies(report: Report, work: Path, model: Path, train: Path, versions: dict[str, str | None], cuda: bool,
               timeout: float, budget: float) -> None:
    for strategy, needs in (("deepspeed_zero2", "deepspeed"), ("deepspeed_zero3", "deepspeed"), ("fsdp", None)):
        name = f"{strategy}: starts and steps"
        target = f"exit 0, {STRATEGY_STEPS} finite step losses"
        if not cuda:
            report.check(name, target, "skipped: needs a CUDA GPU", None)
            continue
        if needs and not versions.get(needs):
            report.check(name, target, f"skipped: {needs} not installed", None)
            continue
        if elapsed() > budget:
            report.check(name, target, f"skipped: the time budget ({budget:.0f} s) is spent", None)
            continue
        files = work / f"launch-{strategy}"
        files.mkdir(parents=True, exist_ok=True)
        deepspeed_path = files / "deepspeed.json" if strategy.startswith("deepspeed") else None
        if deepspeed_path is not None:
            deepspeed_path.write_text(json.dumps(deepspeed_config(int(strategy[-1])), indent=2))
        (files / "accelerate.yaml").write_text(yaml_text(accelerate_config(strategy, deepspeed_path, cuda)))
        launcher = ["-m", "accelerate.commands.launch", "--config_file", str(files / "accelerate.yaml"), "--num_processes", "1"]
        run = run_trainer(f"run-{strategy}", work, job_config(model, train, STRATEGY_STEPS, strategy), launcher, timeout)
        finite = [v for v in run["losses"].values() if isinstance(v, (int, float)) and math.isfinite(v)]
        reported = (run.get("distributed") or {}).get("strategy")
        met = run["exit_code"] == 0 and len(finite) == STRATEGY_STEPS and reported == strategy
        report.facts[f"{strategy}_run"] = {k: run[k] for k in ("exit_code", "seconds", "losses", "phases", "distributed")}
        report.check(name, f"{target}, run event strategy {strategy}",
                     f"exit {run['exit_code']}, {len(finite)} finite losses, strategy {reported}, {run['seconds']} s", met,
                     "; ".join(run["errors"]) or ("" if met else run["log_tail"].replace("\n", " | ")[-800:]))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.environ.get("OUT") or str(REPO / ".gpu-carry/out"))
    parser.add_argument("--work", default="/tmp/chatwright-verify-multi-gpu")
    parser.add_argument("--tokenizer", default=str(REPO / ".gpu-carry/qwen3-tokenizer"))
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--run-timeout", type=float, default=100.0, help="seconds for one run")
    parser.add_argument("--budget-seconds", type=float, default=250.0, help="no new run starts after this "
                        "(with --run-timeout: the whole check ends within six minutes)")
    args = parser.parse_args()
    out, work = Path(args.out), Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    report = Report(out, log, stem="multi_gpu", title="Chatwright trainer under accelerate launch: GPU verification",
                    not_run="skipped", result_column="result", details=True, stamp_elapsed=True)
    try:
        fixtures = write_fixtures(work / "fixtures")
        versions = package_versions()
        report.facts["packages"] = versions
        report.facts["python"] = sys.version.split()[0]
        # The launch files are written (and kept in OUT for review) even where nothing can run.
        for strategy in ("ddp", "deepspeed_zero2", "deepspeed_zero3", "fsdp"):
            deepspeed_path = out / "launch" / strategy / "deepspeed.json" if strategy.startswith("deepspeed") else None
            (out / "launch" / strategy).mkdir(parents=True, exist_ok=True)
            if deepspeed_path is not None:
                deepspeed_path.write_text(json.dumps(deepspeed_config(int(strategy[-1])), indent=2))
            (out / "launch" / strategy / "accelerate.yaml").write_text(yaml_text(accelerate_config(strategy, deepspeed_path, True)))
        missing = [name for name in ("torch", "transformers", "peft", "accelerate") if not versions.get(name) or versions[name].startswith("broken")]
        if missing:
            why = f"skipped: {', '.join(missing)} not installed"
            for name in ("plain run", "accelerate launch --num_processes 1", "accelerate launch vs plain: loss curve",
                         "deepspeed_zero2: starts and steps", "deepspeed_zero3: starts and steps", "fsdp: starts and steps"):
                report.check(name, "runs", why, None)
            log(f"STOPPING: {why}; the launch files are in {out / 'launch'}")
            return 0
        cuda = cuda_facts()
        report.facts["cuda"] = cuda
        model = work / "model"
        report.facts["model"] = build_model(model, Path(args.tokenizer), fixtures)
        config = job_config(model, fixtures["persona_train"], args.steps)
        plain = run_trainer("run-plain", work, config, [], args.run_timeout)
        again = run_trainer("run-plain-again", work, config, [], args.run_timeout)
        launch_files = work / "launch-ddp"
        launch_files.mkdir(parents=True, exist_ok=True)
        (launch_files / "accelerate.yaml").write_text(yaml_text(accelerate_config("ddp", None, cuda["cuda_available"])))
        launched = run_trainer("run-accelerate", work, config,
                               ["-m", "accelerate.commands.launch", "--config_file", str(launch_files / "accelerate.yaml"), "--num_processes", "1"],
                               args.run_timeout)
        compare_curves(report, plain, again, launched, args.steps)
        strategies(report, work, model, fixtures["persona_train"], versions, cuda["cuda_available"], args.run_timeout, args.budget_seconds)
        return 0 if all(c["met"] is not False for c in report.checks) else 1
    finally:
        report.write()


if __name__ == "__main__":
    sys.exit(main())
