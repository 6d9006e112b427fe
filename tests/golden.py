"""Golden outputs: what `harness check` and `harness grade` write, kept as normalized text.

Two runs are kept, each as the text of every file it writes (and what it prints), with
only what varies from run to run masked (timings, the temporary folder):

- ``check``: ``harness check hypotheses`` with the default seed;
- ``grading``: ``harness grade`` of a 10-student class (the bundled hypotheses and the
  variants in ``tests/grading_fixtures/golden_class``) with a fixed secret.

``tests/golden/<run>/`` holds the normalized copies, ``tests/golden/digests.json`` their
sha256.  ``tests/test_golden_outputs.py`` compares a fresh run against them.  When an
output changes on purpose, regenerate and review the diff::

    python tests/golden.py --update
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
DIGESTS = GOLDEN / "digests.json"
VARIANTS = ROOT / "tests" / "grading_fixtures" / "golden_class"
#: A fixed secret, so the grading run draws the same cases every time.
SECRET = "the golden outputs' secret: fixed, so every run draws the same cases"
WORKERS = 2
UPDATE = "python tests/golden.py --update"

Outputs = dict[str, str]


def check_outputs(tmp: Path) -> Outputs:
    """The reports of `harness check hypotheses` (default seed) and what it prints."""
    reports = tmp / "reports"
    printed = _harness("check", "hypotheses", "--report-dir", str(reports))
    outputs = {"stdout.txt": printed}
    outputs.update(_files(reports))
    return {name: normalize(name, text, tmp) for name, text in outputs.items()}


def grading_outputs(tmp: Path) -> Outputs:
    """What `harness grade` writes for the golden class with the fixed secret."""
    submissions, out, secret = build_class(tmp), tmp / "out", tmp / "secret.txt"
    secret.write_text(SECRET)
    printed = _harness("grade", str(submissions), "--out", str(out), "--secret-file",
                       str(secret), "--workers", str(WORKERS), "--no-progress")
    outputs = {"stdout.txt": printed}
    outputs.update(_files(out))
    isolation = json.loads(outputs["grades.meta.json"])["isolation"]
    return {name: normalize(name, text, tmp, isolation) for name, text in outputs.items()}


RUNS: dict[str, Callable[[Path], Outputs]] = {"check": check_outputs,
                                              "grading": grading_outputs}


def build_class(tmp: Path) -> Path:
    """Ten students: three made of the bundled hypotheses, seven wrong or broken."""
    target = tmp / "class"
    shutil.copytree(VARIANTS, target)
    bundled = ROOT / "hypotheses"
    (target / "ada").mkdir()
    for part in ("part_a", "part_b", "part_c"):
        shutil.copy(bundled / f"{part}.py", target / "ada" / f"{part}.py")
    shutil.copy(bundled / "part_a.py", target / "ben.py")
    (target / "cleo").mkdir()
    for part in ("part_b", "part_c"):
        shutil.copy(bundled / f"{part}.py", target / "cleo" / f"{part}.py")
    return target


def _harness(*args: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    env.pop("HARNESS_SECRET", None)
    done = subprocess.run([sys.executable, "-m", "harness", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    return f"exit status {done.returncode}\n{done.stdout}"


#: Pictures are left out: their bytes depend on matplotlib's version, not on our code.
SKIPPED = (".png",)


def _files(folder: Path) -> Outputs:
    return {path.relative_to(folder).as_posix(): path.read_text()
            for path in sorted(folder.rglob("*"))
            if path.is_file() and path.suffix not in SKIPPED}


# What varies from run to run (found by generating twice), and the isolation the machine
# gives (sandbox or not, the cgroup version: it decides no verdict); nothing else is masked.
_SECONDS = [
    (re.compile(r'("(?:seconds|elapsed|started|finished)": )[0-9.e+-]+'), r"\1<seconds>"),
    (re.compile(r"(\d+ cases, )[0-9.]+ s\)"), r"\1<seconds> s)"),
]


#: A list of masked isolation lines, as the outputs join them (how many: the machine's).
_ISOLATION_LIST = re.compile(r'<isolation>(?:(?:; |",\s*"|\n\* |</li><li>)<isolation>)+')


def normalize(name: str, text: str, tmp: Path, isolation: Sequence[str] = ()) -> str:
    """``text`` with the temporary folder, timings and the machine's ``isolation`` (the
    lines describing it, in every format they are written in) masked."""
    text = text.replace(str(tmp), "<tmp>")
    for line in isolation:
        for written in (line, json.dumps(line)[1:-1], html.escape(line)):
            text = text.replace(written, "<isolation>")
    text = _ISOLATION_LIST.sub("<isolation>", text)
    for pattern, mask in _SECONDS:
        text = pattern.sub(mask, text)
    if name.endswith(".csv"):
        text = _mask_column(text, "seconds")
    elif name.endswith(".md"):
        text = _mask_markdown_tables(text)
    return text


def _mask_column(text: str, column: str) -> str:
    """Mask one column of a CSV file (rows written back as Python's csv writes them)."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or column not in rows[0]:
        return text
    at = rows[0].index(column)
    for row in rows[1:]:
        row[at] = "<seconds>"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


_CELL_EDGE = re.compile(r"(?<!\\)\|")


def _mask_markdown_tables(text: str) -> str:
    """Mask the ``seconds`` column of Markdown tables: its values and the padding they set."""
    out, at = [], None
    for line in text.splitlines(keepends=True):
        if not line.startswith("|"):
            at = None
            out.append(line)
            continue
        cells = _CELL_EDGE.split(line)
        names = [cell.strip() for cell in cells]
        if at is None and "seconds" in names:
            at = names.index("seconds")
        if at is not None:
            cells[at] = " <seconds> "
        out.append("|".join(cells))
    return "".join(out)


def stored(run: str) -> Outputs:
    folder = GOLDEN / run
    return {path.relative_to(folder).as_posix(): path.read_text()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def update() -> None:
    digests: dict[str, dict[str, str]] = {}
    for run, make in RUNS.items():
        with tempfile.TemporaryDirectory(prefix="golden-") as tmp:
            outputs = make(Path(tmp))
        folder = GOLDEN / run
        shutil.rmtree(folder, ignore_errors=True)
        for name, text in outputs.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text)
        digests[run] = {name: digest(text) for name, text in sorted(outputs.items())}
    DIGESTS.write_text(json.dumps(digests, indent=2, sort_keys=True) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true",
                        help="regenerate tests/golden/ from the code as it is now")
    if not parser.parse_args().update:
        parser.error("nothing to do: pass --update to regenerate the golden outputs")
    update()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
