"""What a grading platform installs the grader from: this checkout's wheel, the versions
it was tested with, the secret, and Gradescope's autograder zip.

``harness autograder gradescope`` (:func:`write_gradescope`) writes one zip that
Gradescope's "Zip file upload" takes as it is:

* ``setup.sh``, run once as root when Gradescope builds the image: a Python of at
  least 3.11 from the image's own packages (the system ``python3`` on Ubuntu 24.04
  and Debian 12; ``python3.11`` from Ubuntu's archive on 22.04, whose ``python3``
  is 3.10), a virtual environment ``/opt/harness`` of its own (never the system
  pip, which Debian 12 and Ubuntu 24.04 refuse, PEP 668), the harness's wheel
  installed into it with ``constraints.txt``, the secret made private (the
  container mode refuses a secret other users can read), and a last check that
  Keras and the assignment load, so a broken image fails its build and not the
  first student;
* ``run_autograder``: ``harness gradescope`` with the assignment and the secret;
* the wheel, built from this checkout (the autograder grades with exactly this
  version), ``constraints.txt`` (the versions of the harness's own dependencies
  installed here, Keras and TensorFlow first: the image judges with the Keras the
  assignment was checked with, and draws the same cases), ``assignment.toml``,
  ``secret`` and a ``README.md`` for whoever opens the zip.

The secret is kept beside the zip (``autograder.secret``, mode 0600) and reused
when the zip is rebuilt, so a rebuilt autograder draws the same cases; the
container mode needs nothing more in the image (it builds the workers'
environment without Keras from the installed packages, on each run).
"""

from __future__ import annotations

import os
import secrets
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from harness.errors import UsageError

#: The virtual environment the platform's image installs the harness into.
VENV = "/opt/harness"
#: What the checkout's wheel is built from.
WHEEL_SOURCES = ("pyproject.toml", "README.md", "harness")
#: The distribution whose dependencies ``constraints.txt`` pins.
DISTRIBUTION = "rnn-hypothesis-harness"
#: Gradescope's layout inside its image.
SOURCE = "/autograder/source"

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
# Base image: Ubuntu 24.04 (recommended) or 22.04; Debian 12 works too.
# Made by `harness autograder gradescope` (rnn-hypothesis-harness {version}).
set -euo pipefail
cd "$(dirname "$0")"
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1
apt-get update -q
apt-get install -y -q --no-install-recommends python3 ca-certificates
# A Python of at least 3.11 from the image's own packages.
if python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    python=python3
    apt-get install -y -q --no-install-recommends python3-venv
else
    # Ubuntu 22.04: python3 is 3.10; Ubuntu's archive has python3.11 (universe).
    apt-get install -y -q --no-install-recommends python3.11 python3.11-venv
    python=python3.11
fi
# An environment of the harness's own: never the system pip (PEP 668).
rm -rf {venv}
"$python" -m venv {venv}
{venv}/bin/pip install -q --no-cache-dir -c constraints.txt ./{wheel}
# The container mode refuses a secret that other users can read.
chown root:root secret
chmod 600 secret
# Fail the image's build, not the first student: Keras loads and the assignment is valid.
{venv}/bin/python - <<'CHECK'
from pathlib import Path

import keras
from harness.grading.assignment import load_assignment
from harness.grading.secret import read_secret

rules = load_assignment("assignment.toml")
read_secret(Path("secret"))
print(f"harness: ready to grade {{rules.name!r}} with Keras {{keras.__version__}}")
CHECK
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for each submission, as root, in a fresh container:
# grade /autograder/submission into /autograder/results/results.json.
exec {venv}/bin/harness gradescope --assignment {source}/assignment.toml \\
    --secret-file {source}/secret
"""

ZIP_README = """\
# Gradescope autograder: {name}

Made by `harness autograder gradescope` (rnn-hypothesis-harness {version}).

On Gradescope, in the assignment's Configure Autograder page:

1. Base image: **Ubuntu 24.04** (22.04 and Debian 12 work too; `setup.sh` installs
   Python 3.11 on 22.04).
2. Upload this zip as it is ("Zip file upload") and press "Update Autograder"; the
   build installs TensorFlow (about 1 GB, a few minutes).
3. Test it with "Test Autograder" on a submission of your own.

Students upload their hypotheses files (`.py` or `.ipynb`). Each submission is graded
by the real Keras layers with `{wheel}`, on cases drawn from `secret`: keep this zip
away from students (whoever has the secret can find the cases). The same secret is
kept beside the zip where it was built, so a rebuilt zip draws the same cases.

- `setup.sh`: runs once, as root: Python, a virtual environment `{venv}`, the wheel
  with the versions in `constraints.txt`, the secret made private, a last check.
- `run_autograder`: grades one submission (`harness gradescope`).
- `assignment.toml`: exercises, points and rules.
"""


@dataclass(frozen=True)
class Autograder:
    """What ``harness autograder gradescope`` wrote."""

    zip: Path
    secret: Path
    secret_made: bool
    wheel: str
    members: tuple[str, ...]


def write_gradescope(out: str | Path, assignment: str | Path | None = None,
                     secret_file: str | Path | None = None) -> Autograder:
    """Write Gradescope's autograder zip ``out`` (see the module's docstring)."""
    import tempfile

    from harness import __version__
    from harness.grading.assignment import load_assignment
    from harness.untrusted import NAME, cut

    out = Path(out)
    if out.suffix != ".zip":
        raise UsageError(f"-o must name a .zip file (Gradescope takes a zip). Received: "
                         f"{str(out)!r}.")
    rules = load_assignment(assignment)  # refuses a broken one before anything is written
    out.parent.mkdir(parents=True, exist_ok=True)
    secret, made = platform_secret(out.with_suffix(".secret"), secret_file)
    with tempfile.TemporaryDirectory(prefix="harness-autograder-") as folder:
        wheel = build_wheel(Path(folder))
        text = {"setup.sh": SETUP_SH.format(version=__version__, venv=VENV, wheel=wheel.name),
                "run_autograder": RUN_AUTOGRADER.format(venv=VENV, source=SOURCE),
                "README.md": ZIP_README.format(name=cut(rules.name, NAME), version=__version__,
                                               wheel=wheel.name, venv=VENV),
                "constraints.txt": constraints(),
                "assignment.toml": assignment_text(assignment)}
        partial = out.with_name(f".{out.name}.partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, body in text.items():
                _add(archive, name, body.encode(), executable=name in ("setup.sh",
                                                                       "run_autograder"))
            _add(archive, wheel.name, wheel.read_bytes())
            _add(archive, "secret", secret.read_bytes(), private=True)
            members = tuple(archive.namelist())
        os.replace(partial, out)
    return Autograder(out, secret, made, wheel.name, members)


def _add(archive: zipfile.ZipFile, name: str, body: bytes, executable: bool = False,
         private: bool = False) -> None:
    """One member with its Unix mode (Gradescope runs ``setup.sh`` and ``run_autograder``)."""
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    mode = 0o600 if private else 0o755 if executable else 0o644
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, body)


def constraints() -> str:
    """``constraints.txt``: each installed dependency of the harness (its requirements,
    those that apply here) pinned to the version installed in this environment."""
    import re
    from importlib import metadata

    lines = [f"# The versions {DISTRIBUTION} was installed with where this autograder "
             "was built:", "# the image judges with the same Keras and draws the same cases."]
    try:
        requirements = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        requirements = []
    seen: set[str] = set()
    for requirement in requirements:
        if "extra ==" in requirement:
            continue
        name = re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0]
        key = name.lower().replace("_", "-")
        if key in seen:
            continue
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue  # a requirement for another platform (tensorflow vs tensorflow-cpu)
        seen.add(key)
        lines.append(f"{key}=={version}")
    return "\n".join(lines) + "\n"


def assignment_text(assignment: str | Path | None) -> str:
    """The assignment file's text (the course exercise's when ``None``)."""
    from importlib import resources

    from harness.grading.assignment import DEFAULT_RESOURCE

    if assignment is None:
        return resources.files("harness.assignments").joinpath(DEFAULT_RESOURCE).read_text()
    return Path(assignment).read_text(encoding="utf-8")


def platform_secret(path: Path, given: str | Path | None) -> tuple[Path, bool]:
    """The secret a platform grades with, at ``path`` (mode 0600): the given one copied,
    else the one there kept, else a new one; whether it was made now."""
    from harness.grading.secret import read_secret

    if given is None and (path.exists() or path.is_symlink()):
        read_secret(path)  # a broken one is refused, not silently kept
        return path, False
    value = read_secret(Path(given)).value if given is not None else (
        secrets.token_hex(32).encode())
    if path.is_symlink() or path.exists():
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(value + b"\n")
    return path, given is None


def build_wheel(dest: Path) -> Path:
    """The wheel of this checkout, built into ``dest`` (from a copy: the checkout gets no
    ``build/`` folder); :class:`UsageError` when the harness is not a checkout."""
    import shutil
    import subprocess
    import sys
    import tempfile

    root = Path(__file__).resolve().parents[2]
    if not all((root / name).exists() for name in WHEEL_SOURCES):
        raise UsageError(f"the harness at {root} is not a source checkout (no pyproject.toml "
                         "beside it), so no wheel can be built from it. Run this command "
                         "from a clone of the harness, installed with pip install -e.")
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="harness-wheel-") as folder:
        copy = Path(folder) / "src"
        shutil.copytree(root / "harness", copy / "harness",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for name in WHEEL_SOURCES[:2]:
            shutil.copy(root / name, copy / name)
        built = Path(folder) / "wheel"
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                               "--no-build-isolation", "--quiet", "-w", str(built), str(copy)],
                              capture_output=True, text=True, check=False, timeout=600)
        wheels = sorted(built.glob("*.whl"))
        if done.returncode != 0 or len(wheels) != 1:
            raise UsageError(f"building the harness's wheel failed (pip wheel, exit "
                             f"{done.returncode}): {done.stderr.strip()[-500:]}. It needs "
                             "setuptools in this environment (pip install setuptools).")
        for old in dest.glob("*.whl"):
            old.unlink()
        return Path(shutil.copy(wheels[0], dest / wheels[0].name))
