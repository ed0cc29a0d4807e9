"""What the GPU check scripts share: a stage whose failure is recorded as a check that did not run, not fatal, so one
broken stage never hides the results of the others."""

from __future__ import annotations

import traceback
from typing import Any, Callable


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
