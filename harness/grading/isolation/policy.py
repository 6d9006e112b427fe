"""What a grading worker may see and use: one value, computed once per run.

A :class:`Policy` lists, for the sandbox (:mod:`harness.grading.isolation.bwrap`), every
host path the worker's interpreter needs, bound read-only at the same place:
the interpreter (and a venv's ``pyvenv.cfg``), its shared library, the
folders on the worker's own ``sys.path`` (the standard library and
site-packages, wherever they live: a venv, ``/tmp``, ``/root/.pyenv``...),
the ``harness`` package, and the system's shared libraries.  Nothing else of
the host is there.  Keras, TensorFlow, JAX and torch are replaced by a
package whose import fails as for one never installed
(:mod:`harness.grading.isolation._absent`), so a formula cannot use them even after
removing the worker's own import blocker.  The writable ``/tmp`` and
``/dev/shm`` are sized out of the submission's ``memory_mb``
(:func:`tmpfs_mb`), so files count as the memory they are.

The worker's ``sys.path`` is asked from the interpreter itself (``python -I``,
as the worker runs), never taken from the grader's process, whose path may
hold a test folder or the current directory.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from dataclasses import dataclass

from harness.errors import SandboxError
from harness.grading.protocol import BLOCKED

#: The system's shared libraries (libc, libm, the loader), bound or linked as on the host.
SYSTEM = ("/usr/lib", "/usr/lib64", "/usr/lib32", "/lib", "/lib64", "/lib32",
          "/etc/ld.so.cache")

_PROBE = r"""
import importlib.util, json, sys, sysconfig
names = {blocked!r}
blocked = []
for name in names:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        continue
    if spec is not None:
        blocked.extend(spec.submodule_search_locations or [spec.origin])
harness = importlib.util.find_spec("harness")
shared = ""
if sysconfig.get_config_var("Py_ENABLE_SHARED"):
    shared = f"{{sysconfig.get_config_var('LIBDIR')}}/{{sysconfig.get_config_var('INSTSONAME')}}"
print(json.dumps({{"path": sys.path, "harness": list(harness.submodule_search_locations),
                  "blocked": blocked, "shared": shared, "prefix": sys.prefix}}))
"""


#: The sandbox's writable tmpfs mounts, each holding at most this fraction of the
#: submission's ``memory_mb`` (its pages are memory): both together a quarter, and the
#: processes' own memory may use the rest (:func:`resident_mb`).
TMPFS_SHARE = {"/tmp": 8, "/dev/shm": 8}


def tmpfs_mb(memory_mb: int) -> dict[str, int]:
    """The size of each writable tmpfs, in MB, for a submission of ``memory_mb``."""
    return {path: max(1, int(memory_mb) // share) for path, share in TMPFS_SHARE.items()}


def resident_mb(memory_mb: int) -> int:
    """What the processes may hold when the tmpfs mounts are full (``memory_mb`` in all)."""
    return max(1, int(memory_mb) - sum(tmpfs_mb(memory_mb).values()))


@dataclass(frozen=True)
class Policy:
    """The worker's whole view of the host, and what is kept out of it."""

    python: str
    readable: tuple[str, ...]
    links: tuple[tuple[str, str], ...]
    blocked: tuple[str, ...]
    hidden: tuple[str, ...] = ()

    def with_hidden(self, paths: tuple[str, ...]) -> Policy:
        """Also cover ``paths`` (submissions, outputs, ...) where they fall inside the view."""
        inside = tuple(p for p in paths if any(_under(p, r) for r in self.readable))
        return Policy(self.python, self.readable, self.links, self.blocked, inside)


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


@functools.lru_cache(maxsize=4)
def worker_policy(python: str = sys.executable) -> Policy:
    """The policy for workers run by ``python`` (asked once per interpreter)."""
    try:
        done = subprocess.run([python, "-I", "-c", _PROBE.format(blocked=BLOCKED)],
                              capture_output=True, text=True, timeout=60, check=True,
                              env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
        found = json.loads(done.stdout)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        raise SandboxError(f"could not ask the Python interpreter {python!r} where its "
                           f"files are ({exc}); is it a working Python?") from None
    readable = [*_executable_chain(python), *found["harness"], *found["path"]]
    if found["shared"]:
        readable.append(found["shared"])
    readable.append(os.path.join(found["prefix"], "pyvenv.cfg"))
    links: list[tuple[str, str]] = []
    for path in SYSTEM:
        if os.path.islink(path):
            links.append((os.readlink(path), path))
        else:
            readable.append(path)
    existing = sorted({os.path.abspath(p) for p in readable if p and os.path.exists(p)},
                      key=lambda p: (p.count("/"), p))
    blocked = sorted({os.path.abspath(p) for p in found["blocked"] if p})
    return Policy(python, tuple(existing), tuple(links), tuple(blocked))


def _executable_chain(python: str) -> list[str]:
    """The interpreter's path and every link on the way to the real file."""
    chain = [os.path.abspath(python)]
    current = chain[0]
    for _ in range(20):
        if not os.path.islink(current):
            break
        current = os.path.join(os.path.dirname(current), os.readlink(current))
        chain.append(os.path.abspath(current))
    return chain
