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
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest_grading import no_worker_processes

from harness.grading import bwrap, grade

ATTACKS = Path(__file__).parent / "grading_fixtures" / "attacks"
ASSIGNMENT = ATTACKS / "assignment.toml"
COMMON = (ATTACKS / "_common.py").read_text()
#: Attack submissions wrapped with the shared helpers; the others are used as they are.
WRAPPED = ("daemon", "killer", "procmem", "reader", "writer", "network", "memory_hog",
           "fork_bomb", "spinners")


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
    fill = {"OUT": str(out), "SUBMISSIONS": str(submissions), "MARKER": token,
            "TOKEN": token, "CANARY": str(root / "canary.txt"), "REFERENCE": str(reference),
            "PORT": str(listener.getsockname()[1])}
    names = ("honest", "daemon", "killer", "procmem", "reader", "writer", "network",
             "keras_direct")
    _class(submissions, names, fill)
    honest_source = (submissions / "honest.py").read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "harness.grading.cli", "grade", str(submissions),
         "--assignment", str(ASSIGNMENT), "--out", str(out), "--workers", "2",
         "--no-progress"], capture_output=True, text=True, timeout=600, check=False)
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
    header = attacked["done"].stdout.splitlines()[1]
    assert header.startswith("isolation: bubblewrap sandbox")
    meta = json.loads((out / "grades.meta.json").read_text())
    assert meta["isolation"][0].startswith("bubblewrap sandbox")
    assert "## Isolation in force\n\n* bubblewrap sandbox" in (out / "summary.md").read_text()
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
    submissions = _class(tmp_path / "class", ("memory_hog", "fork_bomb", "honest"), {})
    grade(submissions, assignment=ASSIGNMENT, out=tmp_path / "out", workers=2, summary=False)
    rows = _rows(tmp_path / "out")
    assert (rows["honest"]["status"], rows["honest"]["total"]) == ("graded", "2")
    assert (rows["memory_hog"]["total"], rows["fork_bomb"]["total"]) == ("0", "0")
    assert no_worker_processes() == []


def _no_user_namespaces(command: list[str]) -> list[str]:
    """``command`` where no user namespace can be created (as in many containers)."""
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
