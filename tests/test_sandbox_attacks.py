"""Submissions that attack the grader, each next to honest ones (issue 8).

Each attack in ``tests/grading_fixtures/attacks`` earns full marks exactly when
it succeeds (its formula returns the right answer only then), so its row shows
whether the defence held; every test also checks the honest rows, the outputs
and the machine around the run.  Attacks that could harm anything outside the
test aim only at this test's own processes and files (the grader's command
line names this test's folder).  These tests run as root and as an
unprivileged user in ``.ci/run``.
"""

from __future__ import annotations

import csv
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from conftest_grading import dockerlike, no_worker_processes, sandbox_name

from harness.errors import SandboxError
from harness.grading import grade
from harness.grading.isolation import bwrap, container
from harness.grading.isolation.policy import resident_mb, tmpfs_mb, worker_policy
from harness.grading.isolation.workers import Isolation, _Tree, plan_for

ATTACKS = Path(__file__).parent / "grading_fixtures" / "attacks"
ASSIGNMENT = ATTACKS / "assignment.toml"
COMMON = (ATTACKS / "_common.py").read_text()
#: Attack submissions wrapped with the shared helpers; the others are used as they are.
WRAPPED = ("daemon", "killer", "procmem", "reader", "writer", "network", "memory_hog",
           "fork_bomb", "spinners", "environ", "gradescope_attacker", "tmp_filler")


def _class(folder: Path, names: tuple[str, ...], fill: dict[str, str]) -> Path:
    folder.mkdir(parents=True)
    for name in names:
        text = (ATTACKS / f"{name}.py").read_text()
        if name in WRAPPED:
            text = COMMON + "\n\n" + text
        for key, value in fill.items():
            text = text.replace(f"@@{key}@@", value)
        (folder / f"{name}.py").write_text(text)
    return folder


def _rows(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "grades.csv") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def attacked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("attacked")
    token = f"harness-attack-{secrets.token_hex(6)}"
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    out = root / "out"
    reference = root / "autograder" / "source" / "reference.py"
    reference.parent.mkdir(parents=True)
    reference.write_text((ATTACKS / "honest.py").read_text())
    submissions = root / f"class-{token}"
    secret = root / "secret.txt"
    secret.write_text(secrets.token_hex(32))
    secret.chmod(0o600)
    fill = {"OUT": str(out), "SUBMISSIONS": str(submissions), "MARKER": token,
            "TOKEN": token, "CANARY": str(root / "canary.txt"), "REFERENCE": str(reference),
            "PORT": str(listener.getsockname()[1]), "SECRET": str(secret)}
    names = ("honest", "daemon", "killer", "procmem", "reader", "writer", "network",
             "keras_direct", "environ")
    _class(submissions, names, fill)
    honest_source = (submissions / "honest.py").read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "harness.grading.cli", "grade", str(submissions),
         "--assignment", str(ASSIGNMENT), "--out", str(out), "--workers", "2",
         "--secret-file", str(secret), "--no-progress"], capture_output=True, text=True,
        timeout=600, check=False, env={**os.environ, "HARNESS_SECRET": token})
    time.sleep(0.5)  # a daemon that survived the run would have written by now
    try:
        listener.accept()
        connected = True
    except BlockingIOError:
        connected = False
    listener.close()
    return {"done": done, "out": out, "root": root, "token": token, "names": names,
            "submissions": submissions, "honest_source": honest_source,
            "connected": connected}


def test_the_grader_survives_and_every_attack_earns_nothing(attacked: dict[str, Any]) -> None:
    done = attacked["done"]
    assert done.returncode == 0, done.stderr[-2000:]
    rows = _rows(attacked["out"])
    assert set(rows) == set(attacked["names"])
    assert (rows["honest"]["status"], rows["honest"]["total"]) == ("graded", "2")
    earned = {name: rows[name]["total"] for name in attacked["names"] if name != "honest"}
    assert earned == dict.fromkeys(earned, "0")


def test_keras_is_not_there_even_without_the_guard(attacked: dict[str, Any]) -> None:
    assert _rows(attacked["out"])["keras_direct"]["status"] == "used-keras"


def test_no_daemon_survives_to_rewrite_outputs(attacked: dict[str, Any]) -> None:
    assert no_worker_processes() == []
    assert not (attacked["root"] / "canary.txt").exists()
    assert _rows(attacked["out"])["honest"]["total"] == "2"


def test_nothing_outside_the_sandbox_was_written(attacked: dict[str, Any]) -> None:
    token = attacked["token"]
    assert (attacked["submissions"] / "honest.py").read_bytes() == attacked["honest_source"]
    assert not (attacked["out"] / "planted.txt").exists()
    left = [p for p in (f"/dev/shm/{token}", f"/var/tmp/{token}", f"/run/lock/{token}",
                        f"/tmp/{token}") if os.path.exists(p)]
    assert left == []


def test_no_network(attacked: dict[str, Any]) -> None:
    assert attacked["connected"] is False


def test_the_isolation_is_stated_everywhere(attacked: dict[str, Any]) -> None:
    out = attacked["out"]
    name = sandbox_name()
    header = attacked["done"].stdout.splitlines()[1]
    assert header.startswith(f"isolation: {name}")
    meta = json.loads((out / "grades.meta.json").read_text())
    assert meta["isolation"][0].startswith(name)
    assert f"## Isolation in force\n\n* {name}" in (out / "summary.md").read_text()
    results = json.loads((out / "gradescope" / "honest" / "results.json").read_text())
    assert results["extra_data"]["isolation"] == meta["isolation"]


def test_spinners_do_not_push_an_honest_slow_neighbour_over_its_limit(
        tmp_path: Path) -> None:
    submissions = _class(tmp_path / "class", ("spinners", "honest_slow"), {})
    run = grade(submissions, assignment=ASSIGNMENT, out=tmp_path / "out", workers=2,
                summary=False)
    rows = _rows(tmp_path / "out")
    assert (rows["honest_slow"]["status"], rows["honest_slow"]["total"]) == ("graded", "2")
    assert rows["spinners"]["total"] == "0"
    assert run.graded == 2
    assert no_worker_processes() == []


def test_memory_and_processes_are_limited_per_submission(tmp_path: Path) -> None:
    submissions = _class(tmp_path / "class", ("memory_hog", "fork_bomb", "honest",
                                               "tmp_filler"), {})
    run = grade(submissions, assignment=ASSIGNMENT, out=tmp_path / "out", workers=2,
                summary=False)
    rows = _rows(tmp_path / "out")
    assert (rows["honest"]["status"], rows["honest"]["total"]) == ("graded", "2")
    assert (rows["memory_hog"]["total"], rows["fork_bomb"]["total"]) == ("0", "0")
    # 600 MB of files in /tmp and /dev/shm (memory_mb is 512): the write fails, whatever
    # the mode (a full tmpfs under bubblewrap, no writable folder in the container mode,
    # the grader's watch where no Landlock keeps it out of /tmp), and it earns nothing.
    [filler] = [r for r in run.results if r.student == "tmp_filler"]
    status, reason = "load-error", "No space left on device"
    if dockerlike() and container.landlock_abi():
        reason = "No usable temporary directory|Permission denied"
    elif dockerlike():  # an older Docker: /tmp is writable, and watched
        status, reason = "crashed", "wrote more than 128 MB of files"
    assert (filler.status, filler.total) == (status, 0)
    assert re.search(reason, filler.message or ""), filler.message
    assert no_worker_processes() == []


def test_writable_tmpfs_are_sized_out_of_memory_mb() -> None:
    policy = worker_policy(sys.executable)
    command = bwrap.command("bwrap", policy, "/nowhere", ["python"], memory_mb=512)
    tmpfs = [i for i, arg in enumerate(command) if arg == "--tmpfs"]
    assert tmpfs, command
    sizes = {command[i + 1]: int(command[i - 1]) for i in tmpfs if command[i - 2] == "--size"}
    assert len(sizes) == len(tmpfs)  # every tmpfs has a size, the read-only ones too
    assert sizes["/tmp"] == sizes["/dev/shm"] == 64 * 1024 * 1024
    assert sum(tmpfs_mb(512).values()) + resident_mb(512) == 512


def _no_user_namespaces(command: list[str]) -> list[str]:
    """``command`` where no user namespace can be created (as in many containers) and the
    grader may not change user (in the Docker-like simulation: root without CAP_SETUID)."""
    if dockerlike():
        return ["/usr/bin/setpriv", "--bounding-set", "-setuid,-setgid", "--inh-caps",
                "-all", "--", *command]
    found = bwrap.find()
    assert found is not None
    return [found, "--unshare-user", "--disable-userns", "--dev-bind", "/", "/", "--",
            *command]


def test_no_sandbox_means_refusal_unless_asked(tmp_path: Path) -> None:
    submissions = _class(tmp_path / "class", ("honest",), {})
    command = [sys.executable, "-m", "harness.grading.cli", "grade", str(submissions),
               "--assignment", str(ASSIGNMENT), "--out", str(tmp_path / "out"),
               "--no-progress"]
    refused = subprocess.run(_no_user_namespaces(command), capture_output=True, text=True,
                             timeout=300, check=False)
    assert refused.returncode == 2
    assert "refusing to grade without a sandbox" in refused.stderr
    assert "bubblewrap" in refused.stderr and "--no-sandbox" in refused.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()
    allowed = subprocess.run(_no_user_namespaces([*command, "--no-sandbox"]),
                             capture_output=True, text=True, timeout=300, check=False)
    assert allowed.returncode == 0, allowed.stderr[-2000:]
    assert "isolation: NO SANDBOX" in allowed.stdout
    meta = json.loads((tmp_path / "out" / "grades.meta.json").read_text())
    assert meta["isolation"][0].startswith("NO SANDBOX")


def test_the_mode_matches_the_machine() -> None:
    """Bubblewrap wherever it runs; in the Docker-like simulation it cannot, and the
    container mode (a dedicated uid per worker, Landlock, seccomp) is chosen."""
    policy = worker_policy(sys.executable)
    problems = [bwrap.check(found, policy) for found in bwrap.candidates()]
    plan = plan_for(Isolation())
    if dockerlike():
        assert problems and all("could not create a sandbox" in str(p) for p in problems)
        assert plan.bwrap is None and plan.container is not None
        assert plan.container.landlock == container.landlock_abi()
    else:
        assert None in problems
        assert plan.bwrap is not None and plan.container is None


def test_a_secret_others_can_read_is_refused_and_grader_folders_are_closed(
        tmp_path: Path) -> None:
    """The container mode's checks of the grader's files (any user may run them)."""
    folder = Path(tempfile.mkdtemp(prefix="harness-guard-"))  # /tmp: open to others
    try:
        folder.chmod(0o755)
        secret, out, submissions = folder / "secret.txt", folder / "out", folder / "class"
        secret.write_text("s" * 40)
        secret.chmod(0o644)
        for made in (out, submissions):
            made.mkdir()
            made.chmod(0o755)
        assert container.readable_by_others(str(secret))
        with pytest.raises(SandboxError, match=r"chmod 600 .*secret.txt"):
            container.guard((str(secret),), (), (str(out),), landlock=1)
        secret.chmod(0o600)
        # The grader's own folder is closed; the instructor's are left as they are, and
        # with Landlock (which keeps the worker out of them) accepted.
        container.guard((str(secret),), (str(secret), str(submissions)), (str(out),),
                        landlock=1)
        assert not container.readable_by_others(str(out))
        assert out.stat().st_mode & 0o777 == 0o750
        assert submissions.stat().st_mode & 0o777 == 0o755
        # Without Landlock an instructor's folder open to all is refused, with the fix.
        with pytest.raises(SandboxError, match=r"no Landlock.*chmod o-rwx .*class"):
            container.guard((str(secret),), (str(submissions),), (str(out),), landlock=0)
        assert not container.readable_by_others(str(tmp_path))  # pytest's own is closed
    finally:
        shutil.rmtree(folder)


LOCKED = r"""
import ctypes, errno, json, os, socket, sys
from harness.grading.worker import confine
scratch = sys.argv[1]
applied = confine.lock_down([sys.prefix, sys.base_prefix, os.path.dirname(os.__file__)],
                            int(sys.argv[2]))
libc = ctypes.CDLL(None, use_errno=True)
def refused(action):
    try:
        action()
    except OSError:
        return True
    return False
def unshare():
    if libc.unshare(0x10000000) != 0:
        raise OSError(ctypes.get_errno(), "unshare")
def ptrace():
    if libc.ptrace(16, os.getppid(), 0, 0) != 0:  # PTRACE_ATTACH
        raise OSError(ctypes.get_errno(), "ptrace")
print(json.dumps({
    "applied": applied,
    "inet": refused(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM)),
    "inet6": refused(lambda: socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)),
    "unix": refused(lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).close()),
    "unshare": refused(unshare), "ptrace": refused(ptrace),
    "write": refused(lambda: open(os.path.join(scratch, "x"), "w").close()),
    "read": refused(lambda: open("/etc/hostname").read()),
}))
"""


def test_the_container_mode_lock_down_denies_network_ptrace_namespaces_and_files(
        tmp_path: Path) -> None:
    """What a worker applies to itself in the container mode, tried as it would be: no
    privilege is needed, so this runs as any user."""
    abi = container.landlock_abi()
    done = subprocess.run([sys.executable, "-I", "-c", LOCKED, str(tmp_path), str(abi)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout)
    assert (found["inet"], found["inet6"], found["unshare"], found["ptrace"]) == (
        True, True, True, True)
    assert found["unix"] is False  # numpy and Python's own pipes still work
    assert (found["write"], found["read"]) == (bool(abi), bool(abi))
    assert any("seccomp" in line for line in found["applied"])


def test_gradescope_holds_against_a_student_who_tries_everything(tmp_path: Path) -> None:
    """One submission reads the secret, the reference solution and the grader's
    environment, forges results.json, leaves a daemon rewriting it and kills the grader;
    ``harness gradescope`` (no --no-sandbox) still writes the true score, and an honest
    student is graded as always."""
    token = f"harness-gs-{secrets.token_hex(6)}"
    root = tmp_path / f"autograder-{token}"
    source, results = root / "source", root / "results" / "results.json"
    source.mkdir(parents=True)
    results.parent.mkdir()
    shutil.copy(ASSIGNMENT, source / "assignment.toml")
    (source / "reference.py").write_text((ATTACKS / "honest.py").read_text())
    secret = source / "secret.txt"
    secret.write_text(secrets.token_hex(32))
    secret.chmod(0o600)
    fill = {"RESULTS": str(results), "SECRET": str(secret), "MARKER": token,
            "REFERENCE": str(source / "reference.py")}
    scores = {}
    for name in ("gradescope_attacker", "honest"):
        submission = root / "submission"
        shutil.rmtree(submission, ignore_errors=True)
        _class(submission, (name,), fill)
        done = subprocess.run(
            [sys.executable, "-m", "harness.grading.cli", "gradescope",
             "--assignment", str(source / "assignment.toml"), "--secret-file", str(secret)],
            capture_output=True, text=True, timeout=300, check=False,
            env={**os.environ, "HARNESS_AUTOGRADER_ROOT": str(root),
                 "HARNESS_SECRET": secrets.token_hex(32)})
        assert done.returncode == 0, done.stderr[-2000:]
        time.sleep(0.3)  # a daemon left behind would have rewritten results.json by now
        written = json.loads(results.read_text())
        assert written["extra_data"]["isolation"][0].startswith(sandbox_name())
        scores[name] = written["score"]
        assert no_worker_processes() == []
    assert scores == {"gradescope_attacker": 0, "honest": 2}


DETACHED = """
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        block = bytearray(200 * 1024 * 1024)
        for i in range(0, len(block), 4096):
            block[i] = 1
        time.sleep(120)
    os._exit(0)
"""


@pytest.mark.skipif(os.geteuid() != 0,
                    reason="starts a process as a user of its own, which needs root")
def test_the_container_mode_counts_and_kills_every_process_of_the_workers_uid() -> None:
    """Without a cgroup (Docker's usual case) the container mode watches every process
    of the worker's uid, so a daemon that left the worker's process tree still counts,
    and ``kill_all`` reaches it.  (A normal user's path, the process tree, is proved by
    the memory tests above.)"""
    uid = container.allocate()
    try:
        # The process started here has ended: the daemon is no one's child of ours.
        subprocess.run([sys.executable, "-I", "-S", "-c", DETACHED], user=uid, group=uid,
                       extra_groups=[], cwd="/", check=True, timeout=60)
        deadline = time.monotonic() + 30
        while _Tree(os.getpid(), uid).memory_mb() < 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _Tree(os.getpid(), uid).memory_mb() >= 200
        container.kill_all(uid)
        assert not container.alive(uid)
    finally:
        container.kill_all(uid)
        container.release(uid)
