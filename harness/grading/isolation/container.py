"""The container mode: grading where bubblewrap cannot run but the grader is root.

Gradescope and most CI runners grade inside Docker: root, but without
``CAP_SYS_ADMIN``, and Docker's default seccomp profile forbids the user
namespaces bubblewrap needs.  Root may still change user, so each worker runs:

* as a **dedicated unprivileged uid/gid** (one per worker, used by no other
  process and by no account on the machine; no supplementary groups), so it
  can neither signal nor ``ptrace`` the grader or another worker, and
  ``RLIMIT_NPROC`` (a per-uid count) caps all its processes together;
* from an **environment of its own**: the base interpreter with ``-I -S`` (no
  site-packages at all) and a root-owned folder holding a link to numpy and
  copies of the harness and its two confinement libraries, nothing else, so Keras and TensorFlow
  are not on its path (``import tensorflow`` fails for real);
* with a **clean environment** (no secret in it) and every grader file out of
  reach: the secret must not be readable by other users (the run refuses
  otherwise), the grader's own folders (``--out``, Gradescope's ``source``)
  lose their permissions for others before any worker starts, and without
  Landlock the other hidden paths (submissions, assignment) must not be
  readable by others either (:func:`guard`);
* **confined by itself** before any student code (:func:`harness.grading.worker.confine.lock_down`):
  Landlock, where the kernel offers it (read-only access to its own view of
  the file system, nothing writable), then a seccomp filter (network sockets,
  ``ptrace``, ``process_vm_*``, namespaces, mounts, io_uring, keyrings, BPF).

At the end of each submission every process of its uid is killed
(``kill(-1, SIGKILL)`` sent *as that uid*, which reaches all of them at once,
daemons included), before the grader writes anything.

What it does not cover (stated in every output): no private pid, network or
mount namespace (the worker sees the host's process list and, without
Landlock, every world-readable file, and may write into world-writable
folders: what it leaves in /tmp, /var/tmp, /dev/shm and /run/lock is removed
after it, :func:`sweep`), no private ``/tmp`` counted in memory, and no cgroup unless the
container allows one.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib.util
import json
import os
import pwd
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

from harness.errors import SandboxError
from harness.grading.isolation.policy import SYSTEM, _executable_chain

NAME = "container mode"
#: The packages a worker may import beside the standard library.
PACKAGES = ("numpy", "harness", "pyseccomp", "landlock")
#: Where dedicated uids are drawn from (above every range systemd and Debian allocate).
FIRST_UID = 0x70000000
SPAN = 0x0FFFFFFF
#: Runs the worker from the environment folder (``-I -S``: nothing else on the path).
BOOT = ("import sys; sys.path.insert(0, sys.argv.pop(1)); import runpy; "
        "runpy.run_module('harness.grading.worker.serve', run_name='__main__', alter_sys=True)")

_PROBE = r"""
import json, sys, sysconfig
shared = ""
if sysconfig.get_config_var("Py_ENABLE_SHARED"):
    shared = f"{sysconfig.get_config_var('LIBDIR')}/{sysconfig.get_config_var('INSTSONAME')}"
print(json.dumps({"path": sys.path, "shared": shared}))
"""
_CHECK = ("import importlib.util, sys; sys.path.insert(0, sys.argv[1]); "
          "import numpy, harness.grading.worker.serve, pyseccomp, landlock; "
          "assert importlib.util.find_spec('tensorflow') is None, 'tensorflow'; "
          "assert importlib.util.find_spec('keras') is None, 'keras'")


@dataclass(frozen=True)
class Setup:
    """The container mode of this grader: interpreter, environment and what Landlock allows."""

    python: str
    env: str
    readable: tuple[str, ...]
    landlock: int

    def argv(self, request_fd: int, reply_fd: int) -> list[str]:
        return [self.python, "-I", "-S", "-B", "-c", BOOT, self.env,
                str(request_fd), str(reply_fd)]

    def describe(self) -> str:
        files = ("Landlock: reads only Python, numpy, the harness and its submission, writes "
                 "nothing" if self.landlock else
                 "no Landlock in this kernel: it can read world-readable files and write "
                 "into world-writable folders (/tmp...: at most a quarter of memory_mb, "
                 "removed after it)")
        return (f"{NAME} (no namespaces here: bubblewrap cannot run, the grader is root): "
                "each worker runs as its own unprivileged uid with no groups, from an "
                "environment without Keras/TensorFlow, with a clean environment; the "
                f"secret and the grader's files unreadable to it; {files}; seccomp "
                "denies network sockets, ptrace, process_vm_*, namespaces, mounts and "
                "io_uring; all its processes killed before any output is written. NOT "
                "covered: it sees the host's process list and is not in its own network "
                "or mount namespace")


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 when it offers none (or the library is absent)."""
    try:
        import landlock

        return int(landlock.landlock_abi_version())
    except Exception:  # noqa: BLE001 - any failure means no Landlock
        return 0


@functools.lru_cache(maxsize=1)
def setup() -> Setup:
    """Build the worker's environment once per grader (raises :class:`SandboxError`)."""
    python = os.path.realpath(getattr(sys, "_base_executable", None) or sys.executable)
    env = tempfile.mkdtemp(prefix="harness-worker-env-")
    atexit.register(shutil.rmtree, env, True)
    os.chmod(env, 0o755)
    targets = []
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None:
            raise SandboxError(f"the {NAME} needs the package {name!r} in the grader's "
                               "environment (pip install 'rnn-hypothesis-harness')")
        if spec.submodule_search_locations:
            source = next(iter(spec.submodule_search_locations))
        else:
            source = str(spec.origin)
        target = os.path.join(env, os.path.basename(source))
        if name == "numpy":  # large, and must stay readable where it is installed
            targets.append(os.path.realpath(source))
            os.symlink(targets[-1], target)
        elif os.path.isdir(source):  # small: copied, so its place may stay private
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target)
        libs = os.path.join(os.path.dirname(source), f"{name}.libs")
        if os.path.isdir(libs):  # numpy's own copies of OpenBLAS (auditwheel)
            targets.append(os.path.realpath(libs))
            os.symlink(targets[-1], os.path.join(env, f"{name}.libs"))
    try:
        done = subprocess.run([python, "-I", "-S", "-c", _PROBE], capture_output=True,
                              text=True, timeout=60, check=True, env=_clean_env(env))
        found = json.loads(done.stdout)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        raise SandboxError(f"could not ask the Python interpreter {python!r} where its "
                           f"standard library is ({exc})") from None
    readable = [*_executable_chain(python), *found["path"], found["shared"], env, *targets,
                *(p for p in SYSTEM if not os.path.islink(p))]
    existing = sorted({os.path.abspath(p) for p in readable if p and os.path.exists(p)})
    return Setup(python, env, tuple(existing), landlock_abi())


def check(found: Setup) -> str | None:
    """``None`` when a worker starts here as a dedicated user; else why not, in words."""
    if os.geteuid() != 0:
        return (f"the {NAME} needs the grader to run as root (it starts each worker as a "
                "user of its own)")
    uid = allocate()
    try:
        done = subprocess.run(
            [found.python, "-I", "-S", "-c", _CHECK, found.env], capture_output=True,
            text=True, timeout=60, check=False, env=_clean_env(found.env), user=uid,
            group=uid, extra_groups=[], cwd="/")
    except (OSError, subprocess.SubprocessError) as exc:
        return f"the {NAME} could not start a worker as uid {uid} ({exc})"
    finally:
        kill_all(uid)
        release(uid)
    if done.returncode != 0:
        why = " ".join(done.stderr.strip().splitlines()[-1:])[:300] or f"exit {done.returncode}"
        return (f"the {NAME} could not run Python as an unprivileged user ({why}); every "
                f"folder on the way to {found.python} and numpy must be readable by others")
    return None


def _clean_env(home: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8"}


# -- dedicated users ---------------------------------------------------------------------

_lock = threading.Lock()
_taken: set[int] = set()


def allocate() -> int:
    """A uid (used as the gid too) no account, group or process uses, reserved until
    :func:`release`."""
    known = {entry.pw_uid for entry in pwd.getpwall()} | _group_ids() | _running_uids()
    low, span = _id_range()
    with _lock:
        for _ in range(1000):
            candidate = low + secrets.randbelow(span)
            if candidate not in known and candidate not in _taken:
                _taken.add(candidate)
                return candidate
    raise SandboxError("no free user id was found for a grading worker")


def release(uid: int) -> None:
    with _lock:
        _taken.discard(uid)


def _id_range() -> tuple[int, int]:
    """Where to draw ids: high up when the container maps every id, else the top half of
    the largest mapped range (rootless containers map only some)."""
    ranges = _mapped("/proc/self/uid_map") & _mapped("/proc/self/gid_map")
    if any(lo <= FIRST_UID and lo + n >= FIRST_UID + SPAN for lo, n in ranges):
        return FIRST_UID, SPAN
    best = max(ranges, key=lambda r: r[1], default=(0, 65536))
    low = max(best[0] + best[1] // 2, best[0] + 10000)
    return low, max(1, best[0] + best[1] - 2 - low)


def _mapped(path: str) -> set[tuple[int, int]]:
    try:
        with open(path) as handle:
            return {(int(inside), int(count)) for inside, _, count in
                    (line.split() for line in handle if line.strip())}
    except (OSError, ValueError):
        return {(0, 65536)}


def _group_ids() -> set[int]:
    import grp

    return {entry.gr_gid for entry in grp.getgrall()}


def _running_uids() -> set[int]:
    return {uid for _, uid in processes()}


def processes() -> list[tuple[int, int]]:
    """(pid, uid) of every process visible here."""
    found = []
    with contextlib.suppress(OSError):
        for name in os.listdir("/proc"):
            if name.isdigit():
                with contextlib.suppress(OSError):
                    found.append((int(name), os.stat(f"/proc/{name}").st_uid))
    return found


def kill_all(uid: int) -> None:
    """Kill every process of ``uid``: ``kill(-1, SIGKILL)`` sent as that uid reaches all of
    them in one call (no fork can escape it); repeated until none is left running."""
    for _ in range(50):
        if not alive(uid):
            return
        try:
            subprocess.run(["/bin/sh", "-c", "kill -9 -1"], user=uid, group=uid,
                           extra_groups=[], env={"PATH": "/usr/bin:/bin"}, cwd="/",
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=False)
        except OSError:  # may not become that user: kill them one by one as root
            for pid, owner in processes():
                if owner == uid:
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
        time.sleep(0.002)


#: The folders every user may write into (cleaned of a worker's files without Landlock).
SHARED = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")


def sweep(uid: int) -> None:
    """Remove what ``uid`` left in the shared writable folders (its processes are dead).
    Safe against links: entries are judged by ``lstat`` and removed without following."""
    for folder in SHARED:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            path = os.path.join(folder, name)
            with contextlib.suppress(OSError):
                info = os.lstat(path)
                if info.st_uid != uid:
                    continue
                if stat.S_ISDIR(info.st_mode):
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    os.unlink(path)


def files_mb(uid: int, most: int = 20000) -> float:
    """What ``uid`` holds in files in the shared writable folders, in MB (counted as its
    memory where Landlock does not keep it out of them); more than ``most`` entries
    counts as infinite."""
    total, seen = 0, 0
    stack = list(SHARED)
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            seen += 1
            if seen > most:
                return float("inf")
            with contextlib.suppress(OSError):
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISDIR(info.st_mode):
                    if info.st_uid == uid or folder not in SHARED:
                        stack.append(entry.path)
                elif info.st_uid == uid:
                    total += info.st_blocks * 512
    return total / (1024 * 1024)


def alive(uid: int) -> bool:
    """Whether a process of ``uid`` is still running (a zombie waiting for its parent to
    collect it, such as the worker itself, runs nothing)."""
    for pid, owner in processes():
        if owner != uid:
            continue
        try:
            with open(f"/proc/{pid}/stat", "rb") as handle:
                if handle.read().rsplit(b")", 1)[1].split()[0] != b"Z":
                    return True
        except (OSError, IndexError):
            continue
    return False


# -- the grader's files ------------------------------------------------------------------

def readable_by_others(path: str) -> bool:
    """Whether a user with no relation to the file's owner or group can read ``path``
    (every folder on the way traversable by others, the file readable by others)."""
    current = os.path.abspath(path)
    try:
        mode = os.stat(current).st_mode
    except OSError:
        return False
    wanted = stat.S_IROTH | (stat.S_IXOTH if stat.S_ISDIR(mode) else 0)
    if mode & wanted != wanted:
        return False
    parent = os.path.dirname(current)
    while True:
        try:
            if not os.stat(parent).st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
        if parent == "/":
            return True
        parent = os.path.dirname(parent)


def guard(secret: tuple[str, ...], hidden: tuple[str, ...], private: tuple[str, ...] = (),
          landlock: int = 0) -> None:
    """Refuse when the secret can be read by others; take the grader's own folders
    (``private``) out of others' reach (their permission bits for others only); without
    Landlock, refuse when another hidden path (the submissions, the assignment) can be
    read by others, saying how to fix it.  Nothing else of the instructor's is changed."""
    for path in secret:
        if readable_by_others(path):
            mode = stat.S_IMODE(os.stat(path).st_mode)
            raise SandboxError(
                f"the secret file {path} can be read by every user of this machine (mode "
                f"{mode:o}), so a submission could read it in the {NAME}. Make it private "
                f"(chmod 600 {path}) and, since others could read it, make a new secret")
    for path in private:
        if readable_by_others(path):
            with contextlib.suppress(OSError):
                os.chmod(path, stat.S_IMODE(os.stat(path).st_mode) & ~0o007)
    open_to_all = [p for p in (*private, *hidden) if p not in secret
                   and readable_by_others(p) and (not landlock or p in private)]
    if open_to_all:
        raise SandboxError(
            f"{', '.join(open_to_all)} can be read by every user of this machine, so a "
            f"submission could read them in the {NAME}"
            f"{'' if landlock else ' (this kernel has no Landlock to keep it out)'}. Make "
            f"them private: chmod o-rwx {' '.join(open_to_all)}")
