"""Overrides: points a person sets by hand, kept in ``overrides.toml`` beside the grades.

The file is an input the grader reads on every run (``harness grade``), never one it
writes, so an override survives every regrade and resume; ``harness override``
appends one entry.  Each entry is a ``[[override]]`` table::

    [[override]]
    student = "alice"            # the id as in grades.csv
    exercise = "part_b"          # the exercise's id in the assignment
    points = 2                   # 0 to the exercise's maximum
    reason = "Regrade request: the scope was right."   # shown to the student
    who = "TA Sam"               # optional
    when = 2026-12-04T08:50:00Z  # optional (a TOML date-time or a string)

For one student and exercise the last entry wins.  The stored results are never
changed: :func:`apply_overrides` gives new result objects whose exercise points
are the overridden ones and which carry the :class:`~harness.grading.results.Override`
records, so grades.csv, feedback, results.json, the summary and the exports all
show them.

A malformed file never stops grading: every problem is a sentence naming the
line (the TOML error, or what an entry lacks), the entries that can be read are
used, and the rest are left out.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import math
import re
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import UsageError
from harness.grading.assignment import Assignment
from harness.grading.export import graded_id
from harness.grading.results import Override, SubmissionResult, format_points
from harness.output.files import write_atomic

FILE_NAME = "overrides.toml"
#: A bigger file is refused (it is typed by people; this bounds what is read).
MAX_BYTES = 1 << 20
#: The longest reason and name ``harness override`` accepts.
MAX_REASON = 500
MAX_WHO = 80
_HEADER = re.compile(r"^\s*\[\[\s*override\s*\]\]\s*(#.*)?$")
_KEYS = ("student", "exercise", "points", "reason", "who", "when")


@dataclass(frozen=True)
class Entry:
    """One entry of overrides.toml as read (``line``: where its ``[[override]]`` is)."""

    student: str
    exercise: str
    points: float
    reason: str
    who: str = ""
    when: str = ""
    line: int = 0


@dataclass
class Overrides:
    """What overrides.toml holds: the usable entries and a sentence per problem."""

    entries: list[Entry] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)


def overrides_path(out: str | Path) -> Path:
    return Path(out) / FILE_NAME


def read_overrides(out: str | Path) -> Overrides:
    """Read ``out/overrides.toml`` (none: no entries).  Never raises for its content."""
    path = overrides_path(out)
    found = Overrides()
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return found
    except OSError as exc:
        found.problems.append(f"{FILE_NAME} could not be read ({exc.strerror}); "
                              "no overrides were applied.")
        return found
    if len(raw) > MAX_BYTES:
        found.problems.append(f"{FILE_NAME} is larger than {MAX_BYTES} bytes; no overrides "
                              "were applied.")
        return found
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        found.problems.append(f"{FILE_NAME}, line {line}: the file is not UTF-8 text; no "
                              "overrides were applied. Save it as UTF-8.")
        return found
    for line, table in _tables(text, found.problems):
        entry = _entry(table, line, found.problems)
        if entry is not None:
            found.entries.append(entry)
    return found


def _tables(text: str, problems: list[str]) -> Iterator[tuple[int, Any]]:
    """Each ``[[override]]`` table with its line.  The whole file is parsed first; when
    it is not valid TOML, each entry is parsed on its own, so one broken entry leaves
    the others usable."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if _HEADER.match(line)]
    try:
        data = _parse(text)
    except ValueError as exc:
        problems.append(f"{FILE_NAME}: {exc}; the entries that can be read on their own "
                        "are used, the rest left out.")
        yield from _blocks(lines, starts, problems)
        return
    extra = sorted(k for k in data if k != "override")
    if extra:
        problems.append(f"{FILE_NAME}: {', '.join(map(repr, extra))} ignored: each override "
                        "is a [[override]] table.")
    tables = data.get("override", [])
    if not isinstance(tables, list):
        problems.append(f"{FILE_NAME}: 'override' must be a list of [[override]] tables; "
                        f"received {type(tables).__name__}.")
        return
    numbers = [s + 1 for s in starts] if len(starts) == len(tables) else [0] * len(tables)
    yield from zip(numbers, tables, strict=True)


def _blocks(lines: list[str], starts: list[int],
            problems: list[str]) -> Iterator[tuple[int, Any]]:
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        try:
            data = _parse("".join(lines[start:end]))
        except ValueError as exc:
            where = _shift_lines(str(exc), start)
            problems.append(f"{FILE_NAME}, the entry at line {start + 1}: {where}; "
                            "it is left out.")
            continue
        for table in data.get("override", []):
            yield start + 1, table


def _parse(text: str) -> dict[str, Any]:
    """``tomllib.loads``; raises ``ValueError`` (``TOMLDecodeError`` is one) for text it
    cannot read, nesting too deep for its recursive parser included."""
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise ValueError("arrays or tables nested too deeply") from None


def _shift_lines(message: str, offset: int) -> str:
    """A TOML error about one entry, its ``line N`` counted in the whole file."""
    return re.sub(r"line (\d+)", lambda m: f"line {int(m[1]) + offset}", message)


def _entry(table: Any, line: int, problems: list[str]) -> Entry | None:
    where = f"{FILE_NAME}, the entry at line {line}" if line else f"{FILE_NAME}, an entry"
    if not isinstance(table, dict):
        problems.append(f"{where}: not a table; it is left out.")
        return None
    wrong = _missing_or_wrong(table)
    if wrong:
        problems.append(f"{where}: {wrong}; it is left out. An entry needs student = \"...\", "
                        "exercise = \"...\", points = a number and reason = \"...\".")
        return None
    unknown = sorted(str(k) for k in table if k not in _KEYS)
    if unknown:
        problems.append(f"{where}: {', '.join(map(repr, unknown))} ignored (the keys are "
                        f"{', '.join(_KEYS)}).")
    when = table.get("when", "")
    return Entry(table["student"], table["exercise"], float(table["points"]),
                 table["reason"], str(table.get("who", "")),
                 when.isoformat() if isinstance(when, dt.date | dt.time) else str(when), line)


def _missing_or_wrong(table: dict[str, Any]) -> str:
    for key in ("student", "exercise", "reason"):
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            return f"{key} is {'missing' if value is None else f'{value!r}, not a text'}"
    points = table.get("points")
    if isinstance(points, bool) or not isinstance(points, int | float) or not math.isfinite(
            points):
        return f"points is {'missing' if points is None else f'{points!r}, not a number'}"
    if not isinstance(table.get("who", ""), str):
        return f"who is {table['who']!r}, not a text"
    return ""


def apply_overrides(assignment: Assignment, results: Sequence[SubmissionResult],
                    entries: Sequence[Entry]) -> tuple[list[SubmissionResult], list[str]]:
    """The results with the overrides applied (last entry wins per student and
    exercise), and a warning for each entry that names an unknown student or exercise
    or points out of range (those entries are left out)."""
    exercises = {e.id: e for e in assignment.exercises}
    students = {r.student for r in results}
    chosen: dict[tuple[str, str], Entry] = {}
    warnings: list[str] = []
    for entry in entries:
        if entry.student not in students:  # written as grades.csv shows it: '-2-3
            entry = dataclasses.replace(entry, student=graded_id(entry.student))
        problem = _unusable(entry, exercises, students)
        if problem:
            where = f"the entry at line {entry.line}" if entry.line else "an entry"
            warnings.append(f"{FILE_NAME}, {where}: {problem}; it is left out.")
        else:
            chosen[entry.student, entry.exercise] = entry
    return [_applied(r, chosen) for r in results], warnings


def _unusable(entry: Entry, exercises: dict[str, Any], students: set[str]) -> str:
    if entry.exercise not in exercises:
        return (f"no exercise {entry.exercise!r} in this assignment (its exercises: "
                f"{', '.join(exercises)})")
    if entry.student not in students:
        return (f"no submission {entry.student!r} in this run (use the student's id as in "
                "grades.csv)")
    top = exercises[entry.exercise].max_points
    if not 0 <= entry.points <= top:
        return (f"points {format_points(entry.points)} is outside 0 to "
                f"{format_points(top)}, the exercise's maximum")
    return ""


def _applied(result: SubmissionResult, chosen: dict[tuple[str, str], Entry]) -> SubmissionResult:
    mine = {e.id: chosen[result.student, e.id] for e in result.exercises
            if (result.student, e.id) in chosen}
    if not mine:
        return result
    overrides = tuple(Override(e.id, mine[e.id].points, e.points, mine[e.id].reason,
                               mine[e.id].who, mine[e.id].when)
                      for e in result.exercises if e.id in mine)
    exercises = tuple(dataclasses.replace(e, points=mine[e.id].points) if e.id in mine else e
                      for e in result.exercises)
    return dataclasses.replace(result, exercises=exercises, overrides=overrides)


# --- writing one entry (``harness override``) ---------------------------------------

def append_override(out: str | Path, assignment: Assignment, student: str, exercise: str,
                    points: float, reason: str, who: str = "",
                    when: dt.datetime | None = None) -> Entry:
    """Append one entry to ``out/overrides.toml`` (atomically; the earlier entries are
    kept byte for byte).  Refuses an unknown exercise and points outside 0 to the
    exercise's maximum."""
    _check_new(assignment, student, exercise, points, reason, who)
    stamp = (when or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    block = "".join(["\n[[override]]\n", f"student = {toml_string(student)}\n",
                     f"exercise = {toml_string(exercise)}\n",
                     f"points = {format_points(points)}\n",
                     f"reason = {toml_string(reason)}\n", f"who = {toml_string(who)}\n",
                     f"when = {stamp.strftime('%Y-%m-%dT%H:%M:%SZ')}\n"])
    table = tomllib.loads(block)["override"][0]  # what is written reads back as given
    assert (table["student"], table["reason"], table["who"]) == (student, reason, who)
    path = overrides_path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path):
        old = path.read_bytes() if path.exists() else b"# Overrides: see `harness override`.\n"
        write_atomic(path, old + (b"" if old.endswith(b"\n") else b"\n") + block.encode())
    line = (old.count(b"\n") + (0 if old.endswith(b"\n") else 1)) + 2
    return Entry(student, exercise, float(points), reason, who,
                 stamp.isoformat(), line)


def _check_new(assignment: Assignment, student: str, exercise: str, points: float,
               reason: str, who: str) -> None:
    ids = {e.id: e for e in assignment.exercises}
    if exercise not in ids:
        raise UsageError(f"no exercise {exercise!r} in assignment {assignment.name!r}; its "
                         f"exercises are {', '.join(ids)}. Give one of them (and "
                         "--assignment FILE if the class was graded with another).")
    top = ids[exercise].max_points
    if not (math.isfinite(points) and 0 <= points <= top):
        shown = format_points(points) if math.isfinite(points) else points
        raise UsageError(f"points must be from 0 to {format_points(top)} (the maximum of "
                         f"{exercise!r}). Received: {shown}.")
    for name, value, limit in (("STUDENT", student, 200), ("--reason", reason, MAX_REASON),
                               ("--by", who, MAX_WHO)):
        if len(value) > limit or (name != "--by" and not value.strip()):
            raise UsageError(f"{name} must be a text of 1 to {limit} characters. "
                             f"Received {len(value)} characters.")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise UsageError(f"{name} is not valid text (it holds bytes that are not "
                             f"UTF-8). Received: {value!r}.") from None


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string: quotes, backslashes and every control character
    escaped, so any text reads back as itself."""
    out = []
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif char in _SHORT:
            out.append(_SHORT[char])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


_SHORT = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Two ``harness override`` at once append both (an advisory lock beside the file)."""
    import fcntl

    with open(path.with_name(f".{path.name}.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- the summary's section ----------------------------------------------------------

def overrides_markdown(results: Sequence[SubmissionResult], warnings: Sequence[str]) -> list[str]:
    """summary.md's section: every override applied, and every problem with the file."""
    from harness.untrusted import NAME, SENTENCE, markdown

    applied = [(r.student, o) for r in results for o in r.overrides]
    if not (applied or warnings):
        return []
    lines = ["", "## Overrides", "", f"From {FILE_NAME}: {len(applied)} applied, "
             f"{len(warnings)} problem(s).", ""]
    if applied:
        lines += ["| student | exercise | grader gave | now | reason | who | when |",
                  "|---|---|---|---|---|---|---|"]
        lines += [f"| {markdown(s, NAME)} | {markdown(o.exercise, NAME)} | "
                  f"{format_points(o.graded)} | {format_points(o.points)} | "
                  f"{markdown(o.reason, SENTENCE)} | {markdown(o.who, NAME)} | "
                  f"{markdown(o.when, NAME)} |" for s, o in applied]
    return [*lines, "", *(f"* {markdown(w, 2 * SENTENCE)}" for w in warnings)]


def overrides_html(results: Sequence[SubmissionResult], warnings: Sequence[str]) -> list[str]:
    """summary.html's section (the same facts as :func:`overrides_markdown`)."""
    from harness.untrusted import NAME, SENTENCE, html_text

    applied = [(r.student, o) for r in results for o in r.overrides]
    if not (applied or warnings):
        return []
    cells = ("student", "exercise", "grader gave", "now", "reason", "who", "when")
    rows = ["<tr>" + "".join(f"<td>{html_text(v, SENTENCE if i == 4 else NAME)}</td>"
                             for i, v in enumerate((s, o.exercise, format_points(o.graded),
                                                    format_points(o.points), o.reason,
                                                    o.who, o.when))) + "</tr>"
            for s, o in applied]
    parts = ['<div class="card"><h2>Overrides</h2>',
             f"<p>From {FILE_NAME}: {len(applied)} applied, {len(warnings)} problem(s).</p>"]
    if rows:
        parts.append("<table><tr>" + "".join(f"<th>{c}</th>" for c in cells) + "</tr>"
                     + "".join(rows) + "</table>")
    if warnings:
        parts.append("<ul>" + "".join(f"<li>{html_text(w, 2 * SENTENCE)}</li>"
                                      for w in warnings) + "</ul>")
    return [*parts, "</div>"]
