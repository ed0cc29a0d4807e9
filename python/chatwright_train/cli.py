"""python -m chatwright_train <command>

  train --config resolved.json --run-dir DIR   run a job (events on stdout and in DIR/events.jsonl)
  env probe [--run-dir DIR]                    one JSON object: Python, torch, CUDA, GPUs, packages, free disk
  merge --base MODEL --adapter DIR --out DIR   merge a LoRA adapter into the unquantized base (bf16)
  labels --config resolved.json [--rows N]     the token ids and loss mask of the first N training rows, as JSON
  replay --run-dir DIR [--after SEQ]           print the run's events after SEQ (what a reconnecting viewer reads)

Exit codes: 0 done, 1 usage, 2 failed (an `error` event says why), 3 stopped on request."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import TrainError

if TYPE_CHECKING:
    from .events import EventWriter
    from .ranks import RankInfo


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chatwright_train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train")
    train.add_argument("--config", required=True)
    train.add_argument("--run-dir", required=True)
    train.add_argument("--quiet", action="store_true", help="events only in the run folder, not on stdout")
    env = commands.add_parser("env")
    env.add_argument("action", choices=["probe"])
    env.add_argument("--run-dir")
    merge = commands.add_parser("merge")
    merge.add_argument("--base", required=True)
    merge.add_argument("--adapter", required=True)
    merge.add_argument("--out", required=True)
    merge.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float16", "float32"])
    labels = commands.add_parser("labels")
    labels.add_argument("--config", required=True)
    labels.add_argument("--rows", type=int, default=3)
    replay = commands.add_parser("replay")
    replay.add_argument("--run-dir", required=True)
    replay.add_argument("--after", type=int, default=0)
    return parser


def _print_error(error: TrainError) -> None:
    print(json.dumps({"event": "error", "code": error.code, "message": error.message, "action": error.action,
                      **error.details}), file=sys.stdout)


@contextlib.contextmanager
def train_event_writer(run_dir: str, quiet: bool) -> Iterator[tuple[EventWriter, RankInfo | TrainError]]:
    """The events of a training process: the run's events.jsonl (and stdout unless quiet) for the first process;
    for the others of a multi-process run a writer that writes nothing, except that an `error` goes to stderr (the
    run's log) and to a failure file the first process reports (ranks.py). Launcher variables that do not add up
    come back as the error instead of the rank, reported by a normal writer."""
    from .events import EventWriter, SilentEventWriter  # noqa: PLC0415
    from .ranks import RankInfo, record_rank_failure  # noqa: PLC0415

    try:
        rank: RankInfo | TrainError = RankInfo.from_env()
    except TrainError as error:
        rank = error
    if isinstance(rank, TrainError) or rank.is_main:
        with EventWriter(run_dir, echo=None if quiet else sys.stdout) as events:
            yield events, rank
        return
    this_rank = rank

    def record(event: dict[str, Any]) -> None:
        details = {"traceback": event["traceback"]} if isinstance(event.get("traceback"), str) else {}
        record_rank_failure(run_dir, this_rank, str(event.get("code")), str(event.get("message")), **details)

    yield SilentEventWriter(run_dir, f"chatwright_train process {rank.rank}", on_error=record), rank


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "env":
        from .probe import probe  # noqa: PLC0415

        print(json.dumps(probe(args.run_dir), indent=2))
        return 0
    if args.command == "replay":
        from .events import EVENTS_FILE_NAME, replay  # noqa: PLC0415

        for event in replay(Path(args.run_dir) / EVENTS_FILE_NAME, args.after):
            print(json.dumps(event, ensure_ascii=False))
        return 0
    if args.command == "train":
        from .ranks import die_with_launcher  # noqa: PLC0415

        # First of all: a worker of an elastic launcher must not outlive it (ranks.py).
        die_with_launcher()
        from .config import load_config_file  # noqa: PLC0415
        from .trainer import run_job  # noqa: PLC0415

        with train_event_writer(args.run_dir, args.quiet) as (events, rank):
            try:
                if isinstance(rank, TrainError):
                    raise rank
                config = load_config_file(args.config)
            except TrainError as error:
                events.error(error.code, error.message, error.action, **error.details)
                events.phase("failed", code=error.code)
                return 2
            return run_job(config, args.run_dir, events, rank=rank)
    try:
        if args.command == "merge":
            from .merge import merge_adapter  # noqa: PLC0415

            print(json.dumps({"merged": str(merge_adapter(args.base, args.adapter, args.out, args.dtype))}))
            return 0
        if args.command == "labels":
            from .config import load_config_file  # noqa: PLC0415
            from .masking import convert_rows, label_preview  # noqa: PLC0415
            from .rows import load_rows  # noqa: PLC0415
            from .trainer import load_tokenizer  # noqa: PLC0415

            config = load_config_file(args.config)
            tokenizer = load_tokenizer(config, None)
            rows = load_rows(config.data.train, config.data.format, config.data.max_file_bytes)[: max(args.rows, 0)]
            examples, _ = convert_rows(tokenizer, rows, config.data.max_seq_length, config.data.overlong)
            print(json.dumps([label_preview(example) for example in examples]))
            return 0
    except TrainError as error:
        _print_error(error)
        return 2
    return 1
