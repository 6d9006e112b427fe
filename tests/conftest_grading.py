"""Shared helpers for the grading tests: the synthetic class and what each row must say.

The static submissions live in ``tests/grading_fixtures/class``.  A few are made
at test time because they need absolute paths (the vandal and the snoop), are
symbolic links, or are files pytest itself would pick up (``conftest.py``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

FIXTURES = Path(__file__).parent / "grading_fixtures"
CLASS = FIXTURES / "class"
ASSIGNMENT = FIXTURES / "assignment.toml"

#: student -> (status, part_a, part_b, total); max_total is 5 for everyone.
EXPECTED: dict[str, tuple[str, float, float, float]] = {
    "alice": ("graded", 3, 2, 5),
    "bob": ("graded", 0, 2, 2),
    "carol": ("graded", 0, 0, 0),
    "dave": ("graded", 2, 2, 4),
    "erin": ("graded", 2, 0, 2),
    "frank": ("graded", 0, 0, 0),
    "syntax_error": ("syntax-error", 0, 0, 0),
    "bad_utf8": ("syntax-error", 0, 0, 0),
    "import_error": ("import-error", 0, 0, 0),
    "module_exception": ("load-error", 0, 0, 0),
    "module_exit": ("load-error", 0, 0, 0),
    "wrong_params": ("graded", 0, 0, 0),   # that hypothesis's error, nothing else
    "not_callable": ("graded", 0, 0, 0),
    "wrong_shape": ("graded", 0, 0, 0),
    "wrong_type": ("graded", 0, 0, 0),
    "always_equal": ("graded", 0, 0, 0),
    "nan_inf": ("graded", 0, 0, 0),
    "raises_value_error": ("graded", 0, 0, 0),
    "raises_interrupt": ("graded", 0, 0, 0),
    "hard_exit": ("crashed", 0, 2, 2),
    "segfault": ("crashed", 0, 2, 2),
    "busy_loop": ("timeout", 0, 2, 2),
    "swallow_loop": ("timeout", 0, 0, 0),
    "sleeper": ("timeout", 0, 0, 0),
    "big_alloc": ("graded", 0, 0, 0),
    "big_print": ("graded", 2, 0, 2),
    "fake_results": ("tampered", 0, 0, 0),
    "forker": ("graded", 2, 0, 2),
    "patcher": ("graded", 0, 0, 0),
    "keras_user": ("used-keras", 0, 0, 0),
    "mutator": ("graded", 2, 0, 2),
    "coin_flip": ("graded", 0, 0, 0),
    "many": ("graded", 2, 0, 2),
    "link": ("invalid-submission", 0, 0, 0),
    "vandal": ("graded", 0, 0, 0),
    "snoop": ("graded", 0, 0, 0),
}

#: A quick subset (no timeouts) for the runs that are repeated.
QUICK = ("alice", "bob", "carol", "coin_flip", "frank", "mutator", "wrong_shape", "erin")


def build_class(root: Path, out: Path, only: tuple[str, ...] | None = None) -> Path:
    """Copy the class into ``root`` and add the submissions made at test time."""
    target = root / "class"
    shutil.copytree(CLASS, target)
    (target / "vandal.py").write_text(_vandal(target, out))
    (target / "snoop.py").write_text(_snoop(target))
    (target / "link.py").symlink_to("/etc/passwd")
    (target / "conftest.py").write_text("import os\nos._exit(1)\n")
    (target / "pytest.ini").write_text("[pytest]\naddopts = -x\n")
    if only is not None:
        for item in list(target.iterdir()):
            stem = item.name.split(".")[0]
            if stem not in only and item.name not in ("conftest.py", "pytest.ini"):
                _remove(item)
    return target


def _remove(item: Path) -> None:
    if item.is_dir() and not item.is_symlink():
        shutil.rmtree(item)
    else:
        item.unlink()


def _vandal(submissions: Path, out: Path) -> str:
    return f'''import glob
import os
import shutil

import numpy as np
from harness import PART_A, hypothesis

TARGETS = [{str(out)!r}, {str(submissions)!r}, {str(ASSIGNMENT)!r}, "reports"]


def _vandalise():
    for path in TARGETS:
        shutil.rmtree(path, ignore_errors=True)
        try:
            os.remove(path)
        except OSError:
            pass
    for path in glob.glob({str(submissions)!r} + "/*.py") + glob.glob({str(out)!r} + "/**/*",
                                                                       recursive=True):
        try:
            with open(path, "w") as handle:
                handle.write("raise SystemExit")
        except OSError:
            pass


_vandalise()


@hypothesis(PART_A, name="vandal")
def vandal(kernel, recurrent_kernel, xs):
    _vandalise()
    return np.zeros(1)
'''


def _snoop(submissions: Path) -> str:
    return f'''import numpy as np
from harness import PART_A, PART_B, hypothesis


def _steal():
    try:
        with open({str(submissions / "alice.py")!r}) as handle:
            source = handle.read()
    except OSError:
        return None
    found = {{}}
    exec(source, found)
    return found["input_plus_feedback"]


@hypothesis(PART_A, name="copied from alice")
def copied(kernel, recurrent_kernel, xs):
    stolen = _steal()
    return np.zeros(1) if stolen is None else stolen(kernel, recurrent_kernel, xs)


@hypothesis(PART_B, name="needs the assignment file")
def needs(kernel, recurrent_kernel, xs):
    with open({str(ASSIGNMENT)!r}) as handle:
        if "seed" not in handle.read():
            return np.zeros(2)
    h = np.zeros(2)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h
'''


def no_worker_processes(wait: float = 3.0) -> list[str]:
    """Wait (killed processes take a moment to go) until no worker process is left;
    returns what is still there, described, if any."""
    import time

    deadline = time.monotonic() + wait
    while worker_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    return [_describe(pid) for pid in worker_processes()]


def _describe(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            stat = handle.read()
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            command = handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return f"{pid} (gone)"
    return f"{pid}: {command} | {stat[:80]}"


def worker_processes() -> list[int]:
    """Pids of live processes started by this test process's grading workers: its own
    descendants that carry a worker's token.  Never another run's processes: other
    grading runs may be alive on the same machine."""
    parents: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != b"Z":
            parents[int(name)] = int(fields[1])
    ours = {os.getpid()}
    grew = True
    while grew:
        found = {pid for pid, parent in parents.items() if parent in ours} - ours
        grew = bool(found)
        ours |= found
    return sorted(pid for pid in ours - {os.getpid()} if _is_worker(pid))


def _is_worker(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            return b"HARNESS_WORKER_TOKEN=" in handle.read()
    except OSError:
        return True  # a descendant we may not read (inside its sandbox): count it


def run_cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``python -m harness.grading.cli ARGS`` in a subprocess."""
    import sys

    return subprocess.run([sys.executable, "-m", "harness.grading.cli", *args],
                          capture_output=True, text=True, timeout=timeout, check=False)
