"""Every documented feature grades, wherever the harness is installed (issue 7, item 4).

The harness is copied into a fresh virtual environment under the temporary
folder (``/tmp/...``), as a new user who clones and installs it there would
have it; one file that uses every scope and option of the README is graded by
that copy and checked by ``harness check`` from the same copy: the verdicts
must be the same, hypothesis by hypothesis.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import harness

FIXTURES = Path(__file__).parent / "grading_fixtures" / "anywhere"

SCRIPT = r"""
import json, sys
import harness
from harness.api import check_paths
from harness.engine.checker import CheckSettings
from harness.grading import grade
from harness.grading.assignment import load_assignment

folder, assignment, out = sys.argv[1:4]
rules = load_assignment(assignment)
checked = check_paths([folder], CheckSettings(seed=rules.seed, cases=rules.cases))
run = grade(folder, assignment=assignment, out=out, workers=1, summary=False)
[result] = run.results
print(json.dumps({
    "harness": harness.__file__,
    "failures": [str(f) for f in checked.failures],
    "check": [[v.name, str(v.kind)] for v in checked.verdicts],
    "status": result.status, "message": result.message,
    "grade": [[h.name, str(h.verdict)] for h in result.hypotheses],
}))
"""


def _venv_under_tmp(root: Path) -> Path:
    """A venv under ``root`` holding its own copy of ``harness``; the other packages
    (numpy, Keras, ...) come from this test's environment."""
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(venv)}))
    shutil.copytree(Path(harness.__file__).parent, site / "harness",
                    ignore=shutil.ignore_patterns("__pycache__"))
    ours = sysconfig.get_path("purelib")
    (site / "zz_shared.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    return venv / "bin" / "python"


def test_every_option_grades_like_check_with_the_harness_under_tmp(tmp_path: Path) -> None:
    assert str(tmp_path).startswith("/tmp/")
    python = _venv_under_tmp(tmp_path)
    folder = tmp_path / "student"
    folder.mkdir()
    shutil.copy(FIXTURES / "every_option.py", folder / "every_option.py")
    done = subprocess.run(
        [str(python), "-c", SCRIPT, str(folder), str(FIXTURES / "assignment.toml"),
         str(tmp_path / "out")], capture_output=True, text=True, timeout=600, check=False,
        cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["harness"].startswith(str(tmp_path))
    assert report["failures"] == []
    assert (report["status"], report["message"]) == ("graded", None)
    assert report["grade"] == report["check"]
    assert len(report["check"]) == 9
    verdicts = {name: verdict for name, verdict in report["check"]}
    assert verdicts["general"] == "holds" and verdicts["wrong on B"] == "refuted"
