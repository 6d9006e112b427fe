"""The class at a glance: summary.md, summary.html and summary.png (pandas + matplotlib, Agg).

* pass rate per exercise: the share of students who earned the exercise's
  main points (a hypothesis that holds for all weights and sequences);
* the score distribution and the statuses;
* the most common refuting counterexamples: for hypotheses recorded as
  holding but refuted, the minimal cases that refuted them, most frequent
  first -- what the class got wrong;
* the **misconceptions**: the class's refuted hypotheses clustered by their
  outputs on the shared screening cases (:func:`harness.grading.misconceptions.clusters`),
  largest first, each with its size, one representative student and hypothesis,
  its source (found by parsing the submission, never by running it), its
  counterexample and hints.

summary.html is a standalone page (styles, the chart and pictures inline).

**Never without a summary.**  Every section, every misconception and every
picture is built on its own (:func:`_guarded`): one that fails is replaced by a
sentence saying so, the traceback goes to the ``harness.grading`` logger, and
summary.md, summary.html and summary.png are still written (a chart that cannot
be drawn is a blank PNG).  What students wrote is bounded and escaped by
:mod:`harness.untrusted`.
"""

from __future__ import annotations

import base64
import html
import io
import logging
import struct
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from harness.engine.lookalike import function_source
from harness.grading.assignment import Assignment
from harness.grading.misconceptions import Cluster, clusters
from harness.grading.overrides import overrides_html, overrides_markdown
from harness.grading.results import Status, SubmissionResult, format_points
from harness.grading.submissions import Skipped
from harness.output.files import write_atomic
from harness.output.render import case_text
from harness.untrusted import (
    FILE,
    MESSAGE,
    NAME,
    SOURCE_LINES,
    cut,
    fenced,
    html_block,
    html_text,
    markdown,
    markdown_code,
)
from harness.verdict import ERROR, HOLDS, REFUTED, Verdict

TOP = 10
#: Misconceptions shown in full (the rest are counted).
MISCONCEPTIONS = 10
#: A submission's files by student, for the misconceptions' source code.
Sources = Mapping[str, Sequence[tuple[str, bytes]]]
#: The files a summary is made of (removed before a run writes new grades: never stale).
FILES = ("summary.md", "summary.html", "summary.png")
LOG = logging.getLogger("harness.grading")
T = TypeVar("T")
Escape = Callable[[object, int], str]


def _guarded(what: str, build: Callable[[], T], failed: Callable[[str], T]) -> T:
    """``build()``; when it raises, ``failed(sentence)`` instead (the sentence says that
    ``what`` could not be built) and the traceback goes to the ``harness.grading``
    logger.  One section, misconception or picture never stops the summary."""
    try:
        return build()
    except Exception:  # built from a whole class's data: log it and go on
        LOG.exception("summary: %s could not be built", what)
        return failed(f"({what[:1].upper()}{what[1:]} could not be built; the grader's "
                      "log says why.)")


def _md_failed(sentence: str) -> list[str]:
    return ["", sentence, ""]


def _html_failed(sentence: str) -> list[str]:
    return [f"<p>{html.escape(sentence)}</p>"]


def frame(assignment: Assignment, results: list[SubmissionResult]) -> Any:
    """One row per student: points per exercise, total, status (a pandas DataFrame)."""
    import pandas as pd

    rows = [{"student": r.student, **{e.id: r.points(e.id) for e in assignment.exercises},
             "total": r.total, "status": r.status} for r in results]
    columns = ["student", *(e.id for e in assignment.exercises), "total", "status"]
    return pd.DataFrame(rows, columns=columns)


def pass_rates(assignment: Assignment, results: list[SubmissionResult]) -> dict[str, float]:
    """Share of students earning each exercise's main points."""
    table = frame(assignment, results)
    if table.empty:
        return {e.id: 0.0 for e in assignment.exercises}
    return {e.id: float((table[e.id] >= e.points).mean()) if e.points else 1.0
            for e in assignment.exercises}


def common_counterexamples(results: list[SubmissionResult]) -> list[tuple[str, str, int]]:
    """(exercise, case in words, how many students) for refuted-but-claimed hypotheses."""
    counts: Counter[tuple[str, str]] = Counter()
    for result in results:
        seen = set()
        for h in result.hypotheses:
            v = h.checked
            if v.kind == REFUTED and v.expected == HOLDS and v.counterexample:
                seen.add((h.exercise or str(v.layer), case_text(v.counterexample.case)))
        counts.update(seen)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(exercise, case, n) for (exercise, case), n in ranked[:TOP]]


def source_of(cluster: Cluster, sources: Sources) -> str | None:
    """The representative's source, found by parsing its submission (never run)."""
    member = cluster.representative
    v = member.result.checked
    return function_source(sources.get(member.student, ()), v.file, v.function, v.line)


def _cluster_title(number: int, cluster: Cluster, escape: Escape) -> str:
    """The misconception's title; ``escape`` shows the students' text (ids, names)."""
    rep = cluster.representative
    students = "student" if cluster.students == 1 else "students"
    return (f"{number}. {escape(cluster.exercise, MESSAGE)}: {cluster.size} refuted "
            f"{'hypothesis' if cluster.size == 1 else 'hypotheses'} ({cluster.students} "
            f"{students}) {'behaves' if cluster.size == 1 else 'behave'} like "
            f"{escape(rep.student, NAME)}'s {escape(rep.result.name, NAME)}")


def _recorded_words(cluster: Cluster, escape: Escape) -> str:
    recorded = sum(1 for m in cluster.members if m.result.checked.recorded)
    others = sorted({m.student for m in cluster.members} - {cluster.representative.student})
    shown = ", ".join(escape(o, NAME) for o in others[:8]) + (
        f" and {len(others) - 8} more" if len(others) > 8 else "")
    words = f"{recorded} of {cluster.size} recorded as refuted by the student."
    return words + (f" Also: {shown}." if shown else "")


def misconceptions_markdown(results: list[SubmissionResult], sources: Sources, *,
                            secret: bool = False) -> list[str]:
    """The misconceptions section of summary.md (each misconception built on its own;
    ``secret``: the cases came from the grader's secret, so no seed is printed)."""
    lines = ["", "## Misconceptions", "",
             "Refuted hypotheses grouped by what they output on the shared screening cases "
             "(same outputs = same idea, however it is written), largest first.", ""]
    found = clusters(results)  # if this fails, the whole section says so (summary_markdown)
    if not found:
        return [*lines, "None."]
    for number, cluster in enumerate(found[:MISCONCEPTIONS], start=1):
        lines += _guarded(f"misconception {number}",
                          partial(_misconception_md, number, cluster, sources, secret),
                          partial(_misconception_failed_md, number))
    if len(found) > MISCONCEPTIONS:
        lines += [f"... and {len(found) - MISCONCEPTIONS} smaller clusters."]
    return lines


def _misconception_failed_md(number: int, sentence: str) -> list[str]:
    return [f"### {number}.", "", sentence, ""]


def _misconception_md(number: int, cluster: Cluster, sources: Sources,
                      secret: bool = False) -> list[str]:
    from harness.output.render import verdict_markdown

    source = source_of(cluster, sources)
    section = verdict_markdown(cluster.representative.result.checked,
                               secret=secret).split("\n", 1)[1]
    lines = [f"### {_cluster_title(number, cluster, markdown)}", "",
             _recorded_words(cluster, markdown), ""]
    lines += ([*fenced(source, "python", SOURCE_LINES), ""] if source is not None
              else ["(source not available)", ""])
    return [*lines, section.strip(), ""]


def summary_markdown(assignment: Assignment, results: list[SubmissionResult],
                     skipped: Sequence[Skipped] = (), renamed: Sequence[Skipped] = (),
                     isolation: Sequence[str] = (), sources: Sources | None = None,
                     override_warnings: Sequence[str] = ()) -> str:
    """summary.md; each section built on its own (one that fails says so)."""
    lines = [f"# Grading summary: {assignment.name}", "",
             f"{len(results)} submissions, seed {assignment.seed}, "
             f"{assignment.cases} cases per hypothesis.", "",
             *(["## Isolation in force", "", *(f"* {item}" for item in isolation), ""]
               if isolation else [])]
    sections: list[tuple[str, Callable[[], list[str]]]] = [
        ("the pass rates", lambda: _rates_md(assignment, results)),
        ("the scores and statuses", lambda: _scores_md(results)),
        ("the most common counterexamples", lambda: _common_md(results)),
        ("the misconceptions", lambda: misconceptions_markdown(
            results, sources or {}, secret=assignment.secret is not None)),
        ("the list of what was not graded",
         lambda: not_graded_lines(results, skipped, renamed)),
        ("the overrides", lambda: overrides_markdown(results, override_warnings))]
    for what, build in sections:
        lines += _guarded(what, build, _md_failed)
    return "\n".join(lines) + "\n"


def _rates_md(assignment: Assignment, results: list[SubmissionResult]) -> list[str]:
    rates = pass_rates(assignment, results)
    lines = ["## Pass rate per exercise", "", "| exercise | points | pass rate |", "|---|---|---|"]
    return lines + [f"| {e.name} | {format_points(e.max_points)} | {rates[e.id]:.0%} |"
                    for e in assignment.exercises]


def _scores_md(results: list[SubmissionResult]) -> list[str]:
    totals = Counter(format_points(r.total) for r in results)
    statuses = Counter(r.status for r in results)
    lines = ["", "## Scores", "", "| total | students |", "|---|---|"]
    lines += [f"| {t} | {n} |" for t, n in sorted(totals.items(), key=lambda i: float(i[0]))]
    lines += ["", "## Statuses", "", "| status | students |", "|---|---|"]
    return lines + [f"| {s} | {n} |" for s, n in sorted(statuses.items())]


def _common_md(results: list[SubmissionResult]) -> list[str]:
    lines = ["", "## Most common refuting counterexamples", ""]
    common = common_counterexamples(results)
    lines += ["| exercise | case | students |", "|---|---|---|"] if common else ["None."]
    return lines + [f"| {markdown(ex, MESSAGE)} | `{case}` | {n} |" for ex, case, n in common]


def not_graded_lines(results: list[SubmissionResult], skipped: Sequence[Skipped],
                     renamed: Sequence[Skipped]) -> list[str]:
    """What was not graded, and why: files that are not submissions, submissions that
    could not be read, and entries graded under another id (names that collide)."""
    invalid = [Skipped(r.student, r.message or "it could not be read")
               for r in results if r.status == Status.INVALID_SUBMISSION]
    lines = ["", "## Not graded", ""]
    if not (skipped or invalid or renamed):
        return [*lines, "Everything found was graded."]
    lines += ["| path | reason |", "|---|---|"]
    lines += [f"| {_path_cell(s.path)} | {_cell(s.reason)} |" for s in [*invalid, *skipped]]
    if renamed:
        lines += ["", "Graded under another id (their names give the same id):", "",
                  "| path | graded as |", "|---|---|"]
        lines += [f"| {_path_cell(s.path)} | {_cell(s.reason)} |" for s in renamed]
    return lines


def _cell(text: str) -> str:
    """A table cell of student text (a reason may quote a path): escaped, one line."""
    return markdown(text, FILE + MESSAGE)


def _path_cell(path: str) -> str:
    """A path as code in a table cell: its ``|`` escaped, which GFM tables read inside a
    code span too."""
    return markdown_code(path, FILE).replace("|", "\\|")


def summary_png(assignment: Assignment, results: list[SubmissionResult]) -> bytes:
    """Two panels: pass rate per exercise and the score histogram (a blank picture when
    they cannot be drawn; the failure goes to the log)."""
    return _guarded("the chart", lambda: _chart(assignment, results), lambda _: blank_png())


def blank_png() -> bytes:
    """A 1 x 1 white PNG, made without matplotlib (for a chart that could not be drawn)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1 x 1, 8-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff")) + chunk(b"IEND", b""))


def _chart(assignment: Assignment, results: list[SubmissionResult]) -> bytes:
    figure = summary_figure(assignment, results)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def summary_figure(assignment: Assignment, results: list[SubmissionResult]) -> Any:
    """The chart's matplotlib figure: pass rates, and the scores' histogram, whose axis
    counting students has whole-number ticks only."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    rates = pass_rates(assignment, results)
    figure = Figure(figsize=(9, 3.5))
    left, right = figure.subplots(1, 2)
    left.bar([e.id for e in assignment.exercises], [100 * rates[e.id]
                                                    for e in assignment.exercises])
    left.set_ylim(0, 100)
    left.set_ylabel("students passing (%)")
    left.set_title("Pass rate per exercise")
    right.hist([r.total for r in results], bins=max(1, int(assignment.max_total * 2) + 1),
               range=(-0.25, assignment.max_total + 0.25))
    right.set_xlabel("total score")
    right.set_ylabel("students")
    right.yaxis.set_major_locator(MaxNLocator(integer=True))  # students come whole
    right.set_title("Score distribution")
    figure.tight_layout()
    return figure


def summary_html(assignment: Assignment, results: list[SubmissionResult],
                 skipped: Sequence[Skipped] = (), renamed: Sequence[Skipped] = (),
                 isolation: Sequence[str] = (), sources: Sources | None = None,
                 chart: bytes | None = None, override_warnings: Sequence[str] = ()) -> str:
    """summary.html: a standalone page with the same facts as summary.md, the tables
    through pandas' Styler, the chart and the misconceptions' pictures inline; each
    section built on its own (one that fails says so)."""
    from harness.output.report import page

    esc = html.escape
    parts = [f"<h1>Grading summary: {esc(assignment.name)}</h1>",
             f'<p class="meta">{len(results)} submissions, seed {assignment.seed}, '
             f"{assignment.cases} cases per hypothesis. "
             '<a href="#students">Each student</a> · '
             '<a href="#misconceptions">What the class got wrong</a></p>']
    if isolation:
        parts.append('<div class="card"><h2>Isolation in force</h2><ul>'
                     + "".join(f"<li>{esc(i)}</li>" for i in isolation) + "</ul></div>")
    sections: list[tuple[str, Callable[[], list[str]]]] = [
        ("the pass rates", lambda: _rates_html(assignment, results, chart)),
        ("the scores and statuses", lambda: _scores_html(results)),
        ("each student", lambda: _students_html(assignment, results)),
        ("the misconceptions", lambda: _misconceptions_html(
            results, sources or {}, secret=assignment.secret is not None)),
        ("the list of what was not graded",
         lambda: _not_graded_html(results, skipped, renamed)),
        ("the overrides", lambda: overrides_html(results, override_warnings))]
    for what, build in sections:
        parts += _guarded(what, build, _html_failed)
    return page(f"Grading summary: {assignment.name}", "\n".join(parts))


def _rates_html(assignment: Assignment, results: list[SubmissionResult],
                chart: bytes | None) -> list[str]:
    import pandas as pd

    rates = pass_rates(assignment, results)
    table = pd.DataFrame([{"exercise": e.name, "points": format_points(e.max_points),
                           "pass rate": f"{rates[e.id]:.0%}"} for e in assignment.exercises])
    parts = ['<div class="card"><h2>Pass rate per exercise</h2>',
             _plain_table(table, "rates") if not table.empty else "<p>None.</p>"]
    if chart:
        data = base64.b64encode(chart).decode()
        parts.append(f'<img class="chart" alt="Pass rate per exercise and score distribution" '
                     f'src="data:image/png;base64,{data}">')
    return [*parts, "</div>"]


def _scores_html(results: list[SubmissionResult]) -> list[str]:
    import pandas as pd

    from harness.output.report import styled_table

    statuses = Counter(str(r.status) for r in results)
    status_table = pd.DataFrame([{"status": s, "students": n}
                                 for s, n in sorted(statuses.items())])
    totals = Counter(format_points(r.total) for r in results)
    scores = pd.DataFrame([{"total": t, "students": n}
                           for t, n in sorted(totals.items(), key=lambda i: float(i[0]))])
    common = pd.DataFrame([{"exercise": ex, "case": case, "students": n}
                           for ex, case, n in common_counterexamples(results)])
    return ['<div class="card"><h2>Scores</h2>',
            _plain_table(scores, "scores") if not scores.empty else "<p>None.</p>",
            "<h2>Statuses</h2>",
            styled_table(status_table, "status", _status_styles(status_table["status"]))
            if not status_table.empty else "<p>None.</p>",
            "<h2>Most common refuting counterexamples</h2>",
            _plain_table(common, "common") if not common.empty else "<p>None.</p>", "</div>"]


def _students_html(assignment: Assignment, results: list[SubmissionResult]) -> list[str]:
    """The per-student table: id, points per exercise, total, status, and a link to the
    student's feedback (``feedback/<id>.md`` beside this page)."""
    from urllib.parse import quote

    from harness.output.report import styled_table

    table = frame(assignment, sorted(results, key=lambda r: r.student))
    if table.empty:
        return ['<div class="card"><h2 id="students">Students</h2><p>None.</p></div>']
    for column in [e.id for e in assignment.exercises] + ["total"]:
        table[column] = table[column].map(format_points)
    table["status"] = table["status"].map(str)
    table["feedback"] = [f'<a href="feedback/{quote(str(s), safe="")}.md">feedback</a>'
                         for s in table["student"]]
    table["student"] = table["student"].map(lambda s: cut(s, NAME))  # escaped by the Styler
    return ['<div class="card"><h2 id="students">Students</h2>',
            styled_table(table, "status", _status_styles(table["status"]), raw=["feedback"],
                         name="students"), "</div>"]


def _plain_table(table: Any, name: str) -> str:
    return str(table.style.hide(axis="index").set_uuid(name).format(escape="html")
               .set_table_attributes('class="report"').to_html(doctype_html=False))


def _status_styles(statuses: Iterable[str]) -> list[str]:
    """Green for a graded submission, amber for any other status."""
    from harness.output.report import verdict_style

    return [verdict_style(HOLDS if Status(status) == Status.GRADED else ERROR)
            for status in statuses]


def _misconceptions_html(results: list[SubmissionResult], sources: Sources, *,
                         secret: bool = False) -> list[str]:
    parts = ['<h2 id="misconceptions">Misconceptions</h2>',
             '<p class="meta">Refuted hypotheses grouped by what they output on the shared '
             "screening cases (same outputs = same idea, however it is written), largest "
             "first.</p>"]
    found = clusters(results)  # if this fails, the whole section says so (summary_html)
    if not found:
        return [*parts, "<p>None.</p>"]
    for number, cluster in enumerate(found[:MISCONCEPTIONS], start=1):
        parts += _guarded(f"misconception {number}",
                          partial(_misconception_html, number, cluster, sources, secret),
                          _html_failed)
    if len(found) > MISCONCEPTIONS:
        parts.append(f"<p>... and {len(found) - MISCONCEPTIONS} smaller clusters.</p>")
    return parts


def _misconception_html(number: int, cluster: Cluster, sources: Sources,
                        secret: bool = False) -> list[str]:
    from harness.output.render import verdict_html

    verdict = cluster.representative.result.checked
    source = source_of(cluster, sources)
    code = (f'<pre class="source">{html_block(source, SOURCE_LINES)}</pre>'
            if source is not None else "<p>(source not available)</p>")
    pictures = _guarded(f"the pictures of misconception {number}",
                        partial(_pictures_html, number, verdict), _html_failed)
    section = verdict_html(verdict, pictures, secret=secret)
    section = section.replace(f"<h2>{html_text(verdict.name, NAME)}</h2>",
                              f"<h2>{_cluster_title(number, cluster, html_text)}</h2>"
                              f'<p class="where">{_recorded_words(cluster, html_text)}</p>'
                              f"{code}", 1)
    return [f'<div class="misconception" id="m-{number}">{section}</div>']


def _pictures_html(number: int, verdict: Verdict) -> list[str]:
    """The representative's pictures as inline SVG, each drawn on its own."""
    from harness.output.pictures import svg_drawers

    parts: list[str] = []
    for index, draw in enumerate(svg_drawers(verdict), start=1):
        parts += _guarded(f"picture {index} of misconception {number}",
                          partial(_drawn, draw), _html_failed)
    return parts


def _drawn(draw: Callable[[], str]) -> list[str]:
    return [draw()]


def _not_graded_html(results: list[SubmissionResult], skipped: Sequence[Skipped],
                     renamed: Sequence[Skipped]) -> list[str]:
    invalid = [Skipped(r.student, r.message or "it could not be read")
               for r in results if r.status == Status.INVALID_SUBMISSION]
    rows = [*invalid, *skipped]
    parts = ['<div class="card"><h2>Not graded</h2>']
    if not (rows or renamed):
        return [*parts, "<p>Everything found was graded.</p></div>"]
    parts += ["<table><tr><th>path</th><th>reason</th></tr>"
              + "".join(_row_html(s) for s in rows) + "</table>"] if rows else []
    if renamed:
        parts += ["<p>Graded under another id (their names give the same id):</p>",
                  "<table><tr><th>path</th><th>graded as</th></tr>"
                  + "".join(_row_html(s) for s in renamed) + "</table>"]
    return [*parts, "</div>"]


def _row_html(skipped: Skipped) -> str:
    return (f"<tr><td><code>{html_text(skipped.path, FILE)}</code></td>"
            f"<td>{html_text(skipped.reason, FILE + MESSAGE)}</td></tr>")


def remove_summary(out: Path) -> None:
    """Remove an earlier run's summary files, so new grades never stand beside an old
    summary (whatever happens before the new one is written)."""
    for name in FILES:
        (out / name).unlink(missing_ok=True)


def write_summary(out: Path, assignment: Assignment, results: list[SubmissionResult],
                  skipped: Sequence[Skipped] = (),
                  renamed: Sequence[Skipped] = (), isolation: Sequence[str] = (),
                  sources: Sources | None = None,
                  override_warnings: Sequence[str] = ()) -> list[Path]:
    """summary.md, summary.html and summary.png; ``sources`` (each student's files) gives
    the misconceptions their source code.  Always writes all three (a part that cannot
    be built says so, see :func:`_guarded`)."""
    text = summary_markdown(assignment, results, skipped, renamed, isolation, sources,
                            override_warnings)
    chart = summary_png(assignment, results)
    page = summary_html(assignment, results, skipped, renamed, isolation, sources, chart,
                        override_warnings)
    return [write_atomic(out / "summary.md", text),
            write_atomic(out / "summary.html", page),
            write_atomic(out / "summary.png", chart)]
