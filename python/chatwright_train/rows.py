"""Reading and checking dataset rows (JSON Lines): formats `messages`, `prompt`/`completion`, `text`.

Files named by the job are hostile until checked: a regular file, under a size cap, UTF-8, one JSON object a line.
Errors carry `file:line: field: problem` so the editor can jump to them."""

from __future__ import annotations

import json
import os
import random
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import TrainError

ROLES = ("system", "user", "assistant", "tool")
EVAL_SIBLING_NAMES = ("valid", "validation", "eval", "dev")
MAX_REPORTED_ERRORS = 20


@dataclass
class Row:
    file: str
    line: int
    kind: str  # messages | prompt_completion | text
    value: dict[str, Any]

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"


def read_jsonl(path: Path | str, max_bytes: int) -> list[tuple[int, Any]]:
    """(line number, parsed value) for each non-blank line. Raises DATA_UNREADABLE / DATA_INVALID."""
    file = Path(path)
    try:
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise TrainError("DATA_UNREADABLE", f"{file}: {error.strerror or error}") from error
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise TrainError("DATA_UNREADABLE", f"{file}: not a regular file")
    with os.fdopen(fd, "rb") as handle:
        if info.st_size > max_bytes:
            raise TrainError("DATA_UNREADABLE", f"{file}: {info.st_size} bytes is over the {max_bytes}-byte cap "
                                                "(data.max_file_bytes)")
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise TrainError("DATA_UNREADABLE", f"{file}: grew past the {max_bytes}-byte cap while being read")
    rows: list[tuple[int, Any]] = []
    errors: list[str] = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            errors.append(f"{file}:{number}: not UTF-8 (byte {error.start})")
            continue
        if number == 1 and text.startswith("\ufeff"):
            text = text[1:]
        try:
            rows.append((number, json.loads(text)))
        except json.JSONDecodeError as error:
            errors.append(f"{file}:{number}:{error.colno}: invalid JSON: {error.msg}")
        if len(errors) >= MAX_REPORTED_ERRORS:
            break
    if errors:
        raise TrainError("DATA_INVALID", f"{len(errors)} unreadable line(s); first: {errors[0]}", {"errors": errors})
    return rows


def detect_kind(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    if "messages" in value:
        return "messages"
    if "prompt" in value or "completion" in value:
        return "prompt_completion"
    if "text" in value:
        return "text"
    return None


def check_messages(messages: Any, where: str, field: str = "messages") -> list[str]:
    if not isinstance(messages, list) or not messages:
        return [f"{where}: {field}: must be a non-empty list of {{role, content}} objects"]
    problems: list[str] = []
    for index, message in enumerate(messages):
        at = f"{where}: {field}[{index}]"
        if not isinstance(message, dict):
            problems.append(f"{at}: must be an object with role and content")
            continue
        role, content = message.get("role"), message.get("content")
        if role not in ROLES:
            problems.append(f"{at}.role: must be one of {', '.join(ROLES)}; got {role!r}")
        if not isinstance(content, str):
            problems.append(f"{at}.content: must be a string, got {type(content).__name__}")
        elif role == "assistant" and not content.strip():
            problems.append(f"{at}.content: an assistant reply must not be blank")
        if role == "system" and index != 0:
            problems.append(f"{at}.role: a system message must come first")
    return problems


def check_row(value: Any, kind: str, where: str) -> list[str]:
    """Problems with one row of the given kind (empty when usable)."""
    if not isinstance(value, dict):
        return [f"{where}: a row must be a JSON object, got {type(value).__name__}"]
    if kind == "messages":
        problems = check_messages(value.get("messages"), where)
        if not problems and not any(m.get("role") == "assistant" for m in value["messages"]):
            problems.append(f"{where}: messages: no assistant turn, so nothing would be trained on")
        return problems
    if kind == "prompt_completion":
        prompt, completion = value.get("prompt"), value.get("completion")
        if isinstance(prompt, list) or isinstance(completion, list):
            problems = check_messages(prompt, where, "prompt") + check_messages(completion, where, "completion")
            if not problems and not any(m.get("role") == "assistant" for m in completion):
                problems.append(f"{where}: completion: needs an assistant message")
            return problems
        problems = []
        if not isinstance(prompt, str):
            problems.append(f"{where}: prompt: must be a string (or a list of messages)")
        if not isinstance(completion, str) or not completion.strip():
            problems.append(f"{where}: completion: must be a non-blank string (or a list of messages)")
        return problems
    if kind == "text":
        text = value.get("text")
        if not isinstance(text, str) or not text.strip():
            return [f"{where}: text: must be a non-blank string"]
        return []
    return [f"{where}: unknown format {kind!r}"]


def load_rows(path: Path | str, format_hint: str, max_bytes: int) -> list[Row]:
    """Reads and checks every row; the format is the config's, or for `auto` the first row's, and every row must
    share it. Raises DATA_INVALID listing up to 20 located problems, DATA_EMPTY when the file has no rows."""
    file = str(path)
    parsed = read_jsonl(path, max_bytes)
    if not parsed:
        raise TrainError("DATA_EMPTY", f"{file}: no rows")
    kind = format_hint
    if kind == "auto":
        first_line, first = parsed[0]
        detected = detect_kind(first)
        if detected is None:
            raise TrainError("DATA_INVALID", f"{file}:{first_line}: cannot tell the format: a row needs `messages`, "
                                             "`prompt`+`completion` or `text`")
        kind = detected
    rows: list[Row] = []
    errors: list[str] = []
    for line, value in parsed:
        where = f"{file}:{line}"
        problems = check_row(value, kind, where)
        if problems:
            errors.extend(problems)
            if len(errors) >= MAX_REPORTED_ERRORS:
                break
        else:
            rows.append(Row(file=file, line=line, kind=kind, value=value))
    if errors:
        raise TrainError("DATA_INVALID", f"{len(errors)} problem(s) in {file} (format {kind}); first: {errors[0]}",
                         {"errors": errors[:MAX_REPORTED_ERRORS], "format": kind})
    return rows


def find_eval_sibling(train_path: Path | str) -> Path | None:
    """`train.jsonl` -> `valid.jsonl`/`validation.jsonl`/`eval.jsonl`/`dev.jsonl` in the same folder, also with the
    train file's prefix kept (`chat-train.jsonl` -> `chat-valid.jsonl`)."""
    train = Path(train_path)
    stem, suffix = train.stem, train.suffix or ".jsonl"
    candidates: list[Path] = []
    for marker in ("train", "training"):
        if marker in stem:
            candidates += [train.with_name(stem.replace(marker, name) + suffix) for name in EVAL_SIBLING_NAMES]
    candidates += [train.with_name(name + suffix) for name in EVAL_SIBLING_NAMES]
    for candidate in candidates:
        if candidate != train and candidate.is_file():
            return candidate
    return None


def split_eval(rows: list[Row], fraction: float, seed: int, minimum_train_rows: int = 20) -> tuple[list[Row], list[Row]]:
    """Holds out round(fraction * n) rows (at least 1) chosen with the job's seed; none for tiny sets, where every
    row is worth more for training than a noisy eval loss."""
    if fraction <= 0 or len(rows) < minimum_train_rows:
        return rows, []
    count = max(1, round(len(rows) * fraction))
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    held = set(order[:count])
    return [r for i, r in enumerate(rows) if i not in held], [r for i, r in enumerate(rows) if i in held]
