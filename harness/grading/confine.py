"""Limits a worker applies to itself before any student code runs.

The sandbox around the worker (namespaces, file system, control group) is set up
by the grader before the worker starts (:mod:`harness.grading.bwrap`,
:mod:`harness.grading.cgroups`); inside it the worker adds, per process:

1. **Limits** (``setrlimit``): CPU seconds, address space, file size, open
   files, processes, no core dumps.  Where there is no control group, these
   are the only resource limits.
2. **Parent death signal**: the worker dies with whoever started it.

Each step reports what it put in force.
"""

from __future__ import annotations

import contextlib
import ctypes
import resource
import signal
from typing import Any

PR_SET_PDEATHSIG = 1


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def set_limits(limits: dict[str, int]) -> list[str]:
    """Apply the resource limits; returns a description of those in force."""
    table = {
        "cpu_seconds": resource.RLIMIT_CPU,
        "memory_mb": resource.RLIMIT_AS,
        "file_mb": resource.RLIMIT_FSIZE,
        "open_files": resource.RLIMIT_NOFILE,
        "processes": resource.RLIMIT_NPROC,
    }
    applied = []
    for name, which in table.items():
        value = int(limits[name])
        amount = value * 1024 * 1024 if name.endswith("_mb") else value
        try:
            resource.setrlimit(which, (amount, amount))
        except (ValueError, OSError):
            continue
        applied.append(f"{name}={value}")
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return ["limits " + ", ".join(applied) + ", no core dumps"]


def parent_death_signal() -> None:
    """Be killed when the parent dies (Linux only; ignored elsewhere)."""
    with contextlib.suppress(OSError, AttributeError):
        _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
