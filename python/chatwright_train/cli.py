"""python -m chatwright_train <command>

  train --config resolved.json --run-dir DIR   run a job (events on stdout and in DIR/events.jsonl)
  env probe [--run-dir DIR]                    one JSON object: Python, torch, CUDA, GPUs, packages, free disk
  merge --base MODEL --adapter DIR --out DIR   merge a LoRA adapter into the unquantized base (bf16)
  labels --config resolved.json [--rows N]     the token ids and loss mask of the first N training rows, as JSON
  replay --run-dir DIR [--after SEQ]           print the run's events after SEQ (what a reconnecting viewer reads)

Exit codes: 0 done, 1 usage, 2 failed (an `error` event says why), 3 stopped on request."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import TrainError


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
        from .config import load_config_file  # noqa: PLC0415
        from .events import EventWriter  # noqa: PLC0415
        from .trainer import run_job  # noqa: PLC0415

        with EventWriter(args.run_dir, echo=None if args.quiet else sys.stdout) as events:
            try:
                config = load_config_file(args.config)
            except TrainError as error:
                events.error(error.code, error.message, error.action, **error.details)
                events.phase("failed", code=error.code)
                return 2
            return run_job(config, args.run_dir, events)
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
