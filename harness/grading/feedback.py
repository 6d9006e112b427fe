"""Feedback for one student, in plain words, as Markdown.

Per exercise: what held, and for what did not, the smallest case the harness
found, written so it can be checked by hand (the weights, the inputs, Keras's
output after every step, the formula's answer) plus the ``harness probe``
command that shows Keras's output for that case.
"""

from __future__ import annotations

from typing import Any

from harness import render
from harness.grading.assignment import Assignment, Exercise
from harness.grading.results import HypothesisResult, Status, SubmissionResult, format_points
from harness.numbers import format_array
from harness.verdict import VerdictKind

STATUS_WORDS = {
    Status.SYNTAX_ERROR: "Python could not read the file (a syntax error).",
    Status.IMPORT_ERROR: "the file imports something that is not available while grading.",
    Status.LOAD_ERROR: "the file stopped with an error while it was being loaded.",
    Status.BAD_HYPOTHESIS: "a @hypothesis declaration is not valid.",
    Status.NO_HYPOTHESES: "no hypotheses were found.",
    Status.TIMEOUT: "some code took longer than the time limit.",
    Status.CRASHED: "some code crashed the grading process.",
    Status.TAMPERED: "the grader received messages that did not come from its worker.",
    Status.USED_KERAS: "the code tried to use Keras/TensorFlow, which is not allowed in a "
                       "formula.",
    Status.INVALID_SUBMISSION: "the submission could not be read.",
    Status.GRADER_ERROR: "the grader itself failed on this submission; your instructor has "
                         "the details.",
}

#: Statuses after which every hypothesis that was loaded is listed per exercise.
_CHECKED = (Status.GRADED, Status.TIMEOUT, Status.CRASHED, Status.USED_KERAS)


def feedback_markdown(assignment: Assignment, result: SubmissionResult) -> str:
    """The whole feedback file for one student."""
    lines = [f"# Feedback for {result.student}: {assignment.name}", "",
             f"**Score: {format_points(result.total)} / {format_points(result.max_total)}**", ""]
    lines += _status_lines(result)
    for exercise in assignment.exercises:
        lines += exercise_section(exercise, result)
    others = [h for h in result.hypotheses if h.exercise is None]
    if others:
        lines += ["## Other hypotheses", ""]
        lines += [line for h in others for line in hypothesis_lines(h)]
    lines += _footer(assignment, result)
    return "\n".join(lines).rstrip() + "\n"


def _status_lines(result: SubmissionResult) -> list[str]:
    if result.status == Status.GRADED:
        return []
    lines = [f"**Problem ({result.status}):** {STATUS_WORDS.get(result.status, result.status)}"]
    if result.message:
        lines += ["", "```", result.message.strip(), "```"]
    return [*lines, ""]


def exercise_section(exercise: Exercise, result: SubmissionResult) -> list[str]:
    """One exercise: its points, then each of the student's hypotheses about it."""
    points = result.points(exercise.id)
    lines = [f"## {exercise.name}: {format_points(points)} / "
             f"{format_points(exercise.max_points)} points", ""]
    mine = [h for h in result.hypotheses if h.exercise == exercise.id]
    if not mine and result.status in _CHECKED:
        lines += [f"You have no hypothesis about this layer ({exercise.layer}). Write one with "
                  f"`@hypothesis({exercise.layer})`.", ""]
    for hypothesis in mine:
        lines += hypothesis_lines(hypothesis)
    return lines


def hypothesis_lines(h: HypothesisResult) -> list[str]:
    """One hypothesis: what happened, why it earns what it earns, and the case."""
    v = h.checked
    mark = "earned" if h.earned > 0 else "no points"
    where = f"`{v.function}` in {v.file}, line {v.line}"
    lines = [f"### {v.name} ({mark}: {format_points(h.earned)})", "",
             _what(v.verdict, v.cases, shown=v.counterexample is not None), "",
             f"**Points:** {h.note[:1].upper()}{h.note[1:]}", "",
             f"*Where:* {where}. *Scope:* {v.scope}.", ""]
    if v.message and (v.verdict != VerdictKind.REFUTED or v.counterexample is None):
        lines += [f"*What went wrong:* {v.message}", ""]
    if v.counterexample and v.verdict == VerdictKind.REFUTED:
        lines += counterexample_lines(h)
    elif v.counterexample:
        lines += ["It failed on this call:", "", "```python", render.call(v), "```", ""]
    return lines


def _what(kind: VerdictKind, cases: int, shown: bool = True) -> str:
    if kind == VerdictKind.REFUTED and not shown:  # only the grader's secret cases show it
        return ("It is refuted: on some of the grader's own cases, which stay secret, Keras "
                "gives a different answer. No case can be shown (see below).")
    return {
        VerdictKind.HOLDS: f"It holds: your formula and Keras agree on all {cases} cases "
                           "checked.",
        VerdictKind.REFUTED: "It is refuted: Keras gives a different answer for the case "
                             "below.",
        VerdictKind.ERROR: "It could not be checked: the formula did not give a usable answer.",
        VerdictKind.TIMEOUT: "It could not be checked: it took too long.",
        VerdictKind.CRASHED: "It could not be checked: it crashed the grading process.",
        VerdictKind.NOT_CHECKED: "It was not checked.",
    }[kind]


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
    lines += [f"- your formula gives `{_plain(got)}`" if got is not None
              else "- your formula gave no usable answer (see above)", ""]
    lines += render.steps_markdown(v) + render.hints_markdown(v)
    lines += ["See Keras's answer yourself:", "", "```sh", render.probe_command(v), "```", ""]
    return lines


def _plain(value: Any) -> str:
    try:
        return format_array(value)
    except (TypeError, ValueError):
        return str(value)


def _footer(assignment: Assignment, result: SubmissionResult) -> list[str]:
    lines = ["---", ""]
    if result.ignored:
        lines.append(f"Only the first {assignment.max_hypotheses} hypotheses were checked; "
                     f"{result.ignored} more were ignored.")
    lines += [f"- {note}" for note in result.notes]
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
