"""Each verdict sentence is written once (harness/sentences.py) and made from the verdict.

The golden outputs (tests/test_golden_outputs.py) keep every format's bytes; these tests
pin the choices of the one function each output calls.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from harness import SimpleRNN
from harness.sentences import (
    NOT_CHECKABLE,
    Recorded,
    found,
    holds_but_recorded_refuted,
    not_checked_note,
    verdict_sentence,
    verdict_words,
)
from harness.verdict import Counterexample, Verdict, VerdictKind

CASE = Counterexample({"kernel": [[1.0]], "recurrent_kernel": [[0.0]], "xs": [[1.0]]},
                      [1.0], [2.0])


def _verdict(kind: VerdictKind, recorded: bool = False, **fields: object) -> Verdict:
    return Verdict(file="a.py", function="f", name="Swapped", layer=SimpleRNN(units=1),
                   scope="all weights and sequences", recorded=recorded, kind=kind, cases=200,
                   seed=1, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", list(VerdictKind))
def test_every_kind_has_words_and_a_sentence_for_each_audience(kind: VerdictKind) -> None:
    v = _verdict(kind, counterexample=CASE)
    assert verdict_sentence("Swapped", v) == f"Swapped {verdict_words(kind)}"
    assert found(v).startswith("It ") and found(v, for_grade=True).startswith("It ")
    assert found(v) != found(v, for_grade=True)


@pytest.mark.parametrize(("kind", "recorded", "how", "sentence"), [
    (VerdictKind.REFUTED, True, Recorded.UNSAID, "Swapped is refuted"),
    (VerdictKind.REFUTED, True, Recorded.IF_HOLDS, "Swapped is refuted"),
    (VerdictKind.REFUTED, True, Recorded.ALWAYS, "Swapped is refuted (as recorded)"),
    (VerdictKind.REFUTED, False, Recorded.ALWAYS, "Swapped is refuted"),
    (VerdictKind.HOLDS, True, Recorded.IF_HOLDS,
     "Swapped holds (but it was recorded as refuted)"),
    (VerdictKind.HOLDS, True, Recorded.ALWAYS, "Swapped holds (but it was recorded as refuted)"),
    (VerdictKind.HOLDS, False, Recorded.ALWAYS, "Swapped holds"),
    (VerdictKind.REFUTED, False, Recorded.FILE,
     "Swapped is refuted, but its file records it as holding"),
    (VerdictKind.HOLDS, True, Recorded.FILE, "Swapped holds, but its file records it as refuted"),
    (VerdictKind.ERROR, True, Recorded.ALWAYS, "Swapped could not be checked (error)"),
])
def test_what_the_file_records_is_said_as_each_output_asks(
        kind: VerdictKind, recorded: bool, how: Recorded, sentence: str) -> None:
    assert verdict_sentence("Swapped", _verdict(kind, recorded), how) == sentence


def test_a_grade_speaks_to_the_student_and_hides_secret_cases() -> None:
    secret = found(_verdict(VerdictKind.REFUTED), for_grade=True)
    assert "stay secret" in secret and "No case can be shown" in secret
    assert "your formula" in found(_verdict(VerdictKind.HOLDS), for_grade=True)
    assert found(_verdict(VerdictKind.HOLDS, recorded=True)).endswith(
        "remove that if it is true.")


def test_notes_on_what_could_not_be_checked() -> None:
    assert not_checked_note(VerdictKind.TIMEOUT) == f"took too long, so it {NOT_CHECKABLE}."
    assert "ran out of time" in not_checked_note(VerdictKind.NOT_CHECKED)
    assert "never run" in not_checked_note(VerdictKind.ERROR, bad_declaration=True)
    v = _verdict(VerdictKind.HOLDS, recorded=True)
    assert "all 200 cases tried (seed 1)" in holds_but_recorded_refuted("Swapped", v)
    assert holds_but_recorded_refuted("Swapped").startswith("Swapped is recorded as refuted")


def test_verdict_words_are_written_only_in_sentences() -> None:
    """No other module spells a verdict's words as a string of its own."""
    words = {verdict_words(kind) for kind in VerdictKind} - {"holds"} | {NOT_CHECKABLE}
    package = Path(__file__).parents[1] / "harness"
    found_in = sorted(
        f"{path.relative_to(package)}:{node.lineno}"
        for path in package.rglob("*.py") if path.name != "sentences.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        and node.value.strip(" .:") in words)
    assert found_in == []
