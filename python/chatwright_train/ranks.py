"""The trainer as one of several processes (`accelerate launch`, one process per GPU, possibly on several nodes).

Stdlib only, so the rules can be tested without torch: which process this is (from the environment the launcher
sets), what the `run` event's `distributed` says, how stop and checkpoint requests are agreed on by every process
(a process that stops while the others wait in a collective hangs them forever), where each process loads the
model, and how a failure of a process other than the first reaches the run's events (only the first process,
RANK 0, writes events.jsonl: the others leave a small file that the first one's watcher turns into `error` +
`phase: failed`, so the run ends with a reason even while the first process waits in a collective), and that a
process dies with torch's elastic launcher.

Signals: the launcher's agent runs each process in a session of its own, forwards the SIGINT or SIGTERM it gets to
every process and SIGKILLs them after its grace period (about 30 s). Stop-and-save therefore reaches several
processes as the `RUN/stop-now` file (written by the job runner, or by the batch script's trap of the time limit's
USR2), which every process agrees on by all-reduce after the step (control.py, `agree_on_requests`)."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ERROR_ACTIONS, TrainError
from .parent_death import Prctl, arm_parent_death_signal, load_prctl

# What accelerate launch / torchrun / srun set for each process.
RANK_VARIABLES = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE")
# Node counts, in order of trust: torchrun's / accelerate's own, then Slurm's.
NODE_COUNT_VARIABLES = ("NNODES", "PET_NNODES", "SLURM_NNODES", "SLURM_JOB_NUM_NODES")
RANK_FAILURES_DIR = "rank-failures"
# How often the first process looks for other processes' failure files.
FAILURE_POLL_SECONDS = 0.5
# When this module was first imported (cli.py imports it before anything heavy): the processes of one launch start
# together, so without a launch id a failure file from before this (less a margin for the interpreter's start) is
# an earlier launch's.
PROCESS_STARTED = time.time()
STARTUP_MARGIN_SECONDS = 2.0


def _env_int(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise TrainError("DISTRIBUTED_ENV_INVALID", f"the environment variable {name}={text!r} is not a whole "
                                                    "number") from None
    if value < minimum:
        raise TrainError("DISTRIBUTED_ENV_INVALID", f"the environment variable {name}={value} is below {minimum}")
    return value


def _env_nodes(env: Mapping[str, str], name: str) -> int | None:
    """Slurm's node counts may read `2` or, for heterogeneous jobs, `2,1`; torchrun's may read `1:4` (elastic)."""
    text = env.get(name, "").strip()
    if not text:
        return None
    head = text.split(",")[0].split(":")[-1]
    return int(head) if head.isdigit() and int(head) > 0 else None


@dataclass(frozen=True)
class RankInfo:
    """This process's place among the run's processes. One process: rank 0 of 1 on 1 node."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    local_world_size: int = 1
    nodes: int = 1

    @property
    def is_main(self) -> bool:
        """The global main process: the only one that writes events and the files the trainer writes itself."""
        return self.rank == 0

    @property
    def is_distributed(self) -> bool:
        return self.world_size > 1

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RankInfo:
        env = os.environ if env is None else env
        world_size = _env_int(env, "WORLD_SIZE", 1, 1)
        rank = _env_int(env, "RANK", 0, 0)
        local_rank = _env_int(env, "LOCAL_RANK", 0, 0)
        local_world_size = _env_int(env, "LOCAL_WORLD_SIZE", world_size, 1)
        if rank >= world_size:
            raise TrainError("DISTRIBUTED_ENV_INVALID", f"RANK={rank} is not below WORLD_SIZE={world_size}")
        if local_rank >= local_world_size:
            raise TrainError("DISTRIBUTED_ENV_INVALID", f"LOCAL_RANK={local_rank} is not below "
                                                        f"LOCAL_WORLD_SIZE={local_world_size}")
        if local_world_size > world_size:
            raise TrainError("DISTRIBUTED_ENV_INVALID", f"LOCAL_WORLD_SIZE={local_world_size} is above "
                                                        f"WORLD_SIZE={world_size}")
        return cls(rank, local_rank, world_size, local_world_size, nodes_from_env(env, world_size, local_world_size))


def nodes_from_env(env: Mapping[str, str], world_size: int, local_world_size: int) -> int:
    """The launcher's node count when it says, else the processes divided by the processes per node (rounded up)."""
    for name in NODE_COUNT_VARIABLES:
        nodes = _env_nodes(env, name)
        if nodes is not None:
            return min(nodes, world_size)
    return max(1, -(-world_size // max(local_world_size, 1)))


def launch_id(env: Mapping[str, str] | None = None) -> str:
    """What the processes of one launch share and the next launch does not (torchrun's run id, else the Slurm job
    id): a failure file left by an earlier launch in the same run folder is not taken for one of this launch."""
    env = os.environ if env is None else env
    for name in ("TORCHELASTIC_RUN_ID", "SLURM_JOB_ID"):
        value = env.get(name, "").strip()
        if value and value != "none":
            return value
    return ""


# --- dying with the launcher --------------------------------------------------------------------------------------

# This process's parent when this module was first imported (as early as the trainer can look): under torch's
# elastic launcher, the launcher itself.
PARENT_AT_START = os.getppid()


def under_elastic_launcher(env: Mapping[str, str] | None = None) -> bool:
    """Whether torch's elastic launcher (torchrun, or `accelerate launch` with several processes, which runs it)
    started this process: it sets TORCHELASTIC_RUN_ID for every worker (to `none` when no id was given)."""
    env = os.environ if env is None else env
    return "TORCHELASTIC_RUN_ID" in env


def die_with_launcher(env: Mapping[str, str] | None = None, prctl: Prctl | None | bool = True,
                      expected_parent: int | None = None) -> str:
    """Under the elastic launcher, has the kernel SIGKILL this process when the launcher ends. The launcher starts
    each worker in a session of its own, so the signals sent to Chatwright's process group never reach the workers,
    and a launcher that is killed (the runner's SIGKILL after its grace period, or a second interrupt during its own
    shutdown) would leave them running, holding their GPUs and writing to the run folder. Returns what was done:
    "armed", "not-launched" (no elastic launcher: the process's own signals are enough), "unsupported" (not Linux).
    A launcher that is already gone ends this process (SystemExit with the reason): nobody would stop it.
    `prctl`: True loads libc's (tests pass their own, or None for a system without it)."""
    if not under_elastic_launcher(env):
        return "not-launched"
    call = load_prctl() if prctl is True else prctl
    if not callable(call):
        return "unsupported"
    parent = PARENT_AT_START if expected_parent is None else expected_parent
    if not arm_parent_death_signal(parent, call):
        if os.getppid() != parent:
            raise SystemExit(f"chatwright_train: the launcher (process {parent}) ended before this process started "
                             "training; exiting")
        return "unsupported"
    return "armed"


# --- the batch plan and the run event ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppliedBatch:
    """The per-process batch and accumulation this process trains with, and what the job asked for."""

    per_device_batch_size: int
    gradient_accumulation_steps: int
    world_size: int
    requested_effective_batch_size: int

    @property
    def effective_batch_size(self) -> int:
        return self.per_device_batch_size * self.gradient_accumulation_steps * self.world_size


PlanBatch = Callable[[int, int, int], Mapping[str, Any]]


def apply_batch_plan(per_device: int, accumulation: int, world_size: int, plan_batch: PlanBatch) -> AppliedBatch:
    """One process trains exactly as the job says. Several take the split `plan_batch` (H1's
    `chatwright_train.distributed.plan_batch`, the same arithmetic as the launcher's) gives, which keeps the effective
    batch the job asked for; a job whose effective batch the processes cannot share evenly fails before loading."""
    requested = per_device * accumulation
    if world_size <= 1:
        return AppliedBatch(per_device, accumulation, 1, requested)
    plan = plan_batch(per_device, accumulation, world_size)
    problem = plan.get("problem")
    if problem:
        raise TrainError("CONFIG_INVALID", f"training.per_device_batch_size: {problem}")
    return AppliedBatch(int(plan["per_device_batch"]), int(plan["gradient_accumulation"]), world_size, requested)


def distributed_payload(rank: RankInfo, strategy: str, batch: AppliedBatch, backend: str | None) -> dict[str, Any]:
    """The `run` event's `distributed` (src/core/jobs/jobEvents.ts `DistributedInfo`), also for one process."""
    return {
        "world_size": rank.world_size,
        "nodes": rank.nodes,
        "strategy": strategy,
        "per_device_batch_size": batch.per_device_batch_size,
        "gradient_accumulation_steps": batch.gradient_accumulation_steps,
        "effective_batch_size": batch.effective_batch_size,
        "requested_effective_batch_size": batch.requested_effective_batch_size,
        "backend": backend,
    }


def expected_backend(rank: RankInfo, cuda_available: bool) -> str | None:
    """The backend torch.distributed will use (before it is initialised): NCCL between GPUs, gloo on the CPU."""
    if not rank.is_distributed:
        return None
    return "nccl" if cuda_available else "gloo"


def launcher_strategy(env: Mapping[str, str] | None = None) -> str | None:
    """The sharding `accelerate launch` actually set up for this process (from the variables it passes on:
    ACCELERATE_USE_DEEPSPEED with the ZeRO stage or the DeepSpeed config file's, ACCELERATE_USE_FSDP), else None
    (plain data parallel, or no launcher)."""
    env = os.environ if env is None else env

    def truthy(name: str) -> bool:
        return env.get(name, "").strip().lower() in ("1", "true", "yes")

    if truthy("ACCELERATE_USE_FSDP"):
        return "fsdp"
    if not truthy("ACCELERATE_USE_DEEPSPEED"):
        return None
    stage = env.get("ACCELERATE_DEEPSPEED_ZERO_STAGE", "").strip()
    config_file = env.get("ACCELERATE_DEEPSPEED_CONFIG_FILE", "").strip()
    if config_file:
        try:
            stage = str(json.loads(Path(config_file).read_text(encoding="utf-8"))["zero_optimization"]["stage"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
    return f"deepspeed_zero{stage}" if stage.isdigit() else "deepspeed"


def weights_sharded(strategy: str | None) -> bool:
    """Whether the base weights are split over the processes (then no code may read a whole weight outside the
    module's own forward, and the model must not be placed on a GPU before the launcher shards it)."""
    return strategy in ("deepspeed_zero3", "fsdp")


def model_device_map(strategy: str | None, rank: RankInfo, cuda_available: bool,
                     quantized: bool) -> dict[str, int] | None:
    """Where this process loads the base model, given the sharding the launcher set up (`launcher_strategy`).
    Data parallel (and ZeRO-2, which shards only the optimizer state): the whole model on this process's own GPU
    (LOCAL_RANK, not GPU 0). Under ZeRO-3 never a device_map: transformers refuses one there, and DeepSpeed's
    zero.Init places each shard as it loads (a 4-bit model goes to the current device, which the TrainingArguments
    built before loading set to LOCAL_RANK). Under FSDP the model loads on the CPU (on the first process of each
    node only, with cpu_ram_efficient_loading) and FSDP moves its shards, except a 4-bit model, which bitsandbytes
    can only quantize on a GPU."""
    if not cuda_available or strategy == "deepspeed_zero3":
        return None
    if weights_sharded(strategy) and not quantized:
        return None
    return {"": rank.local_rank}


# --- agreeing on stop and checkpoint requests ----------------------------------------------------------------------

ReduceMax = Callable[[list[int]], list[int]]


@dataclass(frozen=True)
class AgreedRequests:
    stop: bool
    checkpoint: bool


def agree_on_requests(stop: bool, checkpoint: bool, reduce_max: ReduceMax | None) -> AgreedRequests:
    """What every process does after this optimizer step: stop (with a save) when any process was asked to stop,
    save a checkpoint when any was asked for one. `reduce_max` is an all-reduce (MAX) over the processes, called by
    all of them at the same step; None with one process. A signal that reached only some processes, or a control
    file that one process took (and removed) first, so leads every process to the same decision."""
    if reduce_max is None:
        return AgreedRequests(stop, checkpoint)
    agreed = reduce_max([int(stop), int(checkpoint)])
    if len(agreed) != 2:
        raise ValueError(f"the all-reduce returned {len(agreed)} values for 2")
    return AgreedRequests(bool(agreed[0]), bool(agreed[1]))


# --- failures of processes other than the first --------------------------------------------------------------------


def failure_file(run_dir: Path | str, rank: int) -> Path:
    return Path(run_dir) / RANK_FAILURES_DIR / f"rank-{rank}.json"


def record_rank_failure(run_dir: Path | str, rank: RankInfo, code: str, message: str,
                        env: Mapping[str, str] | None = None,
                        **details: Any) -> Path:
    """Written by a process other than the first when it fails (atomically: the watcher never reads half a file)."""
    path = failure_file(run_dir, rank.rank)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"rank": rank.rank, "local_rank": rank.local_rank, "code": code, "message": message,
              "launch": launch_id(env), "time": round(time.time(), 3), **details}
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(record, default=str), encoding="utf-8")
    os.replace(partial, path)
    return path


def read_rank_failures(run_dir: Path | str, own_launch: str, not_before: float) -> list[dict[str, Any]]:
    """Failure files of this launch, oldest first. A file of another launch (its launch id differs, or, where the
    launcher gives none, written before `not_before`) is ignored; unreadable or malformed files too."""
    folder = Path(run_dir) / RANK_FAILURES_DIR
    found: list[dict[str, Any]] = []
    try:
        paths = sorted(folder.glob("rank-*.json"))
    except OSError:
        return found
    for path in paths:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if not (isinstance(record, dict) and isinstance(record.get("rank"), int) and isinstance(record.get("code"), str)):
            continue
        if str(record.get("launch", "")) != own_launch:
            continue
        if not own_launch and not (isinstance(record.get("time"), (int, float)) and record["time"] >= not_before):
            continue
        found.append(record)
    found.sort(key=lambda r: (r.get("time", 0), r["rank"]))
    return found


def failure_event_fields(record: Mapping[str, Any]) -> tuple[str, str, str, dict[str, Any]]:
    """(code, message, action, extra fields) of the `error` event the first process writes for another's failure."""
    code = str(record["code"])
    if code not in ERROR_ACTIONS:
        code = "TRAINING_FAILED"
    message = f"process {record['rank']} failed: {record.get('message', '')}"[:2000]
    extra = {"rank": record["rank"]}
    if isinstance(record.get("traceback"), str):
        extra["traceback"] = record["traceback"][-4000:]
    return code, message, ERROR_ACTIONS[code], extra


class RankFailureWatcher:
    """On the first process: a thread that turns another process's failure file into `error` + `phase: failed` and
    ends this process (exit 2), so the run ends with the reason even while this process waits in a collective that
    will never complete. `on_failure` is called with the record (for tests); `exit` ends the process."""

    def __init__(self, run_dir: Path | str, on_failure: Callable[[dict[str, Any]], None],
                 exit: Callable[[int], None] = os._exit, env: Mapping[str, str] | None = None,  # noqa: A002
                 poll_seconds: float = FAILURE_POLL_SECONDS) -> None:
        self.run_dir = Path(run_dir)
        self._on_failure = on_failure
        self._exit = exit
        self._launch = launch_id(env)
        # Without a launch id (one machine: torchrun's static rendezvous names none), files from before this
        # process started belong to an earlier launch (a resume after a failure must not die of the old one).
        self._not_before = PROCESS_STARTED - STARTUP_MARGIN_SECONDS
        self._poll = poll_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chatwright-rank-failures", daemon=True)

    def start(self) -> RankFailureWatcher:
        self._thread.start()
        return self

    def check_once(self) -> bool:
        failures = read_rank_failures(self.run_dir, self._launch, self._not_before)
        if not failures:
            return False
        self._on_failure(failures[0])
        return True

    def _run(self) -> None:
        while not self._stop.wait(self._poll):
            if self.check_once():
                self._exit(2)
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)


def torch_all_reduce(op: str) -> ReduceMax | None:
    """An all-reduce (`max` or `sum`) of a few integers over torch.distributed's default group, or None when it is
    not initialised or holds one process. NCCL reduces GPU tensors (this process's current GPU), gloo CPU ones.
    Every process must call the returned function at the same point, as with any collective."""
    try:
        import torch  # noqa: PLC0415
        import torch.distributed as dist  # noqa: PLC0415
    except ImportError:
        return None
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() <= 1:
        return None
    reduce_op = {"max": dist.ReduceOp.MAX, "sum": dist.ReduceOp.SUM}[op]
    on_gpu = str(dist.get_backend()).lower() == "nccl"

    def reduce(values: list[int]) -> list[int]:
        device = torch.device("cuda", torch.cuda.current_device()) if on_gpu else torch.device("cpu")
        tensor = torch.tensor(values, dtype=torch.int64, device=device)
        dist.all_reduce(tensor, op=reduce_op)
        return [int(value) for value in tensor.tolist()]

    return reduce


class TerminalGate:
    """The terminal events (`error` + `phase: failed|done|stopped`) are written once per run, by whichever comes
    first: this process's own ending or the watcher reporting another process's failure."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._claimed = False

    def claim(self) -> bool:
        with self._lock:
            if self._claimed:
                return False
            self._claimed = True
            return True
