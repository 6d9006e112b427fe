"""Starting, talking to and killing one worker process (the parent's side).

A :class:`WorkerProcess` owns a fresh ``python -I -B -m harness.grading.worker``
in a new session (its own process group), in a private temporary folder that
holds only a copy of one submission, with a minimal environment and two pipes
passed by number (requests in, replies out).  Every request has a deadline;
when it passes, or the worker dies, or it sends anything malformed, the whole
process group is killed, leftovers are hunted down by an environment token,
and :class:`WorkerStopped` is raised.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from harness.grading.protocol import (
    ChannelClosed,
    ChannelTimeout,
    ProtocolError,
    receive_by,
    send_by,
)
from harness.grading.worker import BLOCKED

TIMEOUT = "timeout"
CRASHED = "crashed"
TAMPERED = "tampered"
TOKEN_VARIABLE = "HARNESS_WORKER_TOKEN"


class WorkerStopped(BaseException):
    """The worker was stopped (timeout, crash, or a message not from the worker).

    A ``BaseException`` on purpose: it must pass through the checker, Hypothesis
    and ``Scope.contains`` (which treat ``Exception`` as "the formula failed")
    so that the grader, not the hypothesis, gets the blame right.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Limits:
    """Resource limits for one worker (see :func:`harness.grading.confine.set_limits`)."""

    cpu_seconds: int = 120
    memory_mb: int = 1536
    file_mb: int = 16
    open_files: int = 64
    processes: int = 64


@dataclass(frozen=True)
class Isolation:
    """Extra isolation to ask for (used only when the OS allows it)."""

    namespaces: bool = True
    drop_user: bool = True
    hide: tuple[str, ...] = field(default=())


def blocked_package_dirs() -> list[str]:
    """Folders of the packages a formula may not use (found without importing them)."""
    found: list[str] = []
    for name in BLOCKED:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is not None and spec.submodule_search_locations:
            found.extend(spec.submodule_search_locations)
    return found


def _nobody() -> tuple[int, int] | None:
    try:
        entry = pwd.getpwnam("nobody")
    except KeyError:
        return None
    return entry.pw_uid, entry.pw_gid


class WorkerProcess:
    """One live worker for one submission."""

    def __init__(self, files: dict[str, bytes], limits: Limits, isolation: Isolation,
                 deadline: float) -> None:
        self.token = secrets.token_hex(16)
        self.nonce = secrets.token_hex(16)
        self.next_id = 1
        self.root = tempfile.mkdtemp(prefix="harness-grade-")
        self.folder = os.path.join(self.root, "submission")
        self.user = _nobody() if isolation.drop_user and os.geteuid() == 0 else None
        self._stage(files)
        self.proc, self.requests, self.replies = self._spawn()
        self.isolation: list[str] = []
        try:
            self._hello(files, limits, isolation, deadline)
        except BaseException:
            self.kill()
            raise

    # -- life cycle ---------------------------------------------------------------------

    def _stage(self, files: dict[str, bytes]) -> None:
        os.mkdir(self.folder, 0o700)
        for name, data in files.items():
            path = os.path.join(self.folder, name)
            with open(path, "wb") as handle:
                handle.write(data)
        empty = os.path.join(self.root, "empty")
        os.mkdir(empty, 0o555)
        open(os.path.join(self.root, "empty-file"), "wb").close()
        os.mkdir(os.path.join(self.root, "staging"), 0o700)
        if self.user is not None:
            for path in [self.folder, *(os.path.join(self.folder, n) for n in files)]:
                os.chown(path, *self.user)

    def _spawn(self) -> tuple[subprocess.Popen[bytes], int, int]:
        request_r, request_w = os.pipe()
        reply_r, reply_w = os.pipe()
        env = {"PATH": "/usr/bin:/bin", "HOME": self.folder, "TMPDIR": self.folder,
               "LANG": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
               "MKL_NUM_THREADS": "1", TOKEN_VARIABLE: self.token}
        try:
            proc = subprocess.Popen(
                [sys.executable, "-I", "-B", "-m", "harness.grading.worker",
                 str(request_r), str(reply_w)],
                cwd=self.folder, env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                pass_fds=(request_r, reply_w), start_new_session=True)
        finally:
            os.close(request_r)
            os.close(reply_w)
        os.set_blocking(request_w, False)
        os.set_blocking(reply_r, False)
        return proc, request_w, reply_r

    def _hello(self, files: dict[str, bytes], limits: Limits, isolation: Isolation,
               deadline: float) -> None:
        namespaces = None
        if isolation.namespaces and os.geteuid() == 0 and sys.platform == "linux":
            namespaces = {"hide": [*blocked_package_dirs(), *isolation.hide],
                          "empty_dir": os.path.join(self.root, "empty"),
                          "empty_file": os.path.join(self.root, "empty-file"),
                          "staging": os.path.join(self.root, "staging")}
        hello = {"nonce": self.nonce, "files": sorted(f for f in files if f.endswith(".py")),
                 "limits": vars(limits), "namespaces": namespaces, "user": self.user}
        self._guard(lambda: send_by(self.requests, hello, deadline))
        ready = self._receive(0, "ready", deadline)
        self.isolation = [str(item) for item in ready.get("isolation", [])][:10]

    def request(self, op: str, deadline: float, **fields: Any) -> dict[str, Any]:
        """Send one request and return the validated reply (kills the worker on failure)."""
        rid = self.next_id
        self.next_id += 1
        self._guard(lambda: send_by(self.requests, {"op": op, "id": rid, **fields}, deadline))
        return self._receive(rid, op, deadline)

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

    def _stop(self, reason: str, detail: str) -> None:
        self.kill()
        raise WorkerStopped(reason, detail)

    def _death(self) -> str:
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "the grading worker stopped answering"
        return describe_exit(code)

    def close(self, deadline: float) -> None:
        """Say goodbye politely, then make sure nothing is left."""
        with contextlib.suppress(ChannelTimeout, ChannelClosed, ProtocolError, OSError,
                                 subprocess.TimeoutExpired):
            send_by(self.requests, {"op": "bye", "id": self.next_id}, deadline)
            self.proc.wait(timeout=max(0.0, min(0.5, deadline - time.monotonic())))
        self.kill()

    def kill(self) -> None:
        """Kill the whole process group and any process carrying this worker's token."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        reap_leftovers(self.token, self.proc.pid)
        for fd in (self.requests, self.replies):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self.root, ignore_errors=True)


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


def reap_leftovers(token: str, session: int, rounds: int = 20) -> int:
    """SIGKILL every process in ``session`` or carrying ``token``; returns how many."""
    killed = 0
    marker = f"{TOKEN_VARIABLE}={token}".encode()
    for _ in range(rounds):
        found = [pid for pid in _pids() if pid != os.getpid() and _belongs(pid, marker, session)]
        if not found:
            break
        for pid in found:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        killed += len(found)
        time.sleep(0.01)
    return killed


def _pids() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return []


def _belongs(pid: int, marker: bytes, session: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read().rsplit(b")", 1)[1].split()
        if stat[0] == b"Z":
            return False
        if int(stat[4]) == session:
            return True
        with open(f"/proc/{pid}/environ", "rb") as handle:
            return marker in handle.read().split(b"\0")
    except (OSError, IndexError, ValueError):
        return False
