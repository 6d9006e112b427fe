"""Hint searches replayed for look-alike formulas (harness.grading.extras_memo): a replay
gives exactly what the formula's own search gives, in one batch, and never for a
formula that answers differently on any case the search asked about."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from harness import PART_A, hypothesis
from harness.cases import Case
from harness.claims import Claim, claim_of
from harness.engine.checker import Checker, CheckSettings
from harness.engine.extras import enrich
from harness.engine.formula import InProcess, Outcome
from harness.engine.oracle import Oracle
from harness.grading.extras_memo import ExtrasMemo
from harness.verdict import REFUTED, Verdict

SETTINGS = CheckSettings(cases=60, search=60)


@hypothesis(PART_A)
def last_input(kernel, xs):  # type: ignore[no-untyped-def]
    return xs[-1] @ kernel


@hypothesis(PART_A)
def last_input_in_a_loop(kernel, xs):  # type: ignore[no-untyped-def]
    out = np.zeros(1)
    for x in xs:
        out = x @ kernel  # keeps only the last
    return out


@hypothesis(PART_A)
def last_input_but_odd_when_long(kernel, xs):  # type: ignore[no-untyped-def]
    if len(xs) > 6:  # the same on short sequences only
        return xs[-1] @ kernel + 1
    return xs[-1] @ kernel


@hypothesis(PART_A, where=lambda xs: len(xs) > 1)
def last_input_where(kernel, xs):  # type: ignore[no-untyped-def]
    return xs[-1] @ kernel


class Counting:
    """The in-process evaluator, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.inner = InProcess()

    def evaluate(self, claim: Claim, cases: Sequence[Case]) -> list[Outcome]:
        self.calls += 1
        return self.inner.evaluate(claim, cases)


@pytest.fixture(scope="module")
def oracle() -> Oracle:
    return Oracle()


def _checked(oracle: Oracle, fn: Any) -> tuple[Checker, Claim, Verdict]:
    checker = Checker(SETTINGS, oracle=oracle)
    claim = claim_of(fn)
    assert claim is not None
    verdict = checker.check(claim)
    assert verdict.kind == REFUTED
    return checker, claim, verdict


def _extras(verdict: Verdict) -> tuple[Any, Any]:
    return verdict.hints, verdict.sweep


def test_a_look_alike_gets_exactly_its_own_hints_in_one_batch(oracle: Oracle) -> None:
    memo = ExtrasMemo()
    checker, claim, verdict = _checked(oracle, last_input)
    first = memo.enrich(checker, claim, verdict, hints=True, budget=2.0)
    assert first.hints is not None and first.hints.holds_when  # something to replay

    _, claim2, verdict2 = _checked(oracle, last_input_in_a_loop)
    assert verdict2.counterexample == verdict.counterexample
    own = enrich(Checker(SETTINGS, oracle=oracle), claim2, verdict2, budget=2.0, steady=True)
    counting = Counting()
    replayed = memo.replay(counting, claim2, verdict2, hints=True, budget=2.0)
    assert replayed is not None and counting.calls == 1
    assert _extras(replayed) == _extras(own)
    assert (replayed.name, replayed.function) == (verdict2.name, verdict2.function)
    assert memo.replayed == 1


def test_a_formula_that_answers_differently_is_searched_for_itself(oracle: Oracle) -> None:
    memo = ExtrasMemo()
    checker, claim, verdict = _checked(oracle, last_input)
    memo.enrich(checker, claim, verdict, hints=True, budget=2.0)
    _, odd, odd_verdict = _checked(oracle, last_input_but_odd_when_long)
    assert odd_verdict.counterexample == verdict.counterexample  # same key, other outcomes
    assert memo.replay(InProcess(), odd, odd_verdict, hints=True, budget=2.0) is None
    # other settings (no hints, another budget) never share a recording
    assert memo.replay(InProcess(), claim, verdict, hints=False, budget=2.0) is None
    assert memo.replay(InProcess(), claim, verdict, hints=True, budget=1.0) is None
    assert memo.replay(InProcess(), claim, verdict, hints=True, budget=2.0) is not None


def test_where_scopes_are_never_replayed(oracle: Oracle) -> None:
    memo = ExtrasMemo()
    checker, claim, verdict = _checked(oracle, last_input_where)
    found = memo.enrich(checker, claim, verdict, hints=True, budget=2.0)
    assert found.hints is not None
    assert memo.replay(InProcess(), claim, verdict, hints=True, budget=2.0) is None
    assert memo.searched == 1


# -- a whole class, graded in parallel threads ---------------------------------------------


def _outputs(out: Path) -> dict[str, bytes]:
    """Every output a person reads (the grader's own store holds timings)."""
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and ".results" not in p.parts and p.name != ".secret"}


def test_one_worker_and_two_in_any_order_grade_a_class_identically(tmp_path: Path) -> None:
    """Look-alike formulas (the synthetic class's students share a few ideas each):
    searches and hint searches replayed by one thread while another records them
    must give every student exactly what one worker gives, in every output."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
    from class_fixture import write_class

    from harness.grading import grade

    write_class(tmp_path / "class", students=6)
    secret = tmp_path / "secret.txt"
    secret.write_text("a secret for this test only, long enough to be one")
    one = grade(tmp_path / "class", out=tmp_path / "one", workers=1, secret=secret)
    students = sorted(r.student for r in one.results)
    two = grade(tmp_path / "class", out=tmp_path / "two", workers=2, secret=secret,
                order=students[::-1])
    assert (one.graded, two.graded) == (6, 6)
    first, second = _outputs(tmp_path / "one"), _outputs(tmp_path / "two")
    assert sorted(first) == sorted(second) and len(first) > 12
    assert [name for name in first if first[name] != second[name]] == []
    refuted = [h for r in one.results for h in r.hypotheses if h.verdict == REFUTED]
    assert len(refuted) >= 6 and all(h.checked.hints is not None for h in refuted)


def test_forgetting_a_where_condition_drops_its_memos_only(oracle: Oracle) -> None:
    """Grading forgets a finished submission's ``where=`` proxy (no later claim can have
    it), so the checker's memos grow with the run's scopes, not with its submissions."""
    checker, claim, first = _checked(oracle, last_input_where)
    other = claim_of(last_input)
    assert other is not None
    checker.check(other)
    where = claim.scope.where
    assert where is not None
    memos: tuple[dict[Any, Any], ...] = (checker._screens, checker._fresh, checker._searches,
                                         checker._seeds)

    def held() -> list[Any]:
        return [key for memo in memos for key in memo if key[1][2] is where]

    assert held()
    others = sum(len(memo) for memo in memos) - len(held())
    checker.forget(where)
    assert not held() and sum(len(memo) for memo in memos) == others
    again = checker.check(claim)
    assert (again.cases, again.counterexample, again.behaviour) == (
        first.cases, first.counterexample, first.behaviour)
