"""Feedback for one student, in plain words, as Markdown.

Per exercise: what held, and for what did not, the smallest case the harness
found, written so it can be checked by hand (the weights, the inputs, Keras's
output after every step, the formula's answer) plus the ``harness probe``
command that shows Keras's output for that case.

Everything the student wrote (names, files, scopes, messages, their id) is bounded
and escaped by :mod:`harness.untrusted`; only the first
:data:`~harness.untrusted.FULL_MESSAGES` messages are shown at full length, so the
bytes a submission can push into its feedback are bounded in total.
"""

from __future__ import annotations

from typing import Any

from harness.grading.assignment import Assignment, Exercise
from harness.grading.results import (
    Credit,
    HypothesisResult,
    Status,
    SubmissionResult,
    format_points,
)
from harness.grading.scoring import is_wrong_claim
from harness.numbers import format_array
from harness.output import render
from harness.sentences import found, wrong_claim
from harness.untrusted import (
    FILE,
    FULL_MESSAGES,
    MESSAGE,
    NAME,
    SENTENCE,
    SHORT_MESSAGE,
    cut,
    fenced,
    markdown,
    markdown_code,
)
from harness.verdict import VerdictKind

#: Every status a student reads, in words, written only here: the sentence for a whole
#: submission stopped by it (:func:`status_words`) and, for the kinds that can stop one
#: file or cell while the rest is graded, the short words for that part
#: (:func:`problem_words`).  The longer message stored with a submission that a status
#: stopped part way is :func:`status_message`.
_STATUS_WORDS: dict[Status, tuple[str, str | None]] = {
    Status.SYNTAX_ERROR: ("Python could not read the file (a syntax error).", "a syntax error"),
    Status.IMPORT_ERROR: ("the file imports something that is not available while grading.",
                          "an import that fails"),
    Status.LOAD_ERROR: ("the file stopped with an error while it was being loaded.",
                        "an error while it was loaded"),
    Status.BAD_HYPOTHESIS: ("a @hypothesis declaration is not valid.",
                            "a @hypothesis declaration with a mistake"),
    Status.NO_HYPOTHESES: ("no hypotheses were found.", None),
    Status.TIMEOUT: ("some code took longer than the time limit.", None),
    Status.CRASHED: ("some code crashed the grading process.", None),
    Status.TAMPERED: ("the grader received messages that did not come from its worker.", None),
    Status.USED_KERAS: ("the code tried to use Keras/TensorFlow, which is not allowed in a "
                        "formula.", "it imports Keras/TensorFlow"),
    Status.INVALID_SUBMISSION: ("the submission could not be read.", None),
    Status.GRADER_ERROR: ("the grader itself failed on this submission; your instructor has "
                          "the details.", None),
}


def status_words(status: Status) -> str:
    """Why a submission was not graded, as the end of a sentence (every format's words:
    feedback, Gradescope, PrairieLearn)."""
    return _STATUS_WORDS[status][0]


def status_message(status: Status, rules: Assignment) -> str | None:
    """The message stored with a submission that a status stopped part way (the
    hypotheses that finished still count), with the limits it ran into; None for the
    others."""
    return {
        Status.TIMEOUT: f"some of the code took too long (the limits: "
                        f"{rules.hypothesis_timeout:g} seconds per hypothesis, "
                        f"{rules.submission_timeout:g} seconds per submission); the "
                        "hypotheses that finished still count.",
        Status.CRASHED: "some of the code crashed the grading process; the hypotheses that "
                        "finished still count.",
        Status.TAMPERED: "the grader received messages that did not come from the grading "
                         "worker.",
        Status.USED_KERAS: "a formula tried to use Keras/TensorFlow, which earns nothing.",
    }.get(status)


def problem_words(kind: str) -> str:
    """A part of a submission that could not be used, why in a few words (a kind that is
    not known is shown as itself, escaped)."""
    try:
        short = _STATUS_WORDS[Status(kind)][1]
    except ValueError:
        short = None
    return short if short is not None else markdown(kind, NAME)

#: Statuses after which every hypothesis that was loaded is listed per exercise.
_CHECKED = (Status.GRADED, Status.TIMEOUT, Status.CRASHED, Status.USED_KERAS)


def feedback_markdown(assignment: Assignment, result: SubmissionResult) -> str:
    """The whole feedback file for one student."""
    lines = [f"# Feedback for {markdown(result.student, NAME)}: {assignment.name}", "",
             f"**Score: {format_points(result.total)} / {format_points(result.max_total)}**", ""]
    lines += status_lines(result) + problem_lines(result)
    for exercise in assignment.exercises:
        lines += exercise_section(exercise, result)
    full = full_messages(result)
    others = [i for i, h in enumerate(result.hypotheses) if h.exercise is None]
    if others:
        lines += ["## Other hypotheses", ""]
        lines += [line for i in others
                  for line in hypothesis_lines(result.hypotheses[i], full=full[i])]
    lines += _footer(assignment, result)
    return "\n".join(lines).rstrip() + "\n"


def status_lines(result: SubmissionResult) -> list[str]:
    """Why the submission was not graded (none when it was), with its message fenced."""
    if result.status == Status.GRADED:
        return []
    lines = [f"**Problem ({result.status}):** {status_words(result.status)}"]
    if result.message:
        lines += ["", *fenced(result.message.strip())]
    return [*lines, ""]


def problem_lines(result: SubmissionResult, heading: str = "## {}") -> list[str]:
    """The files (notebook cells, declarations) that could not be used, each with its
    reason and line; the rest of the submission was graded as usual.  ``heading``
    formats the title (a ``##`` heading in the feedback file, bold on Gradescope)."""
    if not result.problems or result.status not in _CHECKED:
        return []  # nothing loaded at all: the status and its message say it already
    lines = [heading.format("Parts of your submission that could not be used"), "",
             "Each costs only its own hypotheses; everything else was graded as usual.", ""]
    for problem in result.problems:
        words = problem_words(problem.status)
        lines += [f"- **{markdown(problem.file, FILE)}** ({words}):", "",
                  *fenced(problem.message.strip()), ""]
    return lines


def full_messages(result: SubmissionResult) -> list[bool]:
    """For each hypothesis: is its message shown at full length?  The first
    :data:`FULL_MESSAGES` shown are, the others are cut to :data:`SHORT_MESSAGE`."""
    shown = [bool(h.checked.message) and h.verdict != VerdictKind.REFUTED
             for h in result.hypotheses]
    return [i < FULL_MESSAGES for i in _running_count(shown)]


def _running_count(flags: list[bool]) -> list[int]:
    """How many of the earlier flags are set, for each position."""
    counts, seen = [], 0
    for flag in flags:
        counts.append(seen)
        seen += flag
    return counts


def exercise_section(exercise: Exercise, result: SubmissionResult) -> list[str]:
    """One exercise: its heading with its points, then :func:`exercise_body`."""
    points = result.points(exercise.id)
    return [f"## {exercise.name}: {format_points(points)} / "
            f"{format_points(exercise.max_points)} points", "", *exercise_body(exercise, result)]


def exercise_body(exercise: Exercise, result: SubmissionResult) -> list[str]:
    """One exercise without its heading (Gradescope and PrairieLearn show the points
    themselves): an override, the wrong claims that cost its points, then each of the
    student's hypotheses about it."""
    lines: list[str] = []
    override = result.override(exercise.id)
    if override is not None:
        lines += [f"**Points set by your instructor** (the grader gave "
                  f"{format_points(override.graded)}): {markdown(override.reason, SENTENCE)}",
                  ""]
    mine = [i for i, h in enumerate(result.hypotheses) if h.exercise == exercise.id]
    if not mine and result.status in _CHECKED:
        lines += [f"You have no hypothesis about this layer ({exercise.layer}). Write one with "
                  f"`@hypothesis({exercise.layer})`.", ""]
    costly = _costs(exercise, [result.hypotheses[i] for i in mine])
    for wrong in costly:
        lines += [f"**Wrong claim:** {wrong_claim(markdown_code(wrong.name, NAME))}", ""]
    full = full_messages(result)
    for i in mine:
        lines += hypothesis_lines(result.hypotheses[i], full=full[i], cancelled=bool(costly))
    return lines


def _costs(exercise: Exercise, mine: list[HypothesisResult]) -> list[HypothesisResult]:
    """The wrong claims that cost this exercise its points."""
    if exercise.wrong_claims != "cost":
        return []
    return [h for h in mine if is_wrong_claim(h)]


def hypothesis_lines(h: HypothesisResult, *, full: bool = True,
                     cancelled: bool = False) -> list[str]:
    """One hypothesis: what happened, why it earns what it earns, and the case; ``full``:
    its message at full length (else cut to :data:`SHORT_MESSAGE`); ``cancelled``: a
    wrong claim about the layer costs what it would earn."""
    v = h.checked
    where = f"{markdown_code(v.function, NAME)} in {markdown(v.file, FILE)}, line {v.line}"
    label = "Recorded" if h.credit == Credit.REFUTED and not h.earned else "Points"
    note = _note(h.note)
    if cancelled and h.earned > 0 and h.credit != Credit.REFUTED:
        note += " But a wrong claim about this layer costs these points (see above)."
    lines = [f"### {markdown(v.name, NAME)} ({_mark(h, cancelled)})", "",
             found(v, for_grade=True), "",
             f"**{label}:** {note}", "",
             f"*Where:* {where}. *Scope:* {markdown(v.scope, MESSAGE)}.", ""]
    if v.message and (v.kind != VerdictKind.REFUTED or v.counterexample is None):
        message = markdown(v.message, SENTENCE if full else SHORT_MESSAGE)
        lines += [f"*What went wrong:* {message}", ""]
    if v.counterexample and v.kind == VerdictKind.REFUTED:
        lines += counterexample_lines(h)
    elif v.counterexample:
        lines += ["It failed on this call:", "", "```python", render.call(v), "```", ""]
    return lines


def _mark(h: HypothesisResult, cancelled: bool) -> str:
    """The heading's word: what the hypothesis earns, never a penalty for a refutation
    that is correctly recorded."""
    if h.credit == Credit.REFUTED and not h.earned:
        return "correctly recorded as refuted"
    if h.earned > 0 and not (cancelled and h.credit != Credit.REFUTED):
        return f"earned: {format_points(h.earned)}"
    return "no points"


def _note(note: str) -> str:
    """Why it earns what it earns (it may quote the student's scope), escaped."""
    return markdown(note[:1].upper() + note[1:], SENTENCE)


def counterexample_lines(h: HypothesisResult) -> list[str]:
    """The minimal counterexample as a call to paste and check on paper, Keras's output
    after every step, the hints (where the formula holds, where it first goes wrong)
    and the ``harness probe`` command that shows Keras's answer."""
    v = h.checked
    example = v.counterexample
    if example is None:
        return []
    lines = ["A case you can check by hand (paste it into Python to run your formula):", "",
             "```python", render.call(v), "```", "",
             f"- Keras outputs `{_plain(example.keras_output)}`"]
    got = example.hypothesis_output
    lines += [f"- your formula gives {markdown_code(_plain(got), 20 * MESSAGE)}" if got is not None
              else "- your formula gave no usable answer (see above)", ""]
    lines += render.steps_markdown(v) + render.hints_markdown(v)
    lines += ["See Keras's answer yourself:", "", "```sh", render.probe_command(v), "```", ""]
    return lines


def _plain(value: Any) -> str:
    try:
        return format_array(value)
    except (TypeError, ValueError):
        return cut(value, MESSAGE)


def _footer(assignment: Assignment, result: SubmissionResult) -> list[str]:
    lines = ["---", ""]
    if result.ignored:
        lines.append(f"Only the first {assignment.max_hypotheses} hypotheses were checked; "
                     f"{result.ignored} more were ignored.")
    notes = [f"- {markdown(note, 2 * FILE + MESSAGE)}" for note in result.notes]
    if len(notes) > 2 * FULL_MESSAGES:
        notes = [*notes[:2 * FULL_MESSAGES],
                 f"- ... and {len(notes) - 2 * FULL_MESSAGES} more notes like these."]
    lines += notes
    if assignment.secret is not None:
        lines.append("Every student is checked on the same cases, which the grader keeps "
                     "secret. Run `harness check` on your file (a .py file or a notebook, "
                     "e.g. `harness check explore.ipynb`), or `harness.check(your_function)` "
                     "in a notebook cell, to test your hypotheses on cases of your own: a "
                     "formula that is right holds on both.")
    else:
        lines.append(f"Every student is checked on the same cases (seed {assignment.seed}). "
                     f"Run `harness check` on your file (a .py file or a notebook, e.g. "
                     f"`harness check explore.ipynb`), or `harness.check(your_function)` in a "
                     f"notebook cell, to see the same verdicts.")
    return lines
