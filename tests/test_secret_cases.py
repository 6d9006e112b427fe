"""Secret grading cases, seeds nobody else can steer, and seeds students can trust.

* Seeds come only from what the checker holds (secret or seed, layer, fixed
  bytes, timesteps, the ``where`` source), never from names or scope text, which
  a grading worker reports and could forge.
* With a secret, a hypothesis that holds is also checked on fresh cases of its
  own submission (drawn from the secret and its content, never from a pool the
  class shares), so a table of Keras's answers earns nothing, even a table of
  the class's (secret) screening cases.
* In a student's run, the cases for a seed do not depend on which other modules
  are loaded (Hypothesis's local constants are kept out of the harness's draws).
"""

from __future__ import annotations

import csv
import importlib
import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from harness import PART_A, PART_B, PART_C, hypothesis
from harness.cases import Case
from harness.claims import Claim, claim_of
from harness.engine.checker import Checker, CheckSettings, where_identity
from harness.engine.compare import out_of_range
from harness.engine.oracle import Oracle
from harness.engine.strategies import no_local_constants
from harness.errors import UsageError
from harness.grading.secret import ENV_VARIABLE, Secret, resolve_secret
from harness.layers import LayerSpec
from harness.verdict import HOLDS, REFUTED

SECRET = "an instructor's secret, long enough to be safe"


def _claim(fn: Any) -> Claim:
    claim = claim_of(fn)
    assert claim is not None
    return claim


@hypothesis(PART_A, name="feedback loop", fixed={"kernel": [[1.0]]}, timesteps=range(1, 5))
def loop(kernel, recurrent_kernel, xs):  # type: ignore[no-untyped-def]
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h


@hypothesis(PART_A, name="no feedback")
def no_feedback(kernel, recurrent_kernel, xs):  # type: ignore[no-untyped-def]
    return xs[-1] @ kernel


def _keys(cases: list[Case]) -> list[tuple[int, bytes]]:
    return [case.key for case in cases]


# -- seeds never come from what a worker reports --------------------------------------------


def test_forged_names_and_scope_text_draw_the_same_cases(oracle: Oracle) -> None:
    honest = _claim(loop)
    forged = replace(honest, name="anything at all", function="other",
                     scope=replace(honest.scope, text="kernel=[[7]]; timesteps=1"))
    first, second = (Checker(CheckSettings(cases=40), oracle=oracle) for _ in range(2))
    assert first.seed_for(honest) == second.seed_for(forged)
    assert _keys(first.screening(honest)[0]) == _keys(second.screening(forged)[0])
    wrong = replace(_claim(no_feedback), scope=honest.scope)
    forged_wrong = replace(wrong, name="forged", scope=forged.scope)
    assert first.check(wrong).counterexample == second.check(forged_wrong).counterexample


def test_the_scope_itself_does_change_the_cases(oracle: Oracle) -> None:
    checker = Checker(CheckSettings(cases=40), oracle=oracle)
    general = _claim(no_feedback)
    narrow = _claim(loop)
    assert checker.seed_for(general) != checker.seed_for(narrow)


class _Proxy:
    """Like the grader's RemoteWhere: a callable object whose name a worker reports."""

    def __init__(self, name: str) -> None:
        self.__name__ = name

    def __call__(self, **kwargs: Any) -> bool:
        return True


def test_a_remote_condition_is_identified_by_its_type_only() -> None:
    assert where_identity(_Proxy("condition")) == where_identity(_Proxy("forged name"))
    assert where_identity(lambda xs: xs.sum() > 0) != where_identity(lambda xs: xs.sum() < 0)


# -- the secret ---------------------------------------------------------------------------


def test_the_secret_decides_the_cases(oracle: Oracle) -> None:
    claim = _claim(no_feedback)

    def screening(**kwargs: Any) -> list[tuple[int, bytes]]:
        return _keys(Checker(CheckSettings(cases=100, **kwargs), oracle=oracle).screening(claim)[0])

    public, one = screening(), screening(secret=SECRET)
    assert screening(secret=SECRET.encode()) == one  # text or bytes, the same secret
    others = [screening(secret=SECRET + "!"), screening(secret=SECRET, seed=5)]
    explicit = set(public).intersection(one, *others)
    assert len(explicit) <= 10  # only the notebook's own cases and the simple ones
    for other in [public, *others]:
        assert set(other) & set(one) == explicit


def test_the_secret_is_never_in_a_repr() -> None:
    assert SECRET not in repr(CheckSettings(secret=SECRET))
    assert SECRET not in repr(Secret(SECRET.encode(), "a file"))
    assert SECRET not in Secret(SECRET.encode(), "a file").describe()


def _table_of(checker: Checker, claim: Claim) -> dict[bytes, np.ndarray]:
    cases, wants = checker.screening(claim)
    return {_case_bytes(c): w for c, w in zip(cases, wants, strict=True)}


def _case_bytes(case: Case) -> bytes:
    return b"".join(np.asarray(w, np.float64).tobytes() for w in case.weights) + \
        np.asarray(case.xs, np.float64).tobytes()


def test_fresh_cases_refute_a_table_of_the_screening_cases(oracle: Oracle) -> None:
    secret = CheckSettings(cases=60, secret=SECRET)
    table = _table_of(Checker(secret, oracle=oracle), _claim(no_feedback))

    @hypothesis(PART_A, name="table")
    def lookup(kernel, recurrent_kernel, xs):  # type: ignore[no-untyped-def]
        key = kernel.tobytes() + recurrent_kernel.tobytes() + xs.tobytes()
        return table.get(key, np.zeros(1))

    claim = _claim(lookup)
    grader = Checker(secret, oracle=oracle, salt=lambda _: b"one submission")
    cases, _ = grader.screening(claim)
    assert all(_case_bytes(c) in table for c in cases)  # it knows every screening case
    verdict = grader.check(claim)
    assert verdict.kind == REFUTED
    fresh, _ = grader.fresh(claim)
    assert len(fresh) == 50 and not set(_keys(fresh)) & set(_keys(cases))
    other, _ = Checker(secret, oracle=oracle, salt=lambda _: b"another").fresh(claim)
    # another submission meets other cases: no pool shared by the class
    assert len(other) == len(fresh) and not set(_keys(other)) & set(_keys(cases))
    assert not set(_keys(fresh)) & set(_keys(other))
    again, _ = Checker(secret, oracle=oracle, salt=lambda _: b"one submission").fresh(claim)
    assert _keys(again) == _keys(fresh)  # the same submission: the same cases, every run


@pytest.mark.parametrize("spec", [PART_A, PART_B, PART_C], ids=["A", "B", "C"])
def test_every_general_claim_gets_fifty_fresh_cases_in_range(oracle: Oracle,
                                                             spec: LayerSpec) -> None:
    """Part C's LSTM overflows on most cases drawn; the candidates follow the screening
    set's share in range, so one batch still holds 50 Keras can judge."""
    claim = replace(_claim(no_feedback), spec=spec)
    grader = Checker(CheckSettings(secret=SECRET), oracle=oracle, salt=lambda _: b"salt")
    cases, _ = grader.screening(claim)
    candidates = grader.fresh_candidates(claim)
    fresh, wants = grader.fresh(claim)
    assert len(fresh) == 50 and set(fresh) <= set(candidates)
    assert not set(candidates) & set(cases)
    assert not any(out_of_range(w, spec, c) for c, w in zip(fresh, wants, strict=True))
    if spec != PART_C:  # the LSTM stays in range for short sequences only
        assert len({c.timesteps for c in fresh}) >= 4  # lengths over the whole scope


def test_an_honest_formula_holds_on_fresh_cases_too(oracle: Oracle) -> None:
    grader = Checker(CheckSettings(cases=60, secret=SECRET), oracle=oracle,
                     salt=lambda _: b"honest")
    verdict = grader.check(_claim(loop))
    screened = len(grader.screening(_claim(loop))[0])
    assert verdict.kind == HOLDS and verdict.cases == screened + len(
        grader.fresh(_claim(loop))[0]) > screened


# -- where the secret comes from ----------------------------------------------------------


def test_a_secret_is_made_once_beside_the_outputs(tmp_path: Path) -> None:
    made = resolve_secret(tmp_path / "out", environ={})
    path = tmp_path / "out" / ".secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = resolve_secret(tmp_path / "out", environ={})
    assert made.value == again.value == path.read_bytes().strip() and len(made.value) == 64
    assert str(path) in again.describe()


def test_a_named_file_then_the_environment_come_first(tmp_path: Path) -> None:
    named = tmp_path / "secret.txt"
    named.write_text(SECRET + "\n")
    from_file = resolve_secret(tmp_path, named, environ={ENV_VARIABLE: "x" * 20})
    assert from_file.value == SECRET.encode() and from_file.path == str(named.resolve())
    from_env = resolve_secret(tmp_path, environ={ENV_VARIABLE: "y" * 20})
    assert from_env.value == b"y" * 20 and ENV_VARIABLE in from_env.describe()
    assert not (tmp_path / ".secret").exists()


@pytest.mark.parametrize("content", ["", "short"])
def test_a_short_secret_is_refused(tmp_path: Path, content: str) -> None:
    named = tmp_path / "secret.txt"
    named.write_text(content)
    with pytest.raises(UsageError, match="16 to 4096"):
        resolve_secret(tmp_path, named, environ={})


def test_a_missing_secret_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"missing\.txt does not exist"):
        resolve_secret(tmp_path, tmp_path / "missing.txt", environ={})


# -- the same cases for a seed, whatever is loaded ------------------------------------------

ODD = [round(0.1234567 + 0.2345678 * i - 9.5, 7) for i in range(80)]


def _odd_module(folder: Path, name: str) -> Any:
    """A module full of odd float constants, outside site-packages (a 'local' module)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.py").write_text(f"VALUES = {ODD!r}\n" + "".join(
        f"C{i} = {value!r}\n" for i, value in enumerate(ODD)))
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(folder))


def _floats(guarded: bool) -> set[float]:
    seen: set[float] = set()

    @settings(max_examples=600, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @hypothesis_seed(3)
    @given(st.floats(-10, 10, allow_nan=False))
    def draw(value: float) -> None:
        seen.add(value)

    if guarded:
        with no_local_constants():
            draw()
    else:
        draw()
    return seen


def test_local_constants_stay_out_of_the_harness_draws(tmp_path: Path) -> None:
    """Checked against Hypothesis 6.170: if Hypothesis stops mixing local constants in,
    or moves the mechanism, the first or the last assertion fails."""
    _odd_module(tmp_path / "local_code", "odd_constants_for_draws")
    assert _floats(guarded=False) & set(ODD)  # Hypothesis does mix them in
    assert not _floats(guarded=True) & set(ODD)  # the harness's draws do not
    assert _floats(guarded=False) & set(ODD)  # and only inside the block


HYPOTHESES = '''
import numpy as np
from harness import PART_A, PART_B, hypothesis

@hypothesis(PART_A, name="general")
def general(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h

@hypothesis(PART_A, name="narrow", fixed={"kernel": [[0.5]]}, timesteps=range(2, 6),
            where=lambda xs: xs.sum() > -4.5)
def narrow(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = 0.5 * x + h @ recurrent_kernel
    return h
'''


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[tuple[int, bytes]]]]:
    """Every screening set the checker builds, by hypothesis name, in this process."""
    seen: list[tuple[str, list[tuple[int, bytes]]]] = []
    original = Checker.screening

    def screening(self: Checker, claim: Claim) -> tuple[list[Case], list[np.ndarray]]:
        cases, wants = original(self, claim)
        seen.append((claim.name, _keys(cases)))
        return cases, wants

    monkeypatch.setattr(Checker, "screening", screening)
    return seen


def test_pytest_harness_check_and_the_api_draw_identical_cases(
        pytester: pytest.Pytester, recorded: list[tuple[str, list[tuple[int, bytes]]]],
        tmp_path: Path) -> None:
    from harness.api import check_paths
    from harness.cli import main
    from harness.engine.oracle import keras_layer

    keras_layer(PART_A)  # TensorFlow imported before pytester's in-process run
    folder = pytester.path / "hypotheses"
    folder.mkdir()
    (folder / "mine.py").write_text(textwrap.dedent(HYPOTHESES))
    check_paths([folder], CheckSettings(cases=60))
    api = dict(recorded)
    _odd_module(tmp_path / "local_code", "odd_constants_for_screening")
    recorded.clear()
    assert main(["check", str(folder), "--cases", "60", "--report-dir",
                 str(tmp_path / "reports")]) == 0
    cli = dict(recorded)
    recorded.clear()
    pytester.runpytest("hypotheses", "--harness-cases", "60", "-p", "no:cacheprovider"
                       ).assert_outcomes(passed=2)
    plugin = dict(recorded)
    assert set(api) == {"general", "narrow"} and len(api["narrow"]) == 60
    assert api == cli == plugin


# -- grading a class: the lookup table earns nothing; a regrade is byte-identical -----------

ASSIGNMENT = '''
[assignment]
name = "secret cases"
seed = 11
cases = 40
hypothesis_timeout = 10
submission_timeout = 60
max_hypotheses = 5

[[exercise]]
id = "part_a"
layer = "PART_A"
points = 2

[[exercise]]
id = "part_b"
layer = "PART_B"
points = 2
'''

HONEST = '''
import numpy as np
from harness import PART_A, PART_B, hypothesis


@hypothesis(PART_A, name="A")
def part_a(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h


@hypothesis(PART_B, name="B")
def part_b(kernel, recurrent_kernel, xs):
    h = np.zeros(2)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h
'''

TABLE = '''
import numpy as np
from harness import PART_A, PART_B, hypothesis

TABLE = {table!r}


def _look(units, *arrays):
    key = b"".join(np.asarray(a, np.float64).tobytes() for a in arrays).hex()
    return np.array(TABLE.get(key, [0.0] * units))


@hypothesis(PART_A, name="A")
def part_a(kernel, recurrent_kernel, xs):
    return _look(1, kernel, recurrent_kernel, xs)


@hypothesis(PART_B, name="B")
def part_b(kernel, recurrent_kernel, xs):
    return _look(2, kernel, recurrent_kernel, xs)
'''


SNOOP = '''
import glob
import os

import numpy as np
from harness import PART_A, PART_B, PART_C, hypothesis


def _found_a_secret():
    if any(os.environ.get(name) for name in ("HARNESS_SECRET",)):
        return True
    for path in {paths!r} + glob.glob("/proc/*/environ"):
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        if not path.startswith("/proc") or b"HARNESS_SECRET" in data:
            return True
    return False


@hypothesis(PART_A, name="right only when no secret can be read")
def part_a(kernel, recurrent_kernel, xs):
    if _found_a_secret():
        return np.zeros(1)
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h
'''


def _recorder(honest: Claim, sent: list[dict[str, Any]]) -> Any:
    def record(kernel: Any, recurrent_kernel: Any, xs: Any) -> Any:
        sent.append({"kernel": kernel, "recurrent_kernel": recurrent_kernel, "xs": xs})
        return honest.formula(kernel, recurrent_kernel, xs)

    return record


def _student_table(oracle: Oracle, seeds: list[int]) -> dict[str, list[float]]:
    """What a student can learn: the cases the checker sends for any seed they choose
    (recorded by a formula that writes down its arguments), with Keras's answers."""
    namespace: dict[str, Any] = {}
    exec(compile(textwrap.dedent(HONEST), "<honest>", "exec"), namespace)
    table: dict[str, list[float]] = {}
    for layer in ("part_a", "part_b"):
        honest = _claim(namespace[layer])
        sent: list[dict[str, Any]] = []
        spy = replace(honest, formula=_recorder(honest, sent))
        for seed in seeds:
            Checker(CheckSettings(seed=seed, cases=40), oracle=oracle).check(spy)
        for kwargs in sent:
            arrays = (kwargs["kernel"], kwargs["recurrent_kernel"], kwargs["xs"])
            key = b"".join(np.asarray(a, np.float64).tobytes() for a in arrays).hex()
            table[key] = [float(v) for v in np.ravel(honest.formula(**kwargs))]
    return table


@pytest.fixture(scope="module")
def lookup_class(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from harness.grading import grade

    root = tmp_path_factory.mktemp("secret_class")
    oracle = Oracle()
    table = _student_table(oracle, seeds=[11, 20240601, 1, 2])
    submissions = root / "class"
    submissions.mkdir()
    (submissions / "honest.py").write_text(textwrap.dedent(HONEST))
    (submissions / "snoop.py").write_text(textwrap.dedent(SNOOP).format(
        paths=[str(root / "secret.txt"), str(root / "out1" / ".secret")]))
    (submissions / "table.py").write_text(textwrap.dedent(TABLE).format(table=table))
    assignment = root / "assignment.toml"
    assignment.write_text(ASSIGNMENT)
    secret = root / "secret.txt"
    secret.write_text(SECRET)
    os.environ[ENV_VARIABLE] = SECRET  # for the snoop to look for (the file comes first)
    try:
        runs = [grade(submissions, assignment=assignment, out=root / f"out{i}", workers=2,
                      secret=secret) for i in (1, 2)]
    finally:
        del os.environ[ENV_VARIABLE]
    return {"root": root, "runs": runs, "table": table, "oracle": oracle,
            "submissions": submissions, "assignment": assignment}


def test_the_table_holds_on_every_case_a_student_can_see(lookup_class: dict[str, Any]) -> None:
    namespace: dict[str, Any] = {}
    source = (lookup_class["submissions"] / "table.py").read_text()
    exec(compile(source, "<table>", "exec"), namespace)
    for seed in (11, 20240601):
        checker = Checker(CheckSettings(seed=seed, cases=40), oracle=lookup_class["oracle"])
        assert [checker.check(_claim(namespace[n])).kind for n in ("part_a", "part_b")] \
            == [HOLDS, HOLDS]


def test_graded_with_a_secret_the_table_earns_nothing(lookup_class: dict[str, Any]) -> None:
    rows = {row["student"]: row for row in csv.DictReader(
        (lookup_class["root"] / "out1" / "grades.csv").read_text().splitlines())}
    assert (rows["table"]["total"], rows["honest"]["total"]) == ("0", "4")
    assert rows["snoop"]["total"] == "2"  # it found no secret to read
    table = next(r for r in lookup_class["runs"][0].results if r.student == "table")
    assert [h.verdict for h in table.hypotheses] == [REFUTED, REFUTED]


def _comparable(path: Path) -> bytes:
    """The file's bytes; only the grader's own store (``.results/``, never read by a
    person) may differ, in its timings."""
    if ".results" not in path.parts:
        return path.read_bytes()

    def drop(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: 0 if k == "seconds" else drop(v)
                    for k, v in value.items()}
        if isinstance(value, list):
            return [drop(v) for v in value]
        return value

    return json.dumps(drop(json.loads(path.read_text())), sort_keys=True).encode()


def test_a_regrade_with_the_same_secret_is_byte_identical(lookup_class: dict[str, Any]) -> None:
    one, two = (lookup_class["root"] / f"out{i}" for i in (1, 2))
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    assert len(files) >= 6
    assert [f for f in files if _comparable(one / f) != _comparable(two / f)] == []


def test_the_secret_is_in_no_output(lookup_class: dict[str, Any]) -> None:
    for run in ("out1", "out2"):
        for path in (lookup_class["root"] / run).rglob("*"):
            if path.is_file():
                assert SECRET.encode() not in path.read_bytes(), path


def test_a_resumed_run_reuses_only_what_the_same_secret_graded(
        lookup_class: dict[str, Any]) -> None:
    from harness.grading import grade
    from harness.grading.api import resolve_assignment
    from harness.grading.runner import make_context
    from harness.grading.secret import read_secret
    from harness.grading.store import ResultStore
    from harness.grading.submissions import find_submissions

    root = lookup_class["root"]
    out = root / "out3"
    shutil.copytree(root / "out1", out)
    same = grade(lookup_class["submissions"], assignment=lookup_class["assignment"], out=out,
                 workers=2, secret=root / "secret.txt")
    assert (same.graded, same.reused) == (0, 3)
    rules = resolve_assignment(lookup_class["assignment"], None)
    secret = read_secret(root / "secret.txt")
    other = replace(secret, value=secret.value + b"!")
    store = ResultStore(out)
    for submission in find_submissions(lookup_class["submissions"]):
        assert store.get(submission.student,
                         make_context(rules.with_secret(secret)).key(submission)) is not None
        assert store.get(submission.student,
                         make_context(rules.with_secret(other)).key(submission)) is None


def test_the_cli_names_where_the_secret_came_from_never_the_value(
        lookup_class: dict[str, Any]) -> None:
    root = lookup_class["root"]
    out = root / "out4"
    shutil.copytree(root / "out1", out)
    done = subprocess.run(
        [sys.executable, "-m", "harness.grading.cli", "grade", str(lookup_class["submissions"]),
         "--assignment", str(lookup_class["assignment"]), "--out", str(out),
         "--secret-file", str(root / "secret.txt"), "--no-progress"],
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert f"cases: secret (from {root / 'secret.txt'})" in done.stdout
    assert "reused 3" in done.stdout and SECRET not in done.stdout + done.stderr
    assert (out / "grades.csv").read_bytes() == (root / "out1" / "grades.csv").read_bytes()
