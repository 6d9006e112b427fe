"""One control group per submission: memory, processes and CPU for all its processes.

Where the grader may create control groups (root, or a delegated subtree),
each worker is started inside its own group, created below the grader's own
group: cgroup v2 when the unified hierarchy has the ``memory``, ``pids`` and
``cpu`` controllers, else the v1 ``memory``, ``pids``, ``cpu``/``cpuacct`` and
``freezer`` hierarchies (what many machines still mount).  The group limits

* memory: all of the submission's processes together (no swap);
* processes: how many may exist at once (a fork bomb stops there);
* CPU: an equal weight per submission, so sixty spinning processes of one
  submission get no more of the machine than one honest process of another;

and it measures the CPU time of all the submission's processes (the time
limit counts that), and kills them all at the end (``cgroup.kill``, or
freeze, SIGKILL every member, thaw).  Nothing here scans the machine's
processes.  :func:`available` says which kind, or why none.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import time
from dataclasses import dataclass

ROOT = "/sys/fs/cgroup"
V1 = ("memory", "pids", "cpu", "cpuacct", "freezer")
NEEDED_V1 = ("memory", "pids", "cpuacct")


@dataclass(frozen=True)
class Support:
    """Where this process may create control groups (or why it may not)."""

    version: int
    parents: tuple[tuple[str, str], ...]  # (controller, folder to create groups in)
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def describe(self) -> str:
        if self.problem:
            return (f"no cgroup limits ({self.problem}): per-process limits, and the grader "
                    "watches the memory and CPU time of the submission's process tree")
        kind = "cgroup v2" if self.version == 2 else "cgroup v1"
        return (f"{kind} limits per submission (memory of all its processes, process "
                "count, equal CPU weight; CPU time of all its processes counted)")


def available() -> Support:
    """Find writable cgroup folders below this process's own groups."""
    mine = _own_groups()
    unified = _mount("cgroup2")
    if unified and "" in mine:
        folder = os.path.join(unified, mine[""].lstrip("/"))
        wanted = {"memory", "pids", "cpu"}
        if wanted <= _read_words(os.path.join(folder, "cgroup.controllers")) \
                and _writable(folder):
            return Support(2, (("", folder),))
    parents = []
    for name in V1:
        mount = _mount("cgroup", name)
        if mount and name in mine:
            parents.append((name, os.path.join(mount, mine[name].lstrip("/"))))
    have = {name for name, folder in parents if _writable(folder)}
    for name, folder in parents:
        if name in have:
            _sweep(folder)
    missing = [n for n in NEEDED_V1 if n not in have]
    if missing:
        why = ("the grader may not create control groups (run as root, or in a systemd "
               "unit with Delegate=yes)") if parents else "no cgroup controllers are mounted"
        return Support(0, (), why)
    return Support(1, tuple((n, f) for n, f in parents if n in have))


def _sweep(folder: str) -> None:
    """Remove empty groups left by graders that were killed (their pid is gone)."""
    with contextlib.suppress(OSError):
        for entry in os.listdir(folder):
            parts = entry.split("-")
            if len(parts) == 3 and parts[0] == "harness" and parts[1].isdigit() \
                    and not os.path.exists(f"/proc/{parts[1]}"):
                with contextlib.suppress(OSError):
                    os.rmdir(os.path.join(folder, entry))


def _own_groups() -> dict[str, str]:
    groups: dict[str, str] = {}
    try:
        with open("/proc/self/cgroup") as handle:
            for line in handle:
                _, names, path = line.rstrip("\n").split(":", 2)
                for name in names.split(","):
                    groups[name] = path
    except (OSError, ValueError):
        pass
    return groups


def _mount(kind: str, controller: str | None = None) -> str | None:
    try:
        with open("/proc/self/mounts") as handle:
            for line in handle:
                parts = line.split()
                if len(parts) < 4 or parts[2] != kind:
                    continue
                if controller is None or controller in parts[3].split(","):
                    return parts[1]
    except OSError:
        pass
    return None


def _read_words(path: str) -> set[str]:
    try:
        with open(path) as handle:
            return set(handle.read().split())
    except OSError:
        return set()


def _writable(folder: str) -> bool:
    probe = os.path.join(folder, f"harness-probe-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        os.mkdir(probe)
    except OSError:
        return False
    with contextlib.suppress(OSError):
        os.rmdir(probe)
    return True


class Group:
    """One submission's control group (one folder per hierarchy)."""

    def __init__(self, support: Support, memory_mb: int, processes: int) -> None:
        self.support = support
        name = f"harness-{os.getpid()}-{secrets.token_hex(6)}"
        self.folders = {ctrl: os.path.join(parent, name) for ctrl, parent in support.parents}
        for folder in self.folders.values():
            os.mkdir(folder)
        try:
            self._limit(memory_mb * 1024 * 1024, processes)
        except OSError:
            self.remove()
            raise

    def _limit(self, memory: int, processes: int) -> None:
        if self.support.version == 2:
            self._write("", "memory.max", memory)
            self._write("", "memory.swap.max", 0, optional=True)
            self._write("", "pids.max", processes)
            self._write("", "cpu.weight", 100)
            return
        self._write("memory", "memory.limit_in_bytes", memory)
        self._write("memory", "memory.memsw.limit_in_bytes", memory, optional=True)
        self._write("pids", "pids.max", processes)
        self._write("cpu", "cpu.shares", 1024, optional=True)

    def _write(self, ctrl: str, name: str, value: object, optional: bool = False) -> None:
        folder = self.folders.get(ctrl)
        if folder is None:
            return
        try:
            with open(os.path.join(folder, name), "w") as handle:
                handle.write(str(value))
        except OSError:
            if not optional:
                raise

    @property
    def procs_files(self) -> list[str]:
        """The ``cgroup.procs`` files a new process writes itself into."""
        return [os.path.join(f, "cgroup.procs") for f in self.folders.values()]

    def cpu_seconds(self) -> float:
        """CPU time used by every process that was ever in the group."""
        try:
            if self.support.version == 2:
                with open(os.path.join(self.folders[""], "cpu.stat")) as handle:
                    for line in handle:
                        key, value = line.split()
                        if key == "usage_usec":
                            return int(value) / 1e6
                return 0.0
            with open(os.path.join(self.folders["cpuacct"], "cpuacct.usage")) as handle:
                return int(handle.read()) / 1e9
        except (OSError, ValueError, KeyError):
            return 0.0

    def members(self) -> list[int]:
        pids: set[int] = set()
        for folder in self.folders.values():
            with contextlib.suppress(OSError, ValueError), \
                    open(os.path.join(folder, "cgroup.procs")) as handle:
                pids.update(int(p) for p in handle.read().split())
        return sorted(pids)

    def kill(self) -> None:
        """Kill every process in the group (frozen first, so none can fork away)."""
        if self.support.version == 2:
            self._write("", "cgroup.kill", 1, optional=True)
        else:
            self._write("freezer", "freezer.state", "FROZEN", optional=True)
            for _ in range(50):
                pids = self.members()
                if not pids:
                    break
                for pid in pids:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(pid, signal.SIGKILL)
                self._write("freezer", "freezer.state", "THAWED", optional=True)
                time.sleep(0.002)
        for _ in range(500):
            if not self.members():
                return
            time.sleep(0.01)

    def remove(self) -> None:
        for folder in self.folders.values():
            for _ in range(100):
                try:
                    os.rmdir(folder)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
