"""Reports: verdicts -> one pandas DataFrame -> Markdown, CSV, HTML and JSON files.

Every file is rebuilt from the verdicts and written atomically (temp file in
the same folder, then ``os.replace``), so a reader never sees a torn report.
pandas is imported only here, and only when a report is built.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.collect import LoadFailure
from harness.explain import call_text, explain
from harness.numbers import format_array
from harness.verdict import ERROR, HOLDS, REFUTED, Verdict

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ["file", "name", "layer", "scope", "verdict", "recorded", "cases",
           "counterexample", "keras_output", "hypothesis_output", "seconds", "message"]

FILES = ("report.md", "report.csv", "report.html", "report.json")


def records(verdicts: Sequence[Verdict],
            failures: Sequence[LoadFailure] = ()) -> list[dict[str, Any]]:
    """One JSON-ready record per hypothesis (and per file that failed to import)."""
    rows = [_record(v) for v in verdicts]
    rows += [_failure_record(f) for f in failures]
    return rows


def _record(v: Verdict) -> dict[str, Any]:
    ce = v.counterexample
    return {
        "file": display_path(v.file), "name": v.name, "function": v.function,
        "layer": str(v.layer), "scope": v.scope, "verdict": str(v.verdict),
        "recorded": v.recorded, "expected": str(v.expected), "as_expected": v.as_expected,
        "cases": v.cases,
        "counterexample": ce.case if ce else None,
        "keras_output": ce.keras_output if ce else None,
        "hypothesis_output": ce.hypothesis_output if ce else None,
        "seconds": v.seconds, "seed": v.seed, "message": v.message,
    }


def _failure_record(f: LoadFailure) -> dict[str, Any]:
    return {
        "file": display_path(f.file), "name": "(file could not be imported)", "function": None,
        "layer": None, "scope": None, "verdict": str(ERROR), "recorded": False,
        "expected": str(HOLDS),
        "as_expected": False, "cases": 0, "counterexample": None, "keras_output": None,
        "hypothesis_output": None, "seconds": 0.0, "seed": None, "message": f.message,
    }


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The report as a DataFrame, one row per hypothesis, nested values as text."""
    import pandas as pd

    table = pd.DataFrame(rows, columns=[*COLUMNS, "expected", "as_expected"])
    for column in ("keras_output", "hypothesis_output"):
        table[column] = table[column].map(lambda v: "" if v is None else format_array(v))
    table["counterexample"] = table["counterexample"].map(_case_text)
    table["message"] = table["message"].fillna("")
    return table


def _case_text(case: dict[str, Any] | None) -> str:
    if case is None:
        return ""
    return ", ".join(f"{k}={format_array(v)}" for k, v in case.items())


def summaries(verdicts: Sequence[Verdict], failures: Sequence[LoadFailure] = ()) -> list[str]:
    """One sentence per file: ``part_a.py: Hypothesis #1 is refuted; Hypothesis #2 holds.``"""
    by_file: dict[str, list[str]] = {}
    for v in verdicts:
        by_file.setdefault(display_path(v.file), []).append(sentence(v))
    for f in failures:
        by_file.setdefault(display_path(f.file), []).append("the file could not be imported")
    return [f"{file}: {'; '.join(parts)}." for file, parts in by_file.items()]


def sentence(v: Verdict) -> str:
    """``Hypothesis #1 is refuted (as recorded)``."""
    if v.verdict == ERROR:
        return v.sentence
    if v.as_expected:
        return v.sentence + (" (as recorded)" if v.recorded else "")
    if v.verdict == HOLDS:
        return v.sentence + " (but it was recorded as refuted)"
    return v.sentence


def write_reports(directory: str | Path, verdicts: Sequence[Verdict],
                  failures: Sequence[LoadFailure] = (), *, seed: int | None = None) -> list[Path]:
    """Write report.md/.csv/.html/.json into ``directory``; return their paths."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    rows = records(verdicts, failures)
    table = frame(rows)
    lines = summaries(verdicts, failures)
    contents = {
        "report.md": markdown(table, lines, verdicts, seed),
        "report.csv": table[COLUMNS].to_csv(index=False),
        "report.html": html_page(table, lines, seed),
        "report.json": json.dumps(rows, indent=2, allow_nan=False) + "\n",
    }
    for name, text in contents.items():
        atomic_write(out / name, text)
    return [out / name for name in FILES]


def markdown(table: pd.DataFrame, lines: list[str], verdicts: Sequence[Verdict],
             seed: int | None) -> str:
    shown = table[["file", "name", "layer", "scope", "verdict", "recorded", "cases",
                   "counterexample", "keras_output", "hypothesis_output", "seconds"]]
    parts = ["# Hypothesis report", ""]
    if seed is not None:
        parts += [f"Seed: {seed} (run again with the same seed for the same cases).", ""]
    parts += [f"- {line}" for line in lines] + ["", shown.to_markdown(index=False), ""]
    details = [v for v in verdicts if v.verdict != HOLDS or not v.as_expected]
    for v in details:
        parts += [f"## {v.name} ({display_path(v.file)})", "", "```", explain(v), "```", ""]
    return "\n".join(parts)


def html_page(table: pd.DataFrame, lines: list[str], seed: int | None) -> str:
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    seed_text = f"<p>Seed: {seed}</p>" if seed is not None else ""
    body = table[COLUMNS].to_html(index=False, escape=True, border=0, classes="report")
    return ("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Hypothesis report"
            "</title><style>body{font-family:sans-serif}table.report{border-collapse:collapse}"
            "table.report td,table.report th{border:1px solid #ccc;padding:4px}</style>"
            f"</head><body><h1>Hypothesis report</h1>{seed_text}<ul>{items}</ul>{body}"
            "</body></html>\n")


def terminal_lines(verdicts: Sequence[Verdict], failures: Sequence[LoadFailure] = ()) -> list[str]:
    """A compact table for the terminal (no pandas needed)."""
    rows = [(v.name, v.verdict + ("" if v.as_expected else " (!)"),
             str(v.expected), str(v.cases), _short_case(v))
            for v in verdicts]
    rows += [(display_path(f.file), ERROR + " (!)", "-", "0", "could not be imported")
             for f in failures]
    header = ("hypothesis", "verdict", "recorded", "cases", "minimal counterexample")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    return ["  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)) + "  " + r[4]
            for r in [header, *rows]]


def _short_case(v: Verdict) -> str:
    if v.verdict == REFUTED and v.counterexample is not None:
        return call_text(v).split("(", 1)[1].rstrip(")")
    if v.verdict == ERROR:
        return (v.message or "")[:70]
    return ""


def display_path(path: str) -> str:
    """A path relative to the current folder when it is inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so readers see the old file or the new one, never half."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
