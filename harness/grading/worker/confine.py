"""Limits a worker applies to itself before any student code runs.

The sandbox around the worker (namespaces, file system, control group) is set up
by the grader before the worker starts (:mod:`harness.grading.isolation.bwrap`,
:mod:`harness.grading.isolation.cgroups`); inside it the worker adds, per process:

1. **Limits** (``setrlimit``): CPU seconds, address space, file size, open
   files, processes, no core dumps.  Where there is no control group, these
   are the only resource limits.
2. **Parent death signal**: the worker dies with whoever started it.
3. In the container mode only (:mod:`harness.grading.isolation.container`, no namespaces):
   Landlock and a seccomp filter (:func:`lock_down`).

Each step reports what it put in force.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
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


#: ``clone`` flags that make new namespaces (denied, as in Docker's default profile).
NAMESPACE_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000,
                   0x20000000, 0x40000000, 0x00000080)
#: System calls a worker never needs and an attacker wants (debugging, namespaces, mounts,
#: io_uring, which would bypass the socket rule, keyrings, BPF, handles to any file).
DENIED = ("ptrace", "process_vm_readv", "process_vm_writev", "unshare", "setns", "mount",
          "umount2", "pivot_root", "chroot", "keyctl", "add_key", "request_key", "bpf",
          "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
          "io_uring_register", "open_by_handle_at", "name_to_handle_at", "fsopen",
          "fsmount", "fspick", "open_tree", "move_mount", "mount_setattr", "kexec_load",
          "init_module", "finit_module", "delete_module", "fanotify_init", "quotactl",
          "pidfd_getfd")


def lock_down(readable: list[str], landlock_abi: int) -> list[str]:
    """The container mode's confinement, applied by the worker to itself (after
    ``PR_SET_NO_NEW_PRIVS``, which needs no privilege): Landlock, when ``landlock_abi``
    says the kernel offers it (read only ``readable``, write nothing but ``/dev/null``),
    then a seccomp filter.  Raises when a promised part cannot be put in force: the
    worker must not run student code with less than the grader stated."""
    import landlock
    import pyseccomp  # finds libseccomp with ldconfig: before Landlock forbids running it

    applied = []
    if landlock_abi:
        reading = (landlock.FSAccess.READ_FILE | landlock.FSAccess.READ_DIR
                   | landlock.FSAccess.EXECUTE)
        rules = landlock.Ruleset()
        for path in readable:
            if os.path.exists(path):
                rules.allow(path, rules=reading if os.path.isdir(path)
                            else reading & landlock.FSAccess.all_file())
        rules.allow(os.devnull, rules=landlock.FSAccess.READ_FILE
                    | landlock.FSAccess.WRITE_FILE)
        rules.apply()
        applied.append("Landlock (read-only view, nothing writable)")
    _seccomp(pyseccomp)
    applied.append("seccomp (no network sockets, ptrace, process_vm_*, namespaces, mounts)")
    return applied


def _seccomp(sc: Any) -> None:
    import errno
    import socket

    denied = sc.ERRNO(errno.EPERM)
    rules = sc.SyscallFilter(sc.ALLOW)
    for name in DENIED:
        with contextlib.suppress(Exception):  # a name this libseccomp does not know
            rules.add_rule(denied, name)
    with contextlib.suppress(Exception):
        rules.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")  # flags out of reach: C falls back
    for flag in NAMESPACE_FLAGS:
        rules.add_rule(denied, "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    rules.add_rule(sc.ERRNO(errno.EAFNOSUPPORT), "socket",
                   sc.Arg(0, sc.NE, socket.AF_UNIX))
    rules.load()
