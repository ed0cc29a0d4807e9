"""A process that must not outlive its parent: Linux's PR_SET_PDEATHSIG has the kernel send SIGKILL to a process
when the thread that started it ends, however it ends (a SIGKILL included, which no handler of the parent sees).

Two users: the GPU server's `vllm serve` child (armed between fork and exec, `die_with_parent`), and a trainer
process started by torch's elastic launcher (`accelerate launch`), which runs in a session of its own and so is out
of reach of the signals sent to Chatwright's process group (armed by the process itself, ranks.py).

Elsewhere (macOS, Windows) there is no such call: these return None and the callers' own stops are all there is."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

Prctl = Callable[[int, int, int, int, int], int]


def load_prctl() -> Prctl | None:
    """libc's prctl on Linux, else None. Load it before a fork: a preexec_fn must not load libraries."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    except OSError:
        return None
    return libc.prctl  # type: ignore[no-any-return]


def arm_parent_death_signal(expected_parent: int, prctl: Prctl) -> bool:
    """Asks for SIGKILL when the parent ends, then checks the parent is still `expected_parent`: one that ended
    before the call took effect sends no signal (this process was already handed to another parent). False then,
    or when the kernel refused the call; True when armed under the expected parent."""
    if prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
        return False
    return os.getppid() == expected_parent


def die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn that has the kernel SIGKILL the child when this process ends (None where that is not possible).
    A child whose parent is already gone exits at once instead of running unwatched."""
    prctl = load_prctl()
    if prctl is None:
        return None
    parent = os.getpid()

    def preexec() -> None:
        if not arm_parent_death_signal(parent, prctl) and os.getppid() != parent:
            os._exit(1)

    return preexec
