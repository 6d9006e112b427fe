"""The Gradescope autograder zip, proved on a fresh image rather than on this machine.

``harness autograder gradescope`` builds the zip; a fresh root file system made by
``debootstrap`` stands in for Gradescope's base image: Debian 12, and Gradescope's own
Ubuntu 22.04 (whose ``python3`` is 3.10) and 24.04 from Ubuntu's archive;
``setup.sh`` runs inside it as Gradescope runs it (root, ``/autograder`` layout,
the network on), then ``run_autograder`` on a correct, a wrong and a hostile
submission, each in a Docker-like process (``tests/dockerlike.py``: namespaces
denied by seccomp, no ``CAP_SYS_ADMIN``), so the grader must use its container mode.

Slow (a root file system, TensorFlow downloaded and installed): marked ``image``,
left out of the main run by ``addopts`` and run by ``.ci/run`` after it with
``pytest -m image``. It needs root and ``debootstrap``; without them it fails,
it is never skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest_grading import ASSIGNMENT, CLASS

from harness.cli import main


@dataclass(frozen=True)
class Image:
    """A base image, made by debootstrap: Debian 12 (the stand-in the issue names) and
    Gradescope's own Ubuntu images, 22.04 (python3 is 3.10) and 24.04."""

    name: str
    suite: str
    mirror: str
    #: debootstrap's script when its own list lacks the suite (24.04 is made as gutsy is).
    script: str | None = None
    #: apt's sources as the image has them (Ubuntu's Docker images: universe, -updates).
    sources: str | None = None


UBUNTU = "http://archive.ubuntu.com/ubuntu"
IMAGES = (
    Image("debian-12", "bookworm", "http://deb.debian.org/debian"),
    Image("ubuntu-22.04", "jammy", UBUNTU, sources="jammy"),
    Image("ubuntu-24.04", "noble", UBUNTU, "/usr/share/debootstrap/scripts/gutsy", "noble"),
)
#: Ubuntu's archive keyring (debootstrap checks Ubuntu's packages with it; Debian lacks
#: it): the package's path on the archive and its SHA-256, fixed here as the trust anchor.
UBUNTU_KEYRING = ("pool/main/u/ubuntu-keyring/ubuntu-keyring_2023.11.28.1_all.deb",
                  "36de43b15853ccae0028e9a767613770c704833f82586f28eb262f0311adb8a8")
DOCKERLIKE = Path(__file__).parent / "dockerlike.py"
#: What a container's process gets: no variable of this machine's leaks into the image.
ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
       "HOME": "/root", "LANG": "C.UTF-8"}
#: This machine's certificate authorities: where the network passes through a TLS-inspecting
#: proxy, pip in the image must trust what this machine trusts (Gradescope needs nothing).
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")
IMAGE_CA = "/etc/host-ca.crt"
#: Submissions and the score each must get (the fixture assignment's maximum is 5).
SUBMISSIONS = {"alice": 5, "carol": 0, "fake_results": 0, "forger": 0}
#: A hostile submission: it tries to write Gradescope's results.json and the secret
#: itself, and to carry the secret out in an error message.
FORGER = """\
import json

from harness import PART_A, hypothesis

for path in ("/autograder/results/results.json", "/autograder/source/secret"):
    try:
        with open(path, "w") as handle:
            handle.write(json.dumps({"score": 5, "output": "FORGED"}))
    except OSError:
        pass


@hypothesis(PART_A, name="forger")
def forger(kernel, recurrent_kernel, xs):
    with open("/autograder/source/secret") as handle:
        raise ValueError(handle.read())
"""


def _run(argv: list[str | Path], log: Path, timeout: float,
         env: dict[str, str] | None = None) -> float:
    """Run ``argv`` with its output in ``log``; the seconds it took. Fails with the log's
    end when it fails."""
    start = time.monotonic()
    with log.open("ab") as out:
        done = subprocess.run([str(a) for a in argv], stdout=out, stderr=subprocess.STDOUT,
                              env={**ENV, **(env or {})}, timeout=timeout, check=False)
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-4000:]
        pytest.fail(f"{' '.join(map(str, argv))} exited {done.returncode}:\n{tail}")
    return time.monotonic() - start


def _in_container(root: Path, command: list[str], log: Path, timeout: float,
                  env: dict[str, str] | None = None) -> float:
    """``command`` run in the image as a Docker container's root would run it."""
    return _run([sys.executable, DOCKERLIKE, "chroot", root, *command], log, timeout, env)


def _unzip(archive: Path, dest: Path) -> None:
    """Unpack as Gradescope does, keeping each member's mode (the scripts run)."""
    with zipfile.ZipFile(archive) as opened:
        for info in opened.infolist():
            target = Path(opened.extract(info, dest))
            mode = (info.external_attr >> 16) & 0o777
            if mode:
                target.chmod(mode)


def _mounted(path: Path) -> bool:
    return subprocess.run(["mountpoint", "-q", str(path)], check=False).returncode == 0


def _ubuntu_keyring(work: Path) -> Path:
    """Ubuntu's archive keyring, downloaded and checked against its fixed SHA-256."""
    import hashlib

    path, digest = UBUNTU_KEYRING
    with urllib.request.urlopen(f"{UBUNTU}/{path}", timeout=120) as answer:
        body = answer.read()
    assert hashlib.sha256(body).hexdigest() == digest, "Ubuntu's keyring package changed"
    (work / "keyring.deb").write_bytes(body)
    subprocess.run(["dpkg-deb", "-x", str(work / "keyring.deb"), str(work / "keyring")],
                   check=True)
    return work / "keyring" / "usr" / "share" / "keyrings" / "ubuntu-archive-keyring.gpg"


def _debootstrap(base: Image, root: Path, work: Path, log: Path) -> float:
    """Make the image's root file system; the seconds it took."""
    argv: list[str | Path] = ["debootstrap", "--variant=minbase"]
    if base.mirror == UBUNTU:
        argv += ["--components=main,universe", f"--keyring={_ubuntu_keyring(work)}"]
    argv += [base.suite, root, base.mirror, *([base.script] if base.script else [])]
    took = _run(argv, log, timeout=1200)
    if base.sources:
        pockets = " ".join(f"{base.sources}{p}" for p in ("", "-updates", "-security"))
        (root / "etc" / "apt" / "sources.list").write_text("".join(
            f"deb {UBUNTU} {pocket} main universe\n" for pocket in pockets.split()))
    return took


@pytest.fixture(scope="module", params=IMAGES, ids=lambda base: base.name)
def image(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any]]]:
    """A fresh root file system with the autograder set up in it, and the set-up's figures;
    removed afterwards."""
    assert os.geteuid() == 0, "the image test makes a root file system: run it as root"
    assert shutil.which("debootstrap"), "apt-get install debootstrap (.ci/run does)"
    base: Image = request.param
    work = tmp_path_factory.mktemp(f"gradescope-{base.name}")
    root, log = work / "rootfs", work / "image.log"
    figures: dict[str, Any] = {"image": base.name}
    figures["debootstrap_s"] = _debootstrap(base, root, work, log)
    mounts = [root / "proc", root / "dev" / "shm"]
    subprocess.run(["mount", "-t", "proc", "proc", str(mounts[0])], check=True)
    mounts[1].mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=1777", "shm", str(mounts[1])],
                   check=True)
    try:
        shutil.copy("/etc/resolv.conf", root / "etc" / "resolv.conf")
        proxy: dict[str, str] = {}
        if HOST_CA.is_file():
            shutil.copy(HOST_CA, root / IMAGE_CA.lstrip("/"))
            proxy["PIP_CERT"] = IMAGE_CA
        archive = work / "autograder.zip"
        assert main(["autograder", "gradescope", "--assignment", str(ASSIGNMENT),
                     "-o", str(archive)]) == 0
        figures["zip_mb"] = round(archive.stat().st_size / 1e6, 2)
        source = root / "autograder" / "source"
        _unzip(archive, source)
        for name in ("submission", "results"):
            (root / "autograder" / name).mkdir()
        shutil.copy(source / "run_autograder", root / "autograder" / "run_autograder")
        figures["setup_s"] = _in_container(
            root, ["/bin/bash", "-c", "cd /autograder/source && ./setup.sh"], log, 3600, proxy)
        figures["venv_mb"] = round(sum(f.stat().st_size for f in (root / "opt" / "harness")
                                       .rglob("*") if f.is_file()) / 1e6)
        figures["log"] = log
        yield root, figures
    finally:
        for mount in reversed(mounts):
            subprocess.run(["umount", "-l", str(mount)], check=False)
        assert not any(_mounted(m) for m in mounts), "a mount in the image is left over"
        shutil.rmtree(root)  # about 2 GB each; nothing of this machine's is mounted in it


def _grade(root: Path, student: str, log: Path) -> tuple[dict[str, Any], float]:
    """``run_autograder`` on one student's file; its results.json and the seconds taken."""
    submission, results = root / "autograder" / "submission", root / "autograder" / "results"
    for folder in (submission, results):
        shutil.rmtree(folder)
        folder.mkdir()
    if student == "forger":
        (submission / "forger.py").write_text(FORGER)
    else:
        shutil.copy(CLASS / f"{student}.py", submission / f"{student}.py")
    took = _in_container(root, ["/autograder/run_autograder"], log, 900)
    return json.loads((results / "results.json").read_text()), took


def test_the_zip_holds_what_gradescope_runs(tmp_path: Path) -> None:
    archive = tmp_path / "autograder.zip"
    assert main(["autograder", "gradescope", "-o", str(archive)]) == 0
    with zipfile.ZipFile(archive) as opened:
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in opened.infolist()}
        setup = opened.read("setup.sh").decode()
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert modes["secret"] == 0o600
    assert any(name.endswith(".whl") for name in modes)
    assert "pip3 install" not in setup and "-m venv /opt/harness" in setup
    kept = tmp_path / "autograder.secret"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    with zipfile.ZipFile(archive) as opened:
        assert opened.read("secret") == kept.read_bytes()
        pins = opened.read("constraints.txt").decode()
    assert "keras==" in pins and "numpy==" in pins


def test_a_rebuild_keeps_the_secret_and_a_given_one_is_copied(tmp_path: Path) -> None:
    archive = tmp_path / "autograder.zip"
    assert main(["autograder", "gradescope", "-o", str(archive)]) == 0
    first = (tmp_path / "autograder.secret").read_bytes()
    assert main(["autograder", "gradescope", "-o", str(archive)]) == 0
    assert (tmp_path / "autograder.secret").read_bytes() == first
    given = tmp_path / "course.secret"
    given.write_text("a-course-secret-of-enough-length-0123456789abcdef\n")
    assert main(["autograder", "gradescope", "--secret-file", str(given), "-o",
                 str(archive)]) == 0
    with zipfile.ZipFile(archive) as opened:
        assert opened.read("secret").strip() == given.read_bytes().strip()


def test_a_broken_assignment_or_a_name_without_zip_writes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[assignment]\nname = 'x'\n")
    assert main(["autograder", "gradescope", "--assignment", str(broken), "-o",
                 str(tmp_path / "a.zip")]) == 2
    assert "no exercises" in capsys.readouterr().err
    assert main(["autograder", "gradescope", "-o", str(tmp_path / "a.tar")]) == 2
    assert ".zip" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [broken]


@pytest.mark.image
def test_setup_and_grading_in_a_fresh_debian_image(
        image: tuple[Path, dict[str, Any]]) -> None:
    root, figures = image
    log = figures["log"]
    secret = (root / "autograder" / "source" / "secret").read_text().strip()
    assert len(secret) >= 32 and "FORGED" not in secret
    python = root / "opt" / "harness" / "bin" / "python"
    assert python.exists(), "setup.sh made no virtual environment /opt/harness"
    assert not list((root / "usr" / "lib").glob("python3*/dist-packages/harness")), (
        "the harness went into the system's Python")
    for student, score in SUBMISSIONS.items():
        results, took = _grade(root, student, log)
        figures[f"{student}_s"] = round(took, 1)
        assert results["score"] == score, (student, results)
        assert "FORGED" not in json.dumps(results)
        assert secret not in json.dumps(results)
        isolation = results["extra_data"]["isolation"]
        assert isolation and isolation[0].startswith("container mode"), isolation
    sys.stdout.write("\nGradescope image figures: " + json.dumps(
        {k: round(v, 1) if isinstance(v, float) else v for k, v in figures.items()
         if k != "log"}) + "\n")
