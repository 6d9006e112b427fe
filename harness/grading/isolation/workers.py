"""Starting, talking to and killing one worker process (the parent's side).

A :class:`WorkerProcess` owns a fresh ``python -I -B -m harness.grading.worker.serve``
that sees only one submission: in a bubblewrap sandbox (:mod:`harness.grading.isolation.bwrap`,
its view of the machine given by :mod:`harness.grading.isolation.policy`), inside its own
control group where the machine allows one (:mod:`harness.grading.isolation.cgroups`), with a
minimal environment and two pipes passed by number (requests in, replies out).

Every request has a budget of the submission's own CPU time (the control group's,
else the worker process's), with a wall-clock ceiling as a backstop; when it runs
out, or the worker dies, or it sends anything malformed, the sandbox is killed
(the control group, and ``bwrap``, whose pid namespace takes every leftover with
it) and :class:`WorkerStopped` is raised.

:func:`plan_for` finds the strongest isolation once per run: bubblewrap, else
(where it cannot make namespaces but the grader is root, as in Docker) the
container mode (:mod:`harness.grading.isolation.container`: a dedicated uid per worker,
Landlock and seccomp), and refuses (:class:`harness.errors.SandboxError`) when
there is neither, unless the instructor explicitly asked for none.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from harness.errors import SandboxError
from harness.grading.isolation import bwrap, cgroups, container
from harness.grading.isolation.policy import Policy, resident_mb, tmpfs_mb, worker_policy
from harness.grading.protocol import (
    ChannelClosed,
    ChannelTimeout,
    ProtocolError,
    receive_by,
    send_by,
)
from harness.settings import DEFAULT_MEMORY_MB

if TYPE_CHECKING:
    from harness.grading.isolation.spares import SparePool

class StopReason(StrEnum):
    """Why a worker was stopped (:class:`WorkerStopped`); the grader maps each to a
    hypothesis's verdict and a submission's status (:mod:`harness.grading.runner`)."""

    TIMEOUT = "timeout"
    CRASHED = "crashed"
    TAMPERED = "tampered"


TIMEOUT = StopReason.TIMEOUT
CRASHED = StopReason.CRASHED
TAMPERED = StopReason.TAMPERED
TOKEN_VARIABLE = "HARNESS_WORKER_TOKEN"
#: The wall-clock ceiling of a request: this many times its CPU budget, plus WALL_SLACK s.
WALL_FACTOR = 2.0
WALL_SLACK = 2.0
#: Puts itself into the control groups named by its arguments, then runs the rest.
_ENTER_GROUP = 'n=$1; shift; while [ "$n" -gt 0 ]; do echo 0 > "$1" || exit 125; ' \
               'shift; n=$((n-1)); done; exec "$@"'


class WorkerStopped(BaseException):
    """The worker was stopped (timeout, crash, or a message not from the worker).

    A ``BaseException`` on purpose: it must pass through the checker, Hypothesis
    and ``Scope.contains`` (which treat ``Exception`` as "the formula failed")
    so that the grader, not the hypothesis, gets the blame right.
    """

    def __init__(self, reason: StopReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Limits:
    """Resource limits for one worker (see :func:`harness.grading.worker.confine.set_limits`)."""

    cpu_seconds: int = 120
    memory_mb: int = DEFAULT_MEMORY_MB
    file_mb: int = 16
    open_files: int = 64
    processes: int = 64


@dataclass(frozen=True)
class Isolation:
    """What the instructor asked for: a sandbox (the default), or explicitly none."""

    sandbox: bool = True
    hide: tuple[str, ...] = field(default=())
    #: The secret's file: the container mode refuses to run when others may read it.
    secret: tuple[str, ...] = field(default=())
    #: The grader's own folders (``--out``, Gradescope's ``source``): the container mode
    #: removes other users' permissions on them.
    private: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Plan:
    """The isolation a run gets: found once, stated in every output."""

    bwrap: str | None
    policy: Policy | None
    cgroups: cgroups.Support
    container: container.Setup | None = None

    def describe(self, limits: Limits) -> tuple[str, ...]:
        if self.container is not None:
            sandbox = self.container.describe()
        elif self.bwrap is None:
            sandbox = ("NO SANDBOX (--no-sandbox): submissions run as the grader's user and "
                       "can read, write and kill what the grader can")
        else:
            sizes = tmpfs_mb(limits.memory_mb)
            sandbox = ("bubblewrap sandbox: new user, pid, mount, IPC, UTS and network "
                       "namespaces; read-only minimal root (Python, harness, the one "
                       "submission), Keras/TensorFlow/JAX/torch absent; private /tmp and "
                       f"/dev/shm of {sizes['/tmp']} and {sizes['/dev/shm']} MB, counted "
                       "in memory_mb; no capabilities")
        groups = self.cgroups.describe()
        if self.container is not None and not self.cgroups.ok:
            groups = (f"no cgroup limits ({self.cgroups.problem}): per-process limits, the "
                      "process count of its uid, and the grader watches the memory and CPU "
                      "time of every process of its uid")
        return (sandbox, groups,
                f"limits memory_mb={limits.memory_mb}, processes={limits.processes}, "
                f"cpu_seconds={limits.cpu_seconds}, file_mb={limits.file_mb}, "
                f"open_files={limits.open_files}, no core dumps",
                "time limits count the CPU time of all the submission's processes "
                f"(wall-clock ceiling {WALL_FACTOR:g}x + {WALL_SLACK:g} s)",
                "stdout/stderr discarded, Keras/TensorFlow imports blocked")


@functools.lru_cache(maxsize=8)
def plan_for(isolation: Isolation) -> Plan:
    """The strongest isolation here; refuses when there is no sandbox and one is wanted."""
    support = cgroups.available()
    if not isolation.sandbox:
        return Plan(None, None, support)
    if sys.platform != "linux":
        raise SandboxError(refusal(f"the grading sandbox needs Linux (this is "
                                   f"{sys.platform})"))
    policy = worker_policy(sys.executable).with_hidden(isolation.hide)
    found: list[str | None] = [*bwrap.candidates()] or [None]
    problems = []
    for executable in found:
        problem = bwrap.check(executable, policy)
        if problem is None and executable is not None:
            return Plan(executable, policy, support)
        problems.append(str(problem))
    setup, problem = None, None
    try:
        setup = container.setup() if os.geteuid() == 0 else None
    except SandboxError as exc:
        problem = str(exc)
    if setup is not None:
        container.guard(isolation.secret, isolation.hide, isolation.private,
                        setup.landlock)  # then check: does it still run?
    problem = container.check(setup) if setup is not None else problem or (
        f"the {container.NAME} needs the grader to run as root (it starts each worker as a "
        "user of its own)")
    if setup is not None and problem is None:
        return Plan(None, None, support, setup)
    problems.append(str(problem))
    raise SandboxError(refusal("; ".join(problems)))


def refusal(problem: str) -> str:
    """Why grading will not start, and how to fix it."""
    return (f"refusing to grade without a sandbox: {problem}. Without one, a submission "
            "could read the other submissions, change grades.csv or kill the grader. To "
            f"fix: {bwrap.HOW_TO}; or, where that cannot be (a Docker container), run the "
            f"grader as root, which grades in the {container.NAME} (each submission as a "
            "user of its own). To grade anyway without isolation (only code you trust), "
            "pass --no-sandbox.")


@dataclass
class Launch:
    """A started worker waiting for its hello: its sandbox, control group and pipes.
    The submission's folder is empty until :class:`WorkerProcess` writes the files
    (the sandbox sees them: it binds the folder itself)."""

    root: str
    folder: str
    group: cgroups.Group | None
    proc: subprocess.Popen[bytes]
    requests: int
    replies: int
    #: The worker's own uid in the container mode (every process of it is killed).
    uid: int | None = None
    #: Remove the uid's files from the shared writable folders (no Landlock kept it out).
    sweep: bool = False

    def kill(self) -> None:
        """Kill every process of the worker (control group, then ``bwrap``, whose pid
        namespace ends, taking every process left in it) and remove its folder."""
        if self.group is not None:
            self.group.kill()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        if self.uid is not None:
            container.kill_all(self.uid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        if self.uid is not None:
            container.kill_all(self.uid)  # anything started while the worker died
            if self.sweep:
                container.sweep(self.uid)
            container.release(self.uid)
            self.uid = None
        if self.group is not None:
            self.group.kill()
            self.group.remove()
            self.group = None
        for fd in (self.requests, self.replies):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.requests = self.replies = -1
        shutil.rmtree(self.root, ignore_errors=True)


def launch(plan: Plan, limits: Limits) -> Launch:
    """Start a worker for ``plan`` (it waits for its hello)."""
    root = tempfile.mkdtemp(prefix="harness-grade-")
    folder = os.path.join(root, "submission")
    group = None
    uid = container.allocate() if plan.container is not None else None
    try:
        os.mkdir(folder, 0o755)
        if uid is not None:  # only this worker's group may enter, and may write nothing
            os.chown(root, 0, uid)
            os.chmod(root, 0o750)
        if plan.cgroups.ok:
            group = cgroups.Group(plan.cgroups, limits.memory_mb, limits.processes)
        proc, requests, replies = _spawn(plan, folder, group, limits, uid)
    except BaseException:
        if group is not None:
            group.remove()
        if uid is not None:
            container.kill_all(uid)
            container.release(uid)
        shutil.rmtree(root, ignore_errors=True)
        raise
    sweep = plan.container is not None and not plan.container.landlock
    return Launch(root, folder, group, proc, requests, replies, uid, sweep)


def _spawn(plan: Plan, folder: str, group: cgroups.Group | None, limits: Limits,
           uid: int | None = None) -> tuple[subprocess.Popen[bytes], int, int]:
    request_r, request_w = os.pipe()
    reply_r, reply_w = os.pipe()
    sandboxed = plan.bwrap is not None and plan.policy is not None
    home = "/tmp" if sandboxed else folder
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "TMPDIR": home,
           "LANG": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", TOKEN_VARIABLE: secrets.token_hex(16)}
    argv = [sys.executable, "-I", "-B", "-m", "harness.grading.worker.serve",
            str(request_r), str(reply_w)]
    user: dict[str, Any] = {}
    if plan.bwrap is not None and plan.policy is not None:
        argv = bwrap.command(plan.bwrap, plan.policy, folder, argv, limits.memory_mb)
    elif plan.container is not None and uid is not None:
        argv = plan.container.argv(request_r, reply_w)
        user = {"user": uid, "group": uid, "extra_groups": [], "umask": 0o077}
    if group is not None and uid is None:
        files = group.procs_files
        argv = ["/bin/sh", "-c", _ENTER_GROUP, "sh", str(len(files)), *files, *argv]
    try:
        proc = subprocess.Popen(
            argv, cwd=folder, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(request_r, reply_w), start_new_session=True, **user)
        if group is not None and uid is not None:
            # The worker cannot enter a root-owned group itself; it runs no submission
            # code (and starts no process) before its hello, sent after this.
            for path in group.procs_files:
                with open(path, "w") as handle:
                    handle.write(str(proc.pid))
    except BaseException:
        for fd in (request_w, reply_r):
            os.close(fd)
        raise
    finally:
        os.close(request_r)
        os.close(reply_w)
    os.set_blocking(request_w, False)
    os.set_blocking(reply_r, False)
    return proc, request_w, reply_r


class WorkerProcess:
    """One live worker for one submission (a spare one when the class run's ``spares``
    has one ready, see :mod:`harness.grading.isolation.spares`)."""

    def __init__(self, files: dict[str, bytes], limits: Limits, isolation: Isolation,
                 deadline: float, spares: SparePool | None = None) -> None:
        self.plan = plan_for(isolation)
        self.nonce = secrets.token_hex(16)
        self.next_id = 1
        self.last_cost: float | None = None
        self.memory_mb = limits.memory_mb
        # Without a control group the grader watches the processes' memory; under
        # bubblewrap the private /tmp and /dev/shm hold the rest of memory_mb.
        self.resident_mb = (resident_mb(limits.memory_mb) if self.plan.bwrap is not None
                            else limits.memory_mb)
        self.isolation = list(self.plan.describe(limits))
        taken = spares.take(self.plan, limits) if spares is not None else None
        self.launched = taken or launch(self.plan, limits)
        if spares is not None:
            spares.want(self.plan, limits)
        try:
            self._stage(files)
            self._hello(files, limits, deadline)
        except BaseException:
            self.kill()
            raise

    @property
    def proc(self) -> subprocess.Popen[bytes]:
        return self.launched.proc

    @property
    def group(self) -> cgroups.Group | None:
        return self.launched.group

    @property
    def requests(self) -> int:
        return self.launched.requests

    @property
    def replies(self) -> int:
        return self.launched.replies

    # -- life cycle ---------------------------------------------------------------------

    def _stage(self, files: dict[str, bytes]) -> None:
        for name, data in files.items():
            path = os.path.join(self.launched.folder, name)
            with open(path, "wb") as handle:
                handle.write(data)

    def _hello(self, files: dict[str, bytes], limits: Limits, deadline: float) -> None:
        hello: dict[str, Any] = {
            "nonce": self.nonce, "files": sorted(f for f in files if f.endswith(".py")),
            "limits": vars(limits)}
        setup = self.plan.container
        if setup is not None:
            hello["lock_down"] = {"readable": list(setup.readable),
                                  "landlock": setup.landlock}
        self._guard(lambda: send_by(self.requests, hello, deadline))
        self._receive(0, "ready", deadline)

    def request(self, op: str, deadline: float, **fields: Any) -> dict[str, Any]:
        """Send one request and return the validated reply (kills the worker on failure).

        ``deadline - now`` is the CPU time the request may use; ``last_cost`` is
        then what it used (CPU seconds, or wall seconds where CPU is not measured).
        """
        rid = self.next_id
        self.next_id += 1
        allowed = max(0.0, deadline - time.monotonic())
        ceiling = time.monotonic() + WALL_FACTOR * allowed + WALL_SLACK
        started, wall = self.cpu_seconds(), time.monotonic()
        try:
            self._guard(lambda: send_by(self.requests, {"op": op, "id": rid, **fields},
                                        ceiling))
            self._guard(lambda: self._await(started, allowed, ceiling))
            reply = self._receive(rid, op, ceiling)
            self._watch_files()
            return reply
        finally:
            used = self.cpu_seconds()
            self.last_cost = time.monotonic() - wall
            if used is not None and started is not None:
                self.last_cost = max(used - started, 0.0)

    def _await(self, started: float | None, allowed: float, ceiling: float) -> None:
        """Wait for a reply to start arriving, within the CPU budget and the ceiling
        (and, without a control group, the memory limit of the whole process tree)."""
        if started is None:
            ceiling = min(ceiling, time.monotonic() + allowed)
        step = 0.02
        while True:
            now = time.monotonic()
            if now >= ceiling:
                raise ChannelTimeout("wall-clock ceiling reached")
            ready, _, _ = select.select([self.replies], [], [], min(step, ceiling - now))
            if ready:
                return
            if self.group is None:
                tree = _Tree(self.proc.pid, self.launched.uid)
                if tree.memory_mb() > self.resident_mb:
                    self._stop(CRASHED, f"the code used more than {self.memory_mb} MB of "
                                        "memory in all its processes together")
                used = tree.cpu_seconds()
            else:
                used = self.group.cpu_seconds()
            self._watch_files()
            if started is not None and used is not None and used - started >= allowed:
                raise ChannelTimeout("CPU time limit reached")
            step = min(0.25, step * 2)

    def _watch_files(self) -> None:
        """The container mode without Landlock: what the code writes in /tmp and the like
        is limited as under bubblewrap (a quarter of memory_mb)."""
        if self.launched.sweep and self.launched.uid is not None:
            allowed_mb = self.memory_mb - resident_mb(self.memory_mb)
            if container.files_mb(self.launched.uid) > allowed_mb:
                self._stop(CRASHED, f"the code wrote more than {allowed_mb} MB of files")

    def cpu_seconds(self) -> float | None:
        """CPU time used by all the submission's processes so far: its control group's,
        else its process tree's (None when it cannot be measured)."""
        if self.group is not None:
            return self.group.cpu_seconds()
        return _Tree(self.proc.pid, self.launched.uid).cpu_seconds()

    def _receive(self, rid: int, op: str, deadline: float) -> dict[str, Any]:
        reply = self._guard(lambda: receive_by(self.replies, deadline))
        if reply.get("nonce") != self.nonce or reply.get("id") != rid or reply.get("op") != op:
            self._stop(TAMPERED, "the grader received a message that did not come from the "
                                 "grading worker (did the code write to the grader's channel?)")
        return reply

    def _guard(self, action: Any) -> Any:
        try:
            return action()
        except ChannelTimeout:
            self._stop(TIMEOUT, "the time limit was reached")
        except ChannelClosed:
            self._stop(CRASHED, self._death())
        except ProtocolError as exc:
            self._stop(TAMPERED, f"the grading worker sent a malformed message ({exc})")

    def _stop(self, reason: StopReason, detail: str) -> None:
        self.kill()
        raise WorkerStopped(reason, detail)

    def _death(self) -> str:
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "the grading worker stopped answering"
        return describe_exit(code)

    def close(self) -> None:
        """The submission is done: kill every process of it at once.  A worker keeps
        nothing worth a polite goodbye, and waiting for its interpreter to exit cost
        about 0.15 s a submission."""
        self.kill()

    def kill(self) -> None:
        """Kill every process of the submission and remove its folder."""
        self.launched.kill()


def describe_exit(code: int) -> str:
    """How a worker ended, in plain words."""
    names: dict[int, str] = {signal.SIGSEGV: "a segmentation fault (a crash inside native code)",
             signal.SIGKILL: "being killed (too much memory or CPU time)",
             signal.SIGXCPU: "using more CPU time than allowed",
             signal.SIGXFSZ: "writing a file larger than allowed",
             signal.SIGABRT: "an abort inside native code",
             signal.SIGBUS: "a bus error (a crash inside native code)"}
    if code < 0:
        return f"the code ended the grading process by {names.get(-code, f'signal {-code}')}"
    if code > 128 and (code - 128) in names:
        return f"the code ended the grading process by {names[code - 128]}"
    return f"the code ended the grading process itself (exit code {code}, e.g. os._exit)"


class _Tree:
    """The processes started by the grader's child ``root`` (the sandbox, or the worker
    without one), read from /proc once: only that tree is looked at.  With ``uid`` (the
    container mode), every process of that user instead, daemons included."""

    def __init__(self, root: int, uid: int | None = None) -> None:
        stats: dict[int, list[bytes]] = {}
        if uid is not None:
            for pid, owner in container.processes():
                stat = _stat(pid) if owner == uid else []
                if stat:
                    stats[pid] = stat
            self.stats = list(stats.values())
            return
        with contextlib.suppress(OSError):
            for name in os.listdir("/proc"):
                if name.isdigit():
                    stat = _stat(int(name))
                    if stat:
                        stats[int(name)] = stat
        members = {root} if root in stats else set()
        grew = bool(members)
        while grew:
            found = {pid for pid, stat in stats.items()
                     if int(stat[1]) in members and pid not in members}
            members |= found
            grew = bool(found)
        self.stats = [stats[pid] for pid in members]

    def cpu_seconds(self) -> float | None:
        """User + system CPU seconds of the tree, reaped children included."""
        if not self.stats:
            return None
        ticks = sum(int(v) for stat in self.stats for v in stat[11:15])
        return ticks / os.sysconf("SC_CLK_TCK")

    def memory_mb(self) -> float:
        """Resident memory of the whole tree."""
        pages = sum(int(stat[21]) for stat in self.stats)
        return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def _stat(pid: int) -> list[bytes]:
    """Fields of /proc/PID/stat after the command name (state is [0], ppid [1])."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return []
