"""Gradebook exports: grades.csv reshaped for Canvas's or Moodle's gradebook import.

``harness export canvas|moodle GRADES_DIR --roster FILE -o OUT.csv`` reads the
grades (``GRADES_DIR/grades.csv``, overrides already applied by ``harness grade``)
and the roster (the LMS's own gradebook export), and writes:

* ``OUT.csv``: one row per roster student, in the roster's order, with the LMS's
  identifying columns copied from the roster and one assignment column (``--column``,
  default the assignment's name) holding the student's total.  A student with no
  submission gets ``0`` or an empty cell (``--missing zero|blank``).

  - **Canvas** (its gradebook import reads these names): ``Student``, ``ID``,
    ``SIS User ID``, ``SIS Login ID``, ``Section``, then the assignment column;
    the second row is Canvas's ``Points Possible`` row (the assignment's maximum).
  - **Moodle** ("Import grades from CSV", where you map one identifying column):
    ``First name``, ``Last name``, ``ID number``, ``Email address`` (and the
    ``--match`` column when it is none of these), then the assignment column.

* ``OUT.unmatched.csv``: every submission that matches no roster row (or more than
  one, or a row another submission also matches), with its points and why; written
  every time (only the header when there is none), so an old list never stands
  beside a new export.  Never silently dropped.

A submission id (as ``harness grade`` writes it) matches a roster row by one key
(``--match``), compared case-insensitively: the whole value, else the part before
``@`` (``alice`` matches ``Alice@uni.edu``) when only one row has it.  Every cell of
both files goes through :func:`harness.untrusted.csv_cell`, so no spreadsheet reads
one as a formula.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import UsageError
from harness.output.files import write_atomic
from harness.untrusted import csv_cell

LMS = ("canvas", "moodle")
MATCHES = ("login", "email", "sis", "id")
MISSING = ("blank", "zero")
DEFAULT_MATCH = {"canvas": "login", "moodle": "email"}
#: The columns written before the assignment column, as each LMS names them.
COLUMNS = {"canvas": ("Student", "ID", "SIS User ID", "SIS Login ID", "Section"),
           "moodle": ("First name", "Last name", "ID number", "Email address")}
#: Where each ``--match`` key is read in each LMS's roster (the first column present).
KEY_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "canvas": {"login": ("SIS Login ID",), "sis": ("SIS User ID",), "id": ("ID",),
               "email": ("Email", "Email address", "Email Address")},
    "moodle": {"login": ("Username",), "sis": ("ID number",), "id": ("ID number",),
               "email": ("Email address",)},
}
#: Canvas's export has a ``Points Possible`` row (and rows without a student); skipped.
_NOT_STUDENTS = ("points possible", "")
MAX_ROSTER_BYTES = 64 << 20


@dataclass(frozen=True)
class Grade:
    """One row of grades.csv: the submission id as graded, and its points."""

    student: str
    total: str
    max_total: str
    status: str


@dataclass(frozen=True)
class Unmatched:
    grade: Grade
    reason: str


@dataclass
class Export:
    """What an export wrote: roster rows with a grade, without one, and the unmatched."""

    out: Path
    unmatched_file: Path
    graded: int = 0
    missing: list[str] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    roster: int = 0
    #: Roster rows that more than one submission matches: left blank, whatever --missing.
    conflicting: list[str] = field(default_factory=list)


def export_grades(lms: str, grades_dir: str | Path, roster: str | Path, out: str | Path,
                  *, column: str | None = None, match: str | None = None,
                  missing: str = "blank") -> Export:
    """Write ``out`` (the gradebook import) and ``out``'s ``.unmatched.csv`` beside it."""
    _check_choice("the LMS", lms, LMS)
    match = match or DEFAULT_MATCH[lms]
    _check_choice("--match", match, MATCHES)
    _check_choice("--missing", missing, MISSING)
    grades = read_grades(grades_dir)
    header, rows = read_roster(roster, lms)
    key = _key_column(lms, match, header)
    title = column or _assignment_name(grades_dir)
    out = Path(out)
    result = Export(out, out.with_name(out.stem + ".unmatched.csv"), roster=len(rows))
    given = _match(grades, rows, key, result)
    columns = [*COLUMNS[lms], *([key] if lms == "moodle" and key not in COLUMNS[lms] else [])]
    table = [[*columns, title]]
    if lms == "canvas":
        top = grades[0].max_total if grades else ""
        table.append(["Points Possible", *[""] * (len(columns) - 1), top])
    blank = {n for n, row in enumerate(rows) if row.get(key, "") in result.conflicting}
    for n, row in enumerate(rows):
        points = given.get(n)
        if points is None and n not in blank:
            result.missing.append(row.get(key, ""))
            points = "0" if missing == "zero" else ""
        table.append([*(row.get(c, "") for c in columns), points or ""])
    result.graded = len(given)
    write_atomic(out, _csv(table))
    write_atomic(result.unmatched_file, _csv(
        [["submission", "points", "max_points", "status", "reason"],
         *([u.grade.student, u.grade.total, u.grade.max_total, u.grade.status, u.reason]
           for u in result.unmatched)]))
    return result


def _check_choice(what: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        raise UsageError(f"{what} must be one of {', '.join(choices)}. Received: {value!r}.")


def _csv(table: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([csv_cell(cell) for cell in row] for row in table)
    return buffer.getvalue()


def read_grades(grades_dir: str | Path) -> list[Grade]:
    """grades.csv's rows (the ids as ``harness grade`` gave them: a ``'`` put before a
    formula-like id is taken off again)."""
    path = Path(grades_dir) / "grades.csv"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path} ({exc}). Give the --out folder of "
                         "`harness grade` (it holds grades.csv).") from None
    reader = csv.DictReader(io.StringIO(text))
    needed = {"student", "total", "max_total", "status"}
    if not needed <= set(reader.fieldnames or ()):
        raise UsageError(f"{path} is not a grades.csv written by `harness grade`: it needs "
                         f"the columns {', '.join(sorted(needed))}. Received: "
                         f"{', '.join(reader.fieldnames or ()) or 'no header'}.")
    return [Grade(graded_id(row["student"]), row["total"], row["max_total"], row["status"])
            for row in reader]


def graded_id(cell: str) -> str:
    """An id as grades.csv shows it, as graded: :func:`csv_cell`'s ``'`` taken off."""
    return cell[1:] if cell.startswith("'") and csv_cell(cell[1:]) == cell else cell


def read_roster(roster: str | Path, lms: str) -> tuple[list[str], list[dict[str, str]]]:
    """The roster's header and its student rows (a UTF-8 file, with or without a byte
    order mark; comma, semicolon or tab separated, as the LMS exported it)."""
    path = Path(roster)
    try:
        if path.stat().st_size > MAX_ROSTER_BYTES:
            raise UsageError(f"the roster {path} is larger than {MAX_ROSTER_BYTES} bytes.")
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the roster {path} ({exc}). Give the CSV file the "
                         f"LMS exports (UTF-8).") from None
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [h.strip() for h in reader.fieldnames or ()]
    rows = [{(k or "").strip(): (v if isinstance(v, str) else "").strip()
             for k, v in row.items()} for row in reader]
    if lms == "canvas":
        rows = [r for r in rows if r.get("Student", "").casefold() not in _NOT_STUDENTS]
    return header, rows


def _key_column(lms: str, match: str, header: list[str]) -> str:
    for name in KEY_COLUMNS[lms][match]:
        if name in header:
            return name
    others = [m for m in MATCHES if any(n in header for n in KEY_COLUMNS[lms][m])]
    raise UsageError(f"the roster has no {' or '.join(map(repr, KEY_COLUMNS[lms][match]))} "
                     f"column for --match {match}. Its columns: {', '.join(header) or 'none'}. "
                     f"Use --match {' or '.join(others) or '...'}, or export the roster with "
                     "that column.")


def _match(grades: list[Grade], rows: list[dict[str, str]], key: str,
           result: Export) -> dict[int, str]:
    """Roster row -> points; the submissions that match no single row go to
    ``result.unmatched``."""
    whole: dict[str, list[int]] = {}
    local: dict[str, list[int]] = {}
    for n, row in enumerate(rows):
        value = row.get(key, "").casefold()
        if value:
            whole.setdefault(value, []).append(n)
            local.setdefault(value.split("@", 1)[0], []).append(n)
    chosen: dict[int, list[Grade]] = {}
    for grade in grades:
        wanted = grade.student.casefold()
        found = whole.get(wanted) or local.get(wanted, [])
        if len(found) == 1:
            chosen.setdefault(found[0], []).append(grade)
        else:
            result.unmatched.append(Unmatched(grade, (
                f"no roster row has {key} {grade.student!r}" if not found else
                f"{len(found)} roster rows match {grade.student!r} by {key}")))
    given = {}
    for n, matched in chosen.items():
        if len(matched) == 1:
            given[n] = matched[0].total
            continue
        names = ", ".join(g.student for g in matched)
        result.conflicting.append(rows[n].get(key, ""))
        result.unmatched += [Unmatched(g, f"{len(matched)} submissions ({names}) match the "
                                          f"same roster row ({key} {rows[n].get(key)!r})")
                             for g in matched]
    return given


def _assignment_name(grades_dir: str | Path) -> str:
    """The assignment's name from grades.meta.json (``Harness`` when it is not there)."""
    try:
        name = json.loads((Path(grades_dir) / "grades.meta.json").read_text())["assignment"]
    except (OSError, ValueError, KeyError, TypeError):
        return "Harness"
    return str(name) if name else "Harness"
