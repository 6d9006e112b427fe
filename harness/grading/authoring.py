"""``harness assignment new`` and ``harness assignment check``: write an assignment file,
then check it against the instructor's own reference hypotheses before a student does.

``new`` writes every key of the format (:mod:`harness.grading.assignment`) with its
default and one line saying what it does, and loads the text back with the grader's own
loader (Keras builds each layer once), so a file it writes always loads.

``check`` grades the reference folder exactly as ``harness grade`` grades a submission
(:func:`harness.grading.api.grade_one`: the assignment's settings, secret cases, fresh
cases, the sandbox and the scoring), then asks of the result: does every exercise have a
reference hypothesis that holds for all weights and inputs, is none refuted, and does the
reference earn the maximum?  It also prints what a student will see.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from harness import untrusted
from harness.errors import HarnessError, UsageError
from harness.grading.assignment import Assignment, Exercise, parse_assignment
from harness.grading.results import Credit, HypothesisResult, SubmissionResult, format_points
from harness.parse import parse_layer
from harness.sentences import verdict_words
from harness.verdict import ERROR, HOLDS, REFUTED

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

#: One line per key of ``[assignment]``, in the order the file lists them.
SETTINGS_HELP: dict[str, str] = {
    "name": "the assignment's name (shown in feedback and grades.meta.json)",
    "seed": "cases are drawn from this seed and the grading secret: same cases for all",
    "cases": "cases screened per hypothesis (more cases let fewer wrong formulas through)",
    "hypothesis_timeout": "seconds of formula time per hypothesis",
    "submission_timeout": "seconds for a whole submission",
    "load_timeout": "seconds to import a submission's files (their top-level code)",
    "max_hypotheses": "hypotheses checked per submission (the rest are ignored)",
    "max_scopes": "different (layer, scope) screening sets per submission",
    "max_cases": "cases screened per submission (hypotheses x cases)",
    "grader_seconds": "CPU seconds of the grader's own work per submission",
    "memory_mb": "address-space limit of the worker running student code",
    "fresh_cases": "fresh secret cases per hypothesis that holds on the screening cases",
    "hints": "feedback says where a refuted hypothesis holds (never a formula)",
    "hint_seconds": "most seconds spent looking for one hypothesis's hints",
    "wrong_claims": '"cost": a hypothesis recorded as holding but refuted costs its '
                    'exercise; "ignore"',
}
#: One line per key of an ``[[exercise]]``.
EXERCISE_HELP: dict[str, str] = {
    "id": "column name in grades.csv (a simple name like part_a)",
    "name": "the exercise's name, as students read it",
    "layer": "a course preset (PART_A), SimpleRNN/LSTM/GRU(...) or Layer(\"Conv1D\", ...)",
    "points": "for a hypothesis that holds for all weights and inputs",
    "narrow_points": "for one that holds only in a narrower scope (fixed=, timesteps=, "
                     "where=)",
    "refuted_points": "opt-in: for a plausible one recorded refuted=True that is refuted",
    "wrong_claims": "this exercise's own rule (\"cost\" or \"ignore\")",
}


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add ``harness assignment new`` and ``harness assignment check``."""
    from harness.arguments import whole_number

    new = commands.add_parser(
        "new", help="write a commented assignment file for the layers given",
        description="Write an assignment (TOML) with one exercise per layer, every key "
                    "present with its default and a line saying what it does. The layers "
                    "are built once with Keras, as harness grade does.")
    new.add_argument("layers", nargs="+", metavar="LAYER",
                     help="PART_A / PART_B / PART_C, 'GRU(units=1, ...)' or "
                          "'Layer(\"Conv1D\", filters=1, kernel_size=3, input_shape=(6, 1))'")
    new.add_argument("-o", "--out", metavar="FILE", default=None,
                     help="file to write (default: print it)")
    new.add_argument("--name", metavar="TEXT", default="Assignment",
                     help="the assignment's name (default: Assignment)")
    new.add_argument("--points", metavar="N", type=float, default=1.0,
                     help="points of each exercise (default: 1)")
    new.add_argument("--cases", metavar="N", type=whole_number("--cases", 1), default=None,
                     help="cases screened per hypothesis (default: the grader's)")
    new.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    new.set_defaults(func=run_new)

    check = commands.add_parser(
        "check", help="check an assignment against reference hypotheses",
        description="Grade the reference folder as harness grade grades a submission, and "
                    "check that every exercise has a reference hypothesis that holds and "
                    "that it earns full marks; print what a student will see. Exit 1 when "
                    "a reference is refuted or an exercise has none.")
    check.add_argument("assignment", metavar="ASSIGNMENT", help="the assignment file (TOML)")
    check.add_argument("--reference", metavar="DIR", required=True,
                       help="folder of reference hypotheses (.py or .ipynb files)")
    check.add_argument("--secret-file", metavar="FILE", default=None,
                       help="the grading secret (default: $HARNESS_SECRET, else a random "
                            "one for this check)")
    check.add_argument("--isolation", choices=("sandbox", "none"), default="sandbox",
                       help="sandbox (the default, as harness grade) or none (the reference "
                            "is your own code)")
    check.set_defaults(func=run_check)


# ------------------------------------------------------------------------------ new


def new_assignment(layers: Sequence[str], *, name: str = "Assignment", points: float = 1.0,
                   cases: int | None = None) -> str:
    """The commented TOML text of an assignment with one exercise per layer (validated by
    loading it as the grader does; raises :class:`AssignmentError` or
    :class:`LayerSpecError` when a layer is wrong)."""
    if not layers:
        raise UsageError("give at least one layer, e.g. PART_A or 'GRU(units=1)'.")
    values = _defaults(Assignment)
    values.update(name=name, **({"cases": cases} if cases is not None else {}))
    lines = [f"# {name}: an assignment for `harness grade` (check it with",
             "# `harness assignment check FILE --reference DIR`).", "", "[assignment]"]
    lines += _table(values, SETTINGS_HELP)
    taken: set[str] = set()
    specs = [parse_layer(text.strip()) for text in layers]
    twice = [str(spec) for i, spec in enumerate(specs) if spec in specs[:i]]
    if twice:
        raise UsageError(f"each layer makes one exercise; {twice[0]} is given twice "
                         "(students' hypotheses about it would count for the first only).")
    for text in layers:
        lines += ["", "[[exercise]]"]
        lines += _table(_exercise_values(text, points, values["wrong_claims"], taken),
                        EXERCISE_HELP)
    text = "\n".join(lines) + "\n"
    parse_assignment(text, source="the new assignment")
    return text


def _defaults(kind: type) -> dict[str, Any]:
    return {f.name: f.default for f in fields(kind) if f.name in SETTINGS_HELP}


def _exercise_values(text: str, points: float, rule: str, taken: set[str]) -> dict[str, Any]:
    written = text.strip()
    spec = parse_layer(written)
    preset = written.upper() if re.fullmatch(r"PART_[A-Za-z]", written) else None
    base = preset.lower() if preset else re.sub(r"\W+", "_", spec.kind).lower()
    ident, number = base, 1
    while ident in taken:
        number += 1
        ident = f"{base}_{number}"
    taken.add(ident)
    defaults = {f.name: f.default for f in fields(Exercise)}
    title = preset.replace("_", " ").title() if preset else spec.kind
    return {"id": ident, "name": title if number == 1 else f"{title} ({number})",
            "layer": preset or str(spec), "points": points,
            "narrow_points": defaults["narrow_points"],
            "refuted_points": defaults["refuted_points"], "wrong_claims": rule}


def _table(values: dict[str, Any], help_text: dict[str, str]) -> list[str]:
    return [line for key, comment in help_text.items()
            for line in (f"# {comment}", f"{key} = {_toml(values[key])}")]


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return format_points(float(value))
    text = str(value)
    if "'" not in text and text.isprintable():
        return f"'{text}'"  # a literal string: a layer's quotes stay as written
    return json.dumps(text)


def run_new(args: argparse.Namespace) -> int:
    try:
        text = new_assignment(args.layers, name=args.name, points=args.points,
                              cases=args.cases)
        if args.out is None:
            sys.stdout.write(text)
            return EXIT_OK
        out = Path(args.out)
        if out.exists() and not args.force:
            raise UsageError(f"{out} already exists; give --force to overwrite it, or "
                             "another file name.")
        from harness.output.files import write_atomic

        write_atomic(out, text)
    except (HarnessError, OSError) as exc:
        _say(f"harness assignment new: {exc}", error=True)
        return EXIT_USAGE
    _say(f"wrote {out}: {len(args.layers)} exercise(s); next: harness assignment check "
          f"{out} --reference DIR")
    return EXIT_OK


# ---------------------------------------------------------------------------- check


@dataclass(frozen=True)
class ReferenceCheck:
    """The reference graded as a submission, and what is wrong with it (nothing: the
    assignment is ready)."""

    assignment: Assignment
    result: SubmissionResult
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_reference(assignment: str | Path, reference: str | Path, *,
                    secret: str | Path | None = None,
                    isolate: bool = True) -> ReferenceCheck:
    """Grade ``reference`` as ``harness grade`` grades one submission and say what keeps
    it from showing the assignment is ready."""
    from harness.grading.api import grade_one

    if not Path(reference).is_dir():
        raise UsageError(f"--reference must be a folder of hypothesis files. Received: "
                         f"{reference}.")
    result, rules = grade_one(reference, assignment=assignment, secret=secret,
                              isolate=isolate, student="reference")
    return ReferenceCheck(rules, result, tuple(_problems(rules, result)))


def _problems(rules: Assignment, result: SubmissionResult) -> list[str]:
    problems = [f"{p.file}: {p.message}" for p in result.problems]
    if result.message:
        problems.append(f"the reference could not be graded in full ({result.status}): "
                        f"{result.message}")
    for hypothesis in result.hypotheses:
        verdict = hypothesis.checked
        if hypothesis.exercise is not None and verdict.kind != verdict.expected:
            problems.append(
                f"reference {untrusted.cut(verdict.name, untrusted.NAME)} ({verdict.file}, "
                f"line {verdict.line}) {verdict_words(verdict.kind)}"
                f"{', but it is recorded refuted=True' if verdict.kind == HOLDS else ''}:\n"
                + _detail(hypothesis))
    for exercise in rules.exercises:
        mine = [h for h in result.hypotheses if h.exercise == exercise.id]
        if not mine:
            problems.append(f"exercise {exercise.id} has no reference hypothesis: add one "
                            f"about {exercise.layer} to the reference folder.")
        elif not any(h.credit == Credit.GENERAL for h in mine):
            problems.append(f"exercise {exercise.id}: no reference hypothesis holds for "
                            f"{exercise.everything}.")
    if not problems and result.total != result.max_total:
        problems.append(f"the reference earns {format_points(result.total)} of "
                        f"{format_points(result.max_total)} points: "
                        + "; ".join(f"{e.id}: {e.note}" for e in result.exercises))
    return problems


def _detail(hypothesis: HypothesisResult) -> str:
    """Why a reference failed: the counterexample (or the error), indented."""
    from harness.output.render import failure_text

    verdict = hypothesis.checked
    text = failure_text(verdict) if verdict.kind in (REFUTED, ERROR) else (
        verdict.message or hypothesis.note)
    return "\n".join("    " + line for line in untrusted.cut_block(text).splitlines())


def student_view(rules: Assignment) -> list[str]:
    """What a student sees of the assignment: exercises, layers as they must be
    written, points and the rules."""
    lines = [f"What students see: {rules.name!r}, {len(rules.exercises)} exercise(s), "
             f"{format_points(rules.max_total)} points in all."]
    for exercise in rules.exercises:
        spec = exercise.spec
        given = [name for name in spec.bindable if name != "weights"]
        lines += [f"  {exercise.name} ({exercise.id}): {format_points(exercise.max_points)} "
                  "point(s)",
                  f"      from harness import {_constructor(exercise)}, hypothesis",
                  f"      @hypothesis({exercise.layer})",
                  f"      def my_formula({', '.join(given)}): ...",
                  f"    {format_points(exercise.points)} for a hypothesis that holds for "
                  f"{exercise.everything}"]
        if exercise.narrow_points:
            lines.append(f"    {format_points(exercise.narrow_points)} instead for one that "
                         "holds only in a narrower scope (fixed=, timesteps=, where=)")
        if exercise.refuted_points:
            lines.append(f"    + {format_points(exercise.refuted_points)} for a real attempt "
                         "recorded refuted=True that is refuted")
        lines.append("    a wrong claim (recorded as holding, but refuted) costs this "
                     "exercise's points" if exercise.wrong_claims == "cost" else
                     "    a wrong claim (recorded as holding, but refuted) costs nothing")
    lines += ["  Rules: each hypothesis is checked on the grader's own secret cases "
              f"({rules.cases}, then {rules.fresh_cases} fresh ones when it holds); at most "
              f"{rules.max_hypotheses} hypotheses, {format_points(rules.hypothesis_timeout)} "
              f"s each, {format_points(rules.submission_timeout)} s per submission; a "
              "formula may not use Keras or TensorFlow."]
    return lines


def _constructor(exercise: Exercise) -> str:
    """What a student imports to write the exercise's layer: the preset, the recurrent
    layer's constructor, or ``Layer``."""
    return re.split(r"\W", exercise.layer, maxsplit=1)[0]


def run_check(args: argparse.Namespace) -> int:
    try:
        checked = check_reference(args.assignment, args.reference, secret=args.secret_file,
                                  isolate=args.isolation != "none")
    except HarnessError as exc:
        _say(f"harness assignment check: {exc}", error=True)
        return EXIT_USAGE
    for line in student_view(checked.assignment):
        _say(line)
    result = checked.result
    _say(f"A full-marks student (the reference): {format_points(result.total)} / "
          f"{format_points(result.max_total)} points "
          f"({', '.join(f'{e.id} {format_points(e.points)}' for e in result.exercises)}).")
    for hypothesis in result.hypotheses:
        if hypothesis.exercise is None:
            verdict = hypothesis.checked
            _say(f"ignored: {untrusted.cut(verdict.name, untrusted.NAME)} ({verdict.file}, "
                 f"line {verdict.line}) is about {verdict.layer}, the layer of no exercise")
    if checked.ok:
        _say("harness assignment check: ready: every exercise has a reference that holds "
              "on the grader's cases, and it earns full marks.")
        return EXIT_OK
    _say("harness assignment check: NOT ready:", error=True)
    for problem in checked.problems:
        _say(f"  - {problem}", error=True)
    return EXIT_FAILED



def _say(text: str, error: bool = False) -> None:
    """The one place these commands write (flushed, for CI logs)."""
    stream = sys.stderr if error else sys.stdout
    stream.write(text + "\n")
    stream.flush()
