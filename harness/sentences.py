"""Every sentence a user reads about a verdict, written once, from the verdict's fields.

Each output (pytest's failure, the terminal, the reports, the notebook, a student's
feedback and the notes of a grade) calls these functions with a
:class:`~harness.verdict.Verdict` or its :class:`~harness.verdict.VerdictKind`; none
words a verdict itself, and none reads a sentence back.  Where two audiences are told
the same fact in other words (a grade's feedback speaks to the student as "your
formula", the local report to its author), the difference is a named parameter here,
never a second copy.  (Why a hypothesis earns its points, given the exercise's rules, is
said in :mod:`harness.grading.scoring`, next to the rules.)

The student's own text (a hypothesis's name, its error message) comes in bounded or
escaped by the caller for the format it writes (:mod:`harness.untrusted`).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from harness.untrusted import SENTENCE, cut
from harness.verdict import ERROR, HOLDS, REFUTED, Verdict, VerdictKind

#: The phrase for every verdict that is neither holds nor refuted.
NOT_CHECKABLE = "could not be checked"

#: What each kind says after a hypothesis's name: ``Hypothesis #1 is refuted``.
_WORDS: dict[VerdictKind, str] = {
    HOLDS: "holds", REFUTED: "is refuted", ERROR: f"{NOT_CHECKABLE} (error)",
    VerdictKind.TIMEOUT: f"{NOT_CHECKABLE} (it took too long)",
    VerdictKind.CRASHED: f"{NOT_CHECKABLE} (it crashed)",
    VerdictKind.NOT_CHECKED: "was not checked",
}

#: Grading: why a formula that ran could not be checked, as what it did (a grade's note
#: reads ``took too long, so it could not be checked``).
_DID: dict[VerdictKind, str] = {
    VerdictKind.TIMEOUT: "took too long",
    VerdictKind.CRASHED: "crashed the grading process",
}
#: Grading: why a formula's answer could not be checked.
_UNUSABLE = "the formula did not give a usable answer"


def verdict_words(kind: VerdictKind) -> str:
    """The verdict without the name (``is refuted``), for a writer that escapes the name."""
    return _WORDS[VerdictKind(kind)]


class Recorded(StrEnum):
    """How a verdict sentence mentions what the hypothesis's file records (``refuted=``)."""

    #: Not at all: ``Swapped is refuted``.
    UNSAID = "unsaid"
    #: Only a hypothesis that holds but is recorded refuted: ``... (but it was recorded
    #: as refuted)`` (the notebook, which marks the other surprises itself).
    IF_HOLDS = "if-holds"
    #: That too, and a refutation the file records: ``... is refuted (as recorded)``
    #: (the reports' one sentence per file).
    ALWAYS = "always"
    #: A surprise in the file's words: ``... is refuted, but its file records it as
    #: holding`` (the list of surprises every report starts with).
    FILE = "file"


def verdict_sentence(name: str, verdict: Verdict, recorded: Recorded = Recorded.UNSAID) -> str:
    """``Hypothesis #1 is refuted`` and, as ``recorded`` says, what its file records;
    ``name`` is the verdict's name as the caller shows it (bounded or escaped)."""
    said = f"{name} {verdict_words(verdict.kind)}"
    return said + _recorded_note(verdict, recorded)


def _recorded_note(v: Verdict, recorded: Recorded) -> str:
    if recorded == Recorded.FILE and v.kind in (HOLDS, REFUTED):
        return f", but its file records it as {'refuted' if v.kind == HOLDS else 'holding'}"
    if recorded in (Recorded.IF_HOLDS, Recorded.ALWAYS) and v.kind == HOLDS and v.recorded:
        return " (but it was recorded as refuted)"
    if recorded == Recorded.ALWAYS and v.kind == REFUTED and v.recorded:
        return " (as recorded)"
    return ""


def holds_but_recorded_refuted(name: str, verdict: Verdict | None = None) -> str:
    """For a hypothesis recorded ``refuted=True`` that holds.  With its ``verdict``, the
    terminal's whole explanation (the cases and seed tried); without (pytest's reason
    for the expected failure, written before checking), one sentence."""
    if verdict is None:
        return (f"{name} is recorded as refuted, but it {_WORDS[HOLDS]} for every case tried: "
                "remove refuted=True, or check the formula")
    return (f"{name} was recorded as refuted (refuted=True), but it HOLDS: it agreed with "
            f"Keras on all {verdict.cases} cases tried (seed {verdict.seed}).\n"
            "Either the formula is not the one you refuted, or the hypothesis is true after "
            "all: remove refuted=True if so.")


def wrong_claim(name: str | None = None) -> str:
    """A hypothesis recorded as holding that is refuted, when wrong claims cost their
    exercise's points.  With ``name`` (Markdown, escaped by the caller), the sentence of a
    student's feedback about it; without, a grade's note (the hypothesis is its heading)."""
    if name is None:
        said = (f"a wrong claim: recorded as holding, but it {_WORDS[REFUTED]} (see the "
                "counterexample)")
    else:
        said = (f"{name} is recorded as holding, but the harness refuted it (the "
                "counterexample is below)")
    flag = "refuted=True" if name is None else "`refuted=True`"
    return (f"{said}, so this exercise earns no points for a hypothesis that holds. "
            f"Recording it with {flag} is what the exercise asks: knowing when a formula "
            "is wrong.")


def found(verdict: Verdict, *, for_grade: bool = False,
          escape: Callable[[object, int], str] = cut) -> str:
    """What checking found, the sentence after the verdict (``It agreed with Keras on all
    200 cases tried.``).  ``for_grade``: the words of a student's feedback, which speak
    of "your formula" and of the grader's secret cases, instead of the local report's;
    ``escape(text, limit)`` shows the verdict's message (the student's text)."""
    if for_grade:
        return _found_for_grade(verdict)
    if verdict.kind == HOLDS:
        extra = ("" if verdict.as_expected else
                 " It was recorded as refuted (refuted=True): remove that if it is true.")
        return f"It agreed with Keras on all {verdict.cases} cases tried.{extra}"
    if verdict.kind == REFUTED:
        recorded = " (as recorded)" if verdict.recorded else ""
        if verdict.counterexample is None:  # grading: only secret cases show it
            return f"It disagrees with Keras{recorded}: {verdict.message or 'no case found.'}"
        return f"It disagrees with Keras{recorded}; the smallest case found:"
    message = f": {escape(verdict.message, SENTENCE)}" if verdict.message else "."
    return f"It {NOT_CHECKABLE}{message}"


def _found_for_grade(v: Verdict) -> str:
    if v.kind == REFUTED and v.counterexample is None:  # only secret cases show it
        return (f"It {_WORDS[REFUTED]}: on some of the grader's own cases, which stay "
                "secret, Keras gives a different answer. No case can be shown (see below).")
    if v.kind == HOLDS:
        return (f"It {_WORDS[HOLDS]}: your formula and Keras agree on all {v.cases} cases "
                "checked.")
    if v.kind == REFUTED:
        return f"It {_WORDS[REFUTED]}: Keras gives a different answer for the case below."
    if v.kind == VerdictKind.NOT_CHECKED:
        return f"It {_WORDS[v.kind]}."
    if v.kind == ERROR and not v.cases:  # it failed before any case: the message says why
        return f"It {NOT_CHECKABLE} (what went wrong is below)."
    return f"It {NOT_CHECKABLE}: {_why_not(v.kind, subject='it ')}."


def not_checked_note(kind: VerdictKind, *, bad_declaration: bool = False) -> str:
    """A grade's note on a hypothesis that could not be checked (the subject, the
    hypothesis, is the note's heading): ``took too long, so it could not be checked.``;
    ``bad_declaration``: its ``@hypothesis(...)`` has a mistake, so nothing was run."""
    if bad_declaration:
        return (f"{NOT_CHECKABLE}: its @hypothesis(...) declaration has a mistake (see "
                "below), so the formula was never run.")
    if kind == VerdictKind.NOT_CHECKED:
        return f"{_WORDS[kind]} (the submission ran out of time or kept crashing)."
    if kind in _DID:
        return f"{_why_not(kind)}, so it {NOT_CHECKABLE}."
    return f"{NOT_CHECKABLE}: {_UNUSABLE}."


def _why_not(kind: VerdictKind, subject: str = "") -> str:
    return subject + _DID[kind] if kind in _DID else _UNUSABLE
