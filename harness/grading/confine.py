"""Confinement a worker applies to itself before any student code runs.

Run inside the worker (a fresh ``python -I`` process), in this order:

1. **Namespaces** (Linux, when the grader runs as root and ``unshare`` works):
   new PID, network and mount namespaces.  Keras's, TensorFlow's and friends'
   package folders, the submissions folder, the output folder and the
   assignment file are covered by empty read-only mounts, so they are not
   there at all.  The worker then forks: the child is PID 1 of the new
   namespace, so when it dies the kernel kills every process it left behind.
2. **User**: as root, switch to an unprivileged user (``nobody``), which also
   makes the process-count limit bite.
3. **Limits** (``setrlimit``): CPU seconds, address space, file size, open
   files, processes, no core dumps.
4. **Parent death signal**: the worker dies with the grader.

Each step reports what it put in force; the grader prints that in its header.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import stat
import sys
from typing import Any

CLONE_NEWNS = 0x00020000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
PR_SET_PDEATHSIG = 1


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def enter_namespaces(hide: list[str], empty_dir: str, empty_file: str,
                     staging: str) -> list[str]:
    """Unshare PID/network/mount namespaces and hide ``hide``; [] when not possible.

    Python's own folders are made reachable for an unprivileged user (a Python
    installed under ``/root`` is not), and ``/tmp`` becomes a fresh, empty tmpfs,
    so no other worker's folder can be seen.
    """
    libc = _libc()
    if libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET) != 0:
        return []
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        return ["pid and network namespaces"]
    exposed = _expose(libc, [p for p in sys.path if p and os.path.isdir(p)], staging)
    hidden = sum(_hide(libc, path, empty_dir, empty_file) for path in hide)
    if libc.mount(b"tmpfs", b"/tmp", b"tmpfs", 0, b"mode=1777,size=64m") == 0:
        os.environ["TMPDIR"] = "/tmp"
    return [f"pid, network and mount namespaces ({hidden} paths hidden, "
            f"{exposed} Python folders exposed, private /tmp)"]


def _expose(libc: Any, paths: list[str], staging: str) -> int:
    """Bind Python's folders through a tmpfs over any ancestor others cannot enter."""
    groups: dict[str, list[str]] = {}
    for path in paths:
        closed = _closed_ancestor(path)
        if closed is not None:
            groups.setdefault(closed, []).append(path)
    count = 0
    for closed, inside in groups.items():
        parked: list[tuple[str, str]] = []
        for i, path in enumerate(inside):
            spot = os.path.join(staging, f"{len(parked)}-{i}")
            os.mkdir(spot)
            if libc.mount(path.encode(), spot.encode(), None, MS_BIND | MS_REC, None) == 0:
                parked.append((spot, path))
        if libc.mount(b"tmpfs", closed.encode(), b"tmpfs", 0, b"mode=0755,size=1m") != 0:
            continue
        for spot, path in parked:
            os.makedirs(path, mode=0o755, exist_ok=True)
            if libc.mount(spot.encode(), path.encode(), None, MS_BIND | MS_REC, None) == 0:
                count += 1
    return count


def _closed_ancestor(path: str) -> str | None:
    """The highest folder on ``path`` that other users may not enter, if any."""
    current = "/"
    for part in os.path.abspath(path).strip("/").split("/"):
        current = os.path.join(current, part)
        if not os.stat(current).st_mode & stat.S_IXOTH:
            return current
    return None


def _hide(libc: Any, path: str, empty_dir: str, empty_file: str) -> int:
    source = empty_dir if os.path.isdir(path) else empty_file
    if not os.path.exists(path):
        return 0
    if libc.mount(source.encode(), path.encode(), None, MS_BIND, None) != 0:
        return 0
    libc.mount(b"none", path.encode(), None, MS_BIND | MS_REMOUNT | MS_RDONLY, None)
    return 1


def become_pid_one(keep_fds: tuple[int, ...]) -> None:
    """Fork into the new PID namespace; the outer process waits and mirrors the exit."""
    pid = os.fork()
    if pid == 0:
        return
    for fd in keep_fds:
        os.close(fd)
    parent_death_signal()
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    os._exit(code if code >= 0 else 128 - code)


def drop_user(uid: int, gid: int) -> list[str]:
    """Switch to an unprivileged user (only possible as root)."""
    if os.geteuid() != 0:
        return []
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    return [f"unprivileged user (uid {uid})"]


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
