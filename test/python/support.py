"""Temp folders named chatwright-* that are removed when the test ends, passed or failed."""

from __future__ import annotations

import json
import shutil
import tempfile
import unittest
from pathlib import Path
from typing import Any


def temp_dir(test: unittest.TestCase) -> Path:
    path = Path(tempfile.mkdtemp(prefix="chatwright-pytest-"))
    test.addCleanup(shutil.rmtree, path, True)
    return path


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows),
                    encoding="utf-8")
    return path
