"""What the GPU check scripts share: a clock and a log line prefix, the report of checks (written as JSON and
Markdown after every check, so a script cut short still leaves its results), and a stage whose failure is recorded
as a check that did not run, not fatal, so one broken stage never hides the results of the others."""

from __future__ import annotations

import json
import time
import traceback
from pathlib import Path
from typing import Any, Callable

STARTED = time.monotonic()


def elapsed() -> float:
    """Seconds since the script started (this module is imported first thing)."""
    return time.monotonic() - STARTED


def make_log(prefix: str) -> Callable[[str], None]:
    """A log function that prints `[prefix  12.3s] message` and flushes (the GPU tool shows the output's tail)."""

    def log(message: str) -> None:
        print(f"[{prefix} {elapsed():6.1f}s] {message}", flush=True)

    return log


def result_word(met: bool | None, not_run: str = "n/a") -> str:
    return "met" if met else ("NOT MET" if met is False else not_run)


class Report:
    """The checks of one script and its facts. `stem`: OUT/<stem>.json and OUT/<stem>.md; `title`: the Markdown
    heading; `not_run`: the word for a check that did not run; `result_column`: the table's last column;
    `details`: a section with each check's detail; `stamp_elapsed`: facts.elapsed_seconds at each write."""

    def __init__(self, out: Path, log: Callable[[str], None], *, stem: str, title: str, not_run: str = "n/a",
                 result_column: str = "met", details: bool = False, stamp_elapsed: bool = False) -> None:
        self.out = out
        self.log = log
        self.stem = stem
        self.title = title
        self.not_run = not_run
        self.result_column = result_column
        self.details = details
        self.stamp_elapsed = stamp_elapsed
        self.checks: list[dict[str, Any]] = []
        self.facts: dict[str, Any] = {}

    def check(self, name: str, target: str, value: Any, met: bool | None, detail: str = "") -> None:
        """met: True / False / None (not run: `value` says why)."""
        self.checks.append({"check": name, "target": target, "value": value, "met": met, "detail": detail})
        status = result_word(met, self.not_run).upper() if met else result_word(met, self.not_run)
        self.log(f"CHECK {name}: {value} (target {target}) -> {status} {detail}")
        self.write()

    def write(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        if self.stamp_elapsed:
            self.facts["elapsed_seconds"] = round(elapsed(), 1)
        (self.out / f"{self.stem}.json").write_text(json.dumps({"checks": self.checks, "facts": self.facts}, indent=2,
                                                               default=str))
        lines = [f"# {self.title}", "", f"| check | target | value | {self.result_column} |", "|---|---|---|---|"]
        for c in self.checks:
            value = f"{c['value']:.4g}" if isinstance(c["value"], float) else c["value"]
            lines.append(f"| {c['check']} | {c['target']} | {value} | {result_word(c['met'], self.not_run)} |")
        if self.details:
            lines += ["", "## Details", "", *(f"- **{c['check']}**: {c['detail']}" for c in self.checks if c["detail"])]
        lines += ["", "## Facts", "", "```json", json.dumps(self.facts, indent=2, default=str), "```", ""]
        (self.out / f"{self.stem}.md").write_text("\n".join(lines))

    def print_summary(self, with_details: bool = True) -> None:
        print("\n==================== SUMMARY ====================")
        for c in self.checks:
            value = c["value"] if not isinstance(c["value"], float) else f"{c['value']:.4g}"
            detail = f" | {c['detail']}" if with_details and c["detail"] else ""
            print(f"- {c['check']}: {value} | target {c['target']} | {result_word(c['met'], self.not_run)}{detail}")
        print("=================================================\n", flush=True)


def run_stage(report: Any, log: Callable[[str], None], name: str, function: Callable[..., Any], *args: Any) -> Any:
    """Runs `function(*args)`; on an exception records `name` as not met (with the traceback's end) and returns None.
    `report` is the script's own report: anything with `check(name, target, value, met, detail)`."""
    log(f"--- {name}")
    try:
        return function(*args)
    except Exception as error:  # noqa: BLE001 - one broken stage must not hide the others' results
        report.check(name, "runs", f"{type(error).__name__}: {str(error)[:300]}", False,
                     traceback.format_exc()[-1500:].replace("\n", " | "))
        return None
