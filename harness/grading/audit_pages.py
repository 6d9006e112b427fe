"""The audit's outputs: audit.json (one record per mutant), audit.md and audit.html.

Each sentence is written once (:func:`verdict_words`, :func:`reading`) and rendered
for both formats; every source and name goes through :mod:`harness.untrusted`'s
bounds and escapers (a reference folder is the instructor's, but a file name or
a formula can still hold anything).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness import untrusted
from harness.grading.audit_results import (
    KILLED_SCREENING,
    KILLED_SEARCH,
    NOT_CHECKED,
    SURVIVED,
    AuditRun,
    ExerciseAudit,
    MutantResult,
)
from harness.output.files import write_atomic, write_json

#: The statuses' colours in audit.html (background): caught, let through, equivalent.
COLOURS = {KILLED_SCREENING: "#d9f2d9", KILLED_SEARCH: "#e8f5c8", SURVIVED: "#f8d0d0",
           "equivalent": "#e6e6e6", NOT_CHECKED: "#fff1c2"}
READING = ("A survivor that is not equivalent is a wrong formula the grading would give "
           "full marks: raise the assignment's `cases`, or add a scope that reaches where "
           "it differs. A probably equivalent survivor held on ten times as many cases: it "
           "is likely the reference written another way. The kill rate counts the wrong mutants "
           "only (the probably equivalent ones are left out).")
COLUMNS = ("exercise", "mutants", "killed by screening", "killed only by search",
           "survived", "probably equivalent", "kill rate")


def write_audit(out: Path, run: AuditRun) -> list[Path]:
    """Write audit.json, audit.md and audit.html into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    return [write_json(out / "audit.json", audit_json(run)),
            write_atomic(out / "audit.md", audit_markdown(run)),
            write_atomic(out / "audit.html", audit_html(run))]


def audit_json(run: AuditRun) -> dict[str, Any]:
    return {"assignment": run.assignment.name, "cases": run.assignment.cases,
            "seconds": run.seconds, "workers": run.workers,
            "exercises": [_summary(e) for e in run.exercises],
            "references": [r.record() for e in run.exercises for r in e.references],
            "mutants": [m.record() for m in run.mutants]}


def _summary(audit: ExerciseAudit) -> dict[str, Any]:
    return dict(zip(("exercise", *(c.replace(" ", "_") for c in COLUMNS[1:])), _row(audit),
                    strict=True)) | {"kill_rate": audit.kill_rate}


def _row(audit: ExerciseAudit) -> list[Any]:
    rate = "—" if audit.kill_rate is None else f"{audit.kill_rate:.0%}"
    return [audit.exercise.id, len(audit.mutants), audit.count(KILLED_SCREENING),
            audit.count(KILLED_SEARCH), audit.count(SURVIVED), audit.equivalent, rate]


def verdict_words(mutant: MutantResult) -> str:
    """What happened to a mutant, in words."""
    if mutant.status == SURVIVED:
        return ("survived, probably equivalent (holds on 10x the cases)" if mutant.equivalent
                else "survived, NOT equivalent: full marks for a wrong formula")
    if mutant.status == NOT_CHECKED:
        return f"not checked: {mutant.detail}"
    where = "the screening cases" if mutant.status == KILLED_SCREENING else "the search"
    return f"killed by {where} ({mutant.verdict})"


def reference_words(reference: MutantResult) -> str:
    if reference.verdict == "holds":
        return f"reference {reference.function} holds"
    return (f"reference {reference.function} does NOT hold ({reference.verdict}): its "
            "mutants say nothing until it does")


def _label(mutant: MutantResult) -> str:
    return "equivalent" if mutant.status == SURVIVED and mutant.equivalent else mutant.status


# ---------------------------------------------------------------- Markdown

def audit_markdown(run: AuditRun) -> str:
    md = untrusted.markdown
    lines = [f"# Audit: {md(run.assignment.name)}", "",
             f"{len(run.mutants)} mutants, {run.assignment.cases} cases per hypothesis, "
             f"{run.seconds:g} s on {run.workers} processes.", "", READING, "",
             "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(md(c) for c in _row(e)) + " |" for e in run.exercises]
    for audit in run.exercises:
        lines += ["", f"## {md(audit.exercise.id)}: {md(audit.exercise.name)}", ""]
        lines += [f"- {md(reference_words(r))}" for r in audit.references] or [
            "- no reference formula for this exercise: nothing was audited"]
        survivors = [m for m in audit.mutants if m.status == SURVIVED]
        if survivors:
            lines += ["", "### Survivors", ""]
        for mutant in survivors:
            lines += [f"**{md(mutant.operator)}**: {md(verdict_words(mutant))}", "",
                      *untrusted.fenced(mutant.source, "python"), ""]
        if not audit.mutants:
            continue
        lines += ["", "### Every mutant", "", "| operator | status | source |",
                  "|---|---|---|"]
        lines += [f"| {md(m.operator)} | {md(verdict_words(m))} | "
                  f"{md(_one_line(m.source), untrusted.SENTENCE)} |" for m in audit.mutants]
    return "\n".join(lines) + "\n"


def _one_line(source: str) -> str:
    return " / ".join(line.strip() for line in source.splitlines()[1:] if line.strip())


# ---------------------------------------------------------------- HTML

STYLE = ("td.status{white-space:nowrap} pre{margin:0;font-size:.85em} "
         "td,th{padding:.3em .6em;border-bottom:1px solid #ddd;vertical-align:top;"
         "text-align:left} table{border-collapse:collapse;margin:.5em 0}")


def audit_html(run: AuditRun) -> str:
    from harness.output.report import page

    text = untrusted.html_text
    parts = [f"<style>{STYLE}</style>",
             f"<h1>Audit: {text(run.assignment.name)}</h1>",
             f'<p class="meta">{len(run.mutants)} mutants, {run.assignment.cases} cases per '
             f"hypothesis, {run.seconds:g} s on {run.workers} processes.</p>",
             f"<p>{text(READING.replace('`', ''), untrusted.SENTENCE)}</p>",
             _table(COLUMNS, [[text(c) for c in _row(e)] for e in run.exercises], "totals")]
    for audit in run.exercises:
        parts.append(_exercise_html(audit))
    return page(f"Audit: {run.assignment.name}", "\n".join(parts))


def _exercise_html(audit: ExerciseAudit) -> str:
    text = untrusted.html_text
    refs = "".join(f"<li>{text(reference_words(r))}</li>" for r in audit.references) or (
        "<li>no reference formula for this exercise: nothing was audited</li>")
    rows = [[text(m.operator),
             f'<td class="status" style="background:{COLOURS[_label(m)]}">'
             f"{text(verdict_words(m))}</td>",
             f"<pre>{untrusted.html_block(m.source)}</pre>"]
            for m in sorted(audit.mutants, key=_first_shown)]
    return (f'<section class="exercise" id="{text(audit.exercise.id)}">'
            f"<h2>{text(audit.exercise.id)}: {text(audit.exercise.name)}</h2><ul>{refs}</ul>"
            + _table(("operator", "status", "source"), rows, "mutants") + "</section>")


def _first_shown(mutant: MutantResult) -> int:
    """The page lists wrong survivors first, then the equivalent ones, then the rest."""
    order = {SURVIVED: 0, "equivalent": 1}
    return order.get(_label(mutant), 2)


def _table(head: tuple[str, ...], rows: list[list[str]], name: str) -> str:
    """A table of cells already escaped; a cell starting with ``<td`` is a whole cell."""
    cells = ["".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in row)
             for row in rows]
    return (f'<table class="{name}"><thead><tr>'
            + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>"
            + "".join(f"<tr>{r}</tr>" for r in cells) + "</tbody></table>")
