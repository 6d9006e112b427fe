"""Reports: verdicts -> one pandas DataFrame -> Markdown, CSV, HTML and JSON files.

What the student wrote (names, files, scopes, messages) is cut to the bounds of
:mod:`harness.untrusted` in the table and escaped for each file (CSV cells never
start a formula).

Every file is rebuilt from the verdicts and written atomically (temp file in
the same folder, then ``os.replace``), so a reader never sees a torn report.
pandas is imported only here, and only when a report is built.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.engine.lookalike import cases_of, sentences
from harness.numbers import format_array
from harness.output.files import write_atomic
from harness.output.render import case_text
from harness.sentences import Recorded, verdict_sentence
from harness.surprises import MARK, heading, items, lead_lines, ordered
from harness.untrusted import (
    FILE,
    MESSAGE,
    NAME,
    SENTENCE,
    csv_cell,
    cut,
    fenced,
    html_block,
    html_text,
    markdown_code,
)
from harness.untrusted import markdown as md_inline
from harness.verdict import ERROR, HOLDS, REFUTED, LoadFailure, Verdict, VerdictKind

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
        "layer": str(v.layer), "scope": v.scope, "verdict": str(v.kind),
        "recorded": str(v.expected), "as_expected": v.as_expected,
        "cases": v.cases,
        "counterexample": ce.case if ce else None,
        "keras_output": ce.keras_output if ce else None,
        "hypothesis_output": ce.hypothesis_output if ce else None,
        "seconds": v.seconds, "seed": v.seed, "message": v.message,
        "hints": None if v.hints is None else v.hints.to_json(), "same_as": list(v.same_as),
    }


def _failure_record(f: LoadFailure) -> dict[str, Any]:
    return {
        "file": display_path(f.file), "name": f"({f.what.removeprefix('the ')})", "function": None,
        "layer": None, "scope": None, "verdict": str(ERROR), "recorded": None,
        "as_expected": False, "cases": 0, "counterexample": None, "keras_output": None,
        "hypothesis_output": None, "seconds": 0.0, "seed": None, "message": f.message,
        "hints": None, "same_as": [],
    }


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The report as a DataFrame, one row per hypothesis, nested values as text."""
    import pandas as pd

    table = pd.DataFrame(rows, columns=[*COLUMNS, "as_expected"])
    table["recorded"] = table["recorded"].fillna("")
    for column in ("keras_output", "hypothesis_output"):
        table[column] = table[column].map(lambda v: "" if v is None else format_array(v))
    table["counterexample"] = table["counterexample"].map(case_text)
    table["message"] = table["message"].fillna("")
    for column, limit in TEXT_COLUMNS.items():  # the student's text, bounded
        table[column] = table[column].map(lambda t, n=limit: "" if t is None else cut(t, n))
    return table


#: The columns holding what the student wrote, and their bounds.
TEXT_COLUMNS = {"file": FILE, "name": NAME, "scope": MESSAGE, "message": SENTENCE}


def csv_text(table: pd.DataFrame) -> str:
    """report.csv: the table, every text cell safe to open in a spreadsheet."""
    safe = table[COLUMNS].copy()
    for column in (*TEXT_COLUMNS, "layer"):
        safe[column] = safe[column].map(lambda t: "" if t is None else csv_cell(t))
    return str(safe.to_csv(index=False))


def summaries(verdicts: Sequence[Verdict], failures: Sequence[LoadFailure] = ()) -> list[str]:
    """One sentence per file: ``part_a.py: Hypothesis #1 is refuted; Hypothesis #2 holds.``,
    then one per look-alike hypothesis (:func:`harness.engine.lookalike.sentences`)."""
    by_file: dict[str, list[str]] = {}
    for v in ordered(verdicts):  # files with a surprise first
        by_file.setdefault(cut(display_path(v.file), FILE), []).append(sentence(v))
    for f in failures:
        by_file.setdefault(cut(display_path(f.file), FILE), []).append(f.what)
    lines = [f"{file}: {'; '.join(parts)}." for file, parts in by_file.items()]
    return lines + sentences(verdicts)  # then "#3 behaves exactly like #2 on all 200 cases"


def sentence(v: Verdict) -> str:
    """``Hypothesis #1 is refuted (as recorded)`` (the name cut to its bound)."""
    return verdict_sentence(cut(v.name, NAME), v, Recorded.ALWAYS)


def write_reports(directory: str | Path, verdicts: Sequence[Verdict],
                  failures: Sequence[LoadFailure] = (), *, seed: int | None = None,
                  pictures: bool = True) -> list[Path]:
    """Write report.md/.csv/.html/.json into ``directory``; return their paths.

    Every refuted hypothesis with a sweep (the run gave it teaching extras, which
    :mod:`harness.engine.extras` keeps to a few) gets its pictures, each drawn once as SVG:
    inline in report.html, as files under ``pictures/`` linked from report.md.
    ``pictures=False`` draws none; a run with nothing to draw never imports
    matplotlib.  The verdicts are written surprises first
    (:func:`harness.surprises.ordered`).
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    verdicts = ordered(verdicts)  # surprises first, the student's own files first
    rows = records(verdicts, failures)
    table = frame(rows)
    lines = summaries(verdicts, failures)
    drawn = _pictures(verdicts) if pictures else [[] for _ in verdicts]
    links = _write_pictures(out, verdicts, drawn)
    contents = {
        "report.md": markdown(table, lines, verdicts, seed, failures, links),
        "report.csv": csv_text(table),
        "report.html": html_page(table, lines, seed, verdicts, failures, drawn),
        "report.json": json.dumps(rows, indent=2, allow_nan=False) + "\n",
    }
    for name, text in contents.items():
        write_atomic(out / name, text)
    return [out / name for name in FILES]


def _pictures(verdicts: Sequence[Verdict]) -> list[list[Any]]:
    """The pictures of each verdict (empty lists when there are none to draw)."""
    wanted = [v.kind == REFUTED and v.sweep is not None for v in verdicts]
    if not any(wanted):
        return [[] for _ in verdicts]
    from harness.output.pictures import draw

    return [draw(v) if want else [] for v, want in zip(verdicts, wanted, strict=True)]


PICTURES = "pictures"


def _write_pictures(out: Path, verdicts: Sequence[Verdict],
                    drawn: list[list[Any]]) -> list[list[str]]:
    """SVG files under ``out/pictures`` (stale ones, and PNGs of older runs, removed);
    their relative links."""
    from harness.output.pictures import write_svgs

    folder = out / PICTURES
    links: list[list[str]] = []
    kept: set[Path] = set()
    for number, (v, pictures) in enumerate(zip(verdicts, drawn, strict=True), start=1):
        stem = re.sub(r"[^A-Za-z0-9_-]+", "_", f"{number:02d}-{Path(v.file).stem}-{v.function}")
        written = write_svgs(pictures, folder, stem) if pictures else []
        kept.update(path for _, path in written)
        links.append([f"{PICTURES}/{path.name}" for _, path in written])
    if folder.is_dir():
        for stale in [*folder.glob("*.png"), *folder.glob("*.svg")]:
            if stale not in kept:
                stale.unlink(missing_ok=True)
    return links


def markdown(table: pd.DataFrame, lines: list[str], verdicts: Sequence[Verdict],
             seed: int | None, failures: Sequence[LoadFailure] = (),
             links: Sequence[Sequence[str]] = ()) -> str:
    """report.md: the sentences, the table, what could not be imported and why, then
    one section per hypothesis (from :func:`harness.output.render.verdict_markdown`)."""
    from harness.output.render import verdict_markdown

    shown = table[["file", "name", "scope", "verdict", "recorded", "cases", "seconds"]].copy()
    shown["verdict"] = _marked(shown["verdict"], table["as_expected"], len(verdicts))
    shown.loc[len(verdicts):, ["scope", "recorded"]] = ""  # a file that did not import
    for column in ("file", "name", "scope"):  # student text must not break the table
        shown[column] = shown[column].map(lambda t: md_inline(t, MESSAGE))
    parts = ["# Hypothesis report", ""]
    found = items(verdicts, failures)
    parts += [f"**{heading(len(found))}**", "",
              *(f"- {md_inline(line, 100 * MESSAGE)}" for line in found)]
    parts += ["", "## All hypotheses", ""]
    if seed is not None:
        parts += [f"Seed: {seed} (run again with the same seed for the same cases).", ""]
    parts += [f"- {md_inline(line, 100 * MESSAGE)}" for line in lines]
    parts += ["", shown.to_markdown(index=False), ""]
    if failures:
        parts += ["## Files that could not be imported", ""]
        for f in failures:
            parts += [f"### {md_inline(display_path(f.file), FILE)}", "",
                      *fenced(f.message.rstrip(), "text"), ""]
    for i, v in enumerate(verdicts):
        pictures = links[i] if i < len(links) else []
        section = verdict_markdown(v, pictures)
        parts += [_with_file(section, v, "md") + _lookalike_md(v), ""]
    return "\n".join(parts)


def _with_file(section: str, v: Verdict, kind: str) -> str:
    """The section, its heading followed by the file and line it comes from."""
    where = cut(display_path(v.file), FILE) + (f", line {v.line}" if v.line else "")
    if kind == "md":
        head, _, rest = section.partition("\n")
        return f"{head}\n\n{markdown_code(where, 2 * FILE)}\n{rest}"
    return section.replace("</h2>", f'</h2>\n<p class="where">{html.escape(where)}</p>', 1)


def _lookalike_md(v: Verdict) -> str:
    if not v.same_as:
        return ""
    names = _names([md_inline(n, NAME) for n in v.same_as])
    return f"\nBehaves exactly like {names} on all {cases_of(v.behaviour)} cases.\n"


def _names(names: Sequence[str]) -> str:
    """``a, b and c``; at most ten, then how many more (each name already escaped)."""
    more = f" and {len(names) - 10} more" if len(names) > 10 else ""
    names = names[:10]
    return ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1] + more


VERDICT_COLOURS = {
    "holds": ("#dafbe1", "#116329"),
    "refuted": ("#ffebe9", "#a40e26"),
    "error": ("#fff8c5", "#7d4e00"),
}

#: A holds/refuted verdict that is not what its file records: white on purple, outlined,
#: never the same cell as an expected refutation.
SURPRISE_COLOURS = ("#8250df", "#ffffff")


def verdict_style(kind: VerdictKind, as_expected: bool = True) -> str:
    """The CSS of a verdict cell: green holds, red refuted, amber could not be checked;
    a holds/refuted that is not what its file records white on purple."""
    if not as_expected and kind in (HOLDS, REFUTED):
        background, colour = SURPRISE_COLOURS
        return (f"background-color: {background}; color: {colour}; font-weight: 700; "
                "outline: 3px solid #3e1f79; outline-offset: -3px")
    background, colour = VERDICT_COLOURS.get(str(kind), VERDICT_COLOURS["error"])
    return f"background-color: {background}; color: {colour}; font-weight: 600"


def verdict_styles(verdicts: Sequence[Verdict], failures: Sequence[LoadFailure]) -> list[str]:
    """The CSS of each verdict cell of the table, from the verdicts (never from the cell's
    text), then one for each file that did not import."""
    return ([verdict_style(v.kind, v.as_expected) for v in verdicts]
            + [verdict_style(ERROR)] * len(failures))


def _marked(column: Any, as_expected: Any, count: int) -> list[str]:
    """The verdict column, ``(!)`` after each of the first ``count`` (the hypotheses; the
    rest are files that did not import) that is not what its file records."""
    return [str(kind) + ("" if i >= count or ok else MARK)
            for i, (kind, ok) in enumerate(zip(column, as_expected, strict=True))]


STYLE = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       background: #f6f8fa; color: #1f2328; line-height: 1.5; }
main { max-width: 62rem; margin: 0 auto; padding: 1.5rem 1.25rem 4rem; }
h1 { margin: 0 0 .25rem; font-size: 1.8rem; }
h2 { margin: 0 0 .5rem; font-size: 1.3rem; }
.meta { color: #59636e; margin: 0 0 1rem; }
.surprises { border: 2px solid #8250df; }
.surprises h2 { color: #3e1f79; }
.card, section.verdict { background: #fff; border: 1px solid #d1d9e0; border-radius: 8px;
       padding: 1rem 1.25rem; margin: 1rem 0; }
section.verdict { border-left: 6px solid #d1d9e0; }
section.verdict-holds { border-left-color: #1a7f37; }
section.verdict-refuted { border-left-color: #cf222e; }
section.verdict-error, section.verdict-timeout, section.verdict-crashed,
section.verdict-not-checked { border-left-color: #bf8700; }
ul.summary { margin: .25rem 0; padding-left: 1.25rem; }
table { border-collapse: collapse; margin: .5rem 0; font-size: .92rem; }
th, td { border: 1px solid #d1d9e0; padding: .3rem .6rem; text-align: left;
         vertical-align: top; }
th { background: #f6f8fa; }
table.report { width: 100%; background: #fff; }
pre { background: #f6f8fa; border: 1px solid #d1d9e0; border-radius: 6px; padding: .6rem .8rem;
      overflow-x: auto; white-space: pre-wrap; font-size: .88rem; }
code { font-size: .9em; }
.where { color: #59636e; font-size: .9rem; margin-top: -.4rem; }
.lookalike { background: #ddf4ff; border-radius: 6px; padding: .4rem .7rem; }
.pictures { display: flex; flex-wrap: wrap; gap: 1rem; margin-top: .75rem; }
.pictures svg { width: calc(50% - .5rem); min-width: 18rem; flex: 1 1 18rem; height: auto;
                background: #fff; border: 1px solid #d1d9e0; border-radius: 6px; }
.failure h3 { margin: .25rem 0; font-size: 1.05rem; }
img.chart { max-width: 100%; height: auto; margin-top: .5rem; }
pre.source { background: #fff; border-left: 4px solid #8250df; }
a { color: #0969da; }
"""


def page(title: str, body: str) -> str:
    """A standalone HTML page (styles inline, no external resources)."""
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
            f"<body><main>\n{body}\n</main></body></html>\n")


def styled_table(table: pd.DataFrame, column: str, styles: Sequence[str], *,
                 raw: Sequence[str] = (), name: str = "") -> str:
    """``table`` as HTML through pandas' Styler: ``column``'s cells coloured by ``styles``
    (one CSS a row, made from the data, e.g. :func:`verdict_style`), every cell escaped
    except the ``raw`` columns
    (markup the caller built and escaped itself).  ``name`` (unique in the page) makes
    the Styler's ids, which are random otherwise: the same run writes the same bytes."""
    escaped: list[Hashable] = [c for c in table.columns if c not in raw]
    styler = (table.style.hide(axis="index").set_uuid(name or column)
              .format(escape="html", subset=escaped, na_rep="")
              .apply(lambda _: list(styles), subset=[column])
              .set_table_attributes('class="report"'))
    return styler.to_html(doctype_html=False)


def html_page(table: pd.DataFrame, lines: list[str], seed: int | None,
              verdicts: Sequence[Verdict] = (), failures: Sequence[LoadFailure] = (),
              drawn: Sequence[Sequence[Any]] = ()) -> str:
    """report.html: a standalone page with the sentences, a coloured table, the files
    that could not be imported and one section per hypothesis, pictures inline."""
    from harness.output.render import verdict_html

    esc = html.escape
    shown = table[["name", "file", "scope", "verdict", "recorded", "cases"]].copy()
    shown["verdict"] = _marked(shown["verdict"], table["as_expected"], len(verdicts))
    anchors = [f'<a href="#h-{i}">{esc(str(n))}</a>'
               for i, n in enumerate(shown["name"][:len(verdicts)], start=1)]
    shown["name"] = anchors + [esc(str(n)) for n in shown["name"][len(verdicts):]]
    shown.loc[len(verdicts):, "recorded"] = ""  # a file that did not import records nothing
    seed_text = (f'<p class="meta">Seed {seed}: run again with the same seed for the same '
                 "cases.</p>") if seed is not None else ""
    found = items(verdicts, failures)
    lead = (f'<div class="card surprises"><h2>{esc(heading(len(found)))}</h2>'
            + ('<ul class="summary">' + "".join(f"<li>{esc(line)}</li>" for line in found)
               + "</ul>" if found else "") + "</div>")
    styles = verdict_styles(verdicts, failures)
    parts = ["<h1>Hypothesis report</h1>", lead, seed_text, '<div class="card">',
             '<ul class="summary">' + "".join(f"<li>{esc(line)}</li>" for line in lines)
             + "</ul>", styled_table(shown, "verdict", styles, raw=["name"]), "</div>"]
    if failures:
        parts.append('<section class="verdict verdict-error failure">'
                     "<h2>Files that could not be imported</h2>")
        parts += [f"<h3>{html_text(display_path(f.file), FILE)}</h3>"
                  f"<pre>{html_block(f.message)}</pre>" for f in failures]
        parts.append("</section>")
    for i, v in enumerate(verdicts, start=1):
        svgs = [p.svg for p in drawn[i - 1]] if i - 1 < len(drawn) else []
        section = _with_file(verdict_html(v, svgs, explore=display_path(v.file)), v, "html")
        if v.same_as:
            names = _names([html_text(n, NAME) for n in v.same_as])
            note = (f'<p class="lookalike">Behaves exactly like {names} on '
                    f"all {cases_of(v.behaviour)} cases.</p>")
            section = section.replace('<p class="sentence">', note + '<p class="sentence">', 1)
        parts.append(f'<div id="h-{i}">{section}</div>')
    return page("Hypothesis report", "\n".join(parts))


def terminal_lines(verdicts: Sequence[Verdict], failures: Sequence[LoadFailure] = ()) -> list[str]:
    """The surprises (:func:`harness.surprises.lead_lines`), then a compact table for the
    terminal (no pandas needed), surprises first."""
    verdicts = ordered(verdicts)
    full = [(cut(v.name, NAME), _short_case(v)) for v in verdicts]
    rows = [(cut(name, NAME_WIDTH), v.kind + ("" if v.as_expected else MARK),
             str(v.expected), str(v.cases), cut(text, CELL_WIDTH))
            for v, (name, text) in zip(verdicts, full, strict=True)]
    rows += [(cut(display_path(f.file), FILE), ERROR + MARK, "-", "0", f.what)
             for f in failures]
    header = ("hypothesis", "verdict", "recorded", "cases", "minimal counterexample")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    table = ["  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)) + "  " + r[4]
             for r in [header, *rows]]
    shortened = [f"{name}: {text}" if text else name
                 for (name, text), row in zip(full, rows[:len(full)], strict=True)
                 if row[0] != name or row[4] != text]
    below = ["", "In full (cut short in the table):", *(f"  {line}" for line in shortened)]
    return [*lead_lines(verdicts, failures), "", *table, *(below if shortened else [])]


#: Widest name and last cell in the terminal table; longer text is cut at a word
#: (:func:`harness.untrusted.cut`) and printed in full below the table.
NAME_WIDTH, CELL_WIDTH = 40, 70


def _short_case(v: Verdict) -> str:
    if v.kind == REFUTED and v.counterexample is not None:
        return case_text(v.counterexample.case)
    if v.kind == ERROR:
        return cut(v.message or "", MESSAGE)
    return ""


def display_path(path: str) -> str:
    """A path relative to the current folder when it is inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path
