"""Pictures of a refuted hypothesis: Keras against the formula (matplotlib, Agg).

Two pictures, both facts observed from Keras (never a formula):

* **steps**: the output after each step of the counterexample, Keras and the
  hypothesis (from ``Verdict.sweep``'s step outputs; without a sweep, from the
  counterexample when the layer returns sequences, else Keras's steps alone);
  none for a one-step counterexample (one dot per line shows nothing);
* **sweep**: one weight swept around the counterexample's value, everything
  else as in the counterexample, the final output of both.

matplotlib is imported only when a picture is drawn (never by ``import
harness``), with the Agg backend.  The hypothesis's name, the student's text, is a
plain label (:func:`harness.untrusted.label`: cut, ``$`` escaped, never mathtext
or TeX).  Each picture is drawn once, in one format, SVG (~0.06 s a picture; PNG
as well used to double it): :func:`svgs` gives the text to inline in a standalone
HTML page, :func:`write_svgs` the same text as files for Markdown.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.output.files import write_atomic
from harness.untrusted import NAME, cut
from harness.untrusted import label as plain_label
from harness.verdict import Verdict

if TYPE_CHECKING:
    from matplotlib.figure import Figure

KERAS_COLOUR = "#1f6feb"
HYPOTHESIS_COLOUR = "#d1242f"
SIZE = (5.6, 3.0)


def series(verdict: Verdict) -> dict[str, Any]:
    """What the pictures plot, as plain lists: ``steps`` (keras, hypothesis) and
    ``sweep`` (weight label, values, keras, hypothesis, centre); each may be absent."""
    out: dict[str, Any] = {}
    sweep, ce = verdict.sweep, verdict.counterexample
    if sweep is not None and sweep.keras_steps:
        out["steps"] = (list(sweep.keras_steps), list(sweep.hypothesis_steps))
    elif ce is not None and ce.keras_steps is not None:
        out["steps"] = (_first_unit(ce.keras_steps), [])
    elif ce is not None and verdict.layer.return_sequences:
        mine = [] if ce.hypothesis_output is None else _first_unit(ce.hypothesis_output)
        out["steps"] = (_first_unit(ce.keras_output), mine)
    if sweep is not None and sweep.values:
        index = ", ".join(str(i) for i in sweep.index)
        centre = None
        if ce is not None and sweep.weight in ce.case:
            centre = float(np.asarray(ce.case[sweep.weight], dtype=np.float64)[sweep.index])
        out["sweep"] = (f"{sweep.weight}[{index}]", list(sweep.values), list(sweep.keras),
                        list(sweep.hypothesis), centre)
    return out


def _first_unit(rows: Any) -> list[float]:
    array = np.asarray(rows, dtype=np.float64)
    return [float(r.ravel()[0]) for r in array.reshape(array.shape[0], -1)]


def figures(verdict: Verdict) -> list[tuple[str, Figure]]:
    """(alt text, figure) for each picture of a refuted hypothesis with a sweep (none
    otherwise: the sweep is filled only when the run asked for teaching extras, so a
    run without them never imports matplotlib)."""
    if verdict.kind != "refuted" or verdict.sweep is None:
        return []
    import matplotlib

    data = series(verdict)
    out = []
    with matplotlib.rc_context({"text.usetex": False}):  # a name is never TeX either
        if "steps" in data and len(data["steps"][0]) > 1:  # one step: one dot, no picture
            out.append(_steps_figure(verdict, *data["steps"]))
        if "sweep" in data:
            out.append(_sweep_figure(verdict, *data["sweep"]))
    return out


def _figure() -> Figure:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE)
    figure.subplots_adjust(left=0.13, right=0.97, bottom=0.17, top=0.9)  # no layout engine: fast
    return figure


def _steps_figure(verdict: Verdict, keras: list[float],
                  mine: list[float | None]) -> tuple[str, Figure]:
    figure = _figure()
    axes = figure.subplots()
    steps = list(range(1, len(keras) + 1))
    axes.plot(steps, keras, "o-", color=KERAS_COLOUR, label="Keras", linewidth=2)
    if mine:
        shown = [np.nan if m is None else m for m in mine]
        axes.plot(steps[:len(shown)], shown, "s--", color=HYPOTHESIS_COLOUR,
                  label=plain_label(verdict.name), linewidth=2)
    axes.set_xticks(steps)
    axes.set_xlabel("step of the counterexample")
    axes.set_ylabel("output (unit 1)")
    axes.set_title("Output after each step", fontsize=11)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=9)
    alt = f"Keras and {cut(verdict.name, NAME)}: the output after each step of the counterexample"
    return alt, figure


def _sweep_figure(verdict: Verdict, label: str, values: list[float], keras: list[float],
                  mine: list[float | None], centre: float | None) -> tuple[str, Figure]:
    figure = _figure()
    axes = figure.subplots()
    axes.plot(values, keras, "-", color=KERAS_COLOUR, label="Keras", linewidth=2)
    shown = [np.nan if m is None else m for m in mine]
    axes.plot(values, shown, "--", color=HYPOTHESIS_COLOUR, label=plain_label(verdict.name),
              linewidth=2)
    if centre is not None:
        axes.axvline(centre, color="#6e7781", linestyle=":", label="counterexample")
    axes.set_xlabel(f"{label} (everything else as in the counterexample)")
    axes.set_ylabel("final output (unit 1)")
    axes.set_title(f"Changing {label}", fontsize=11)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=9)
    alt = f"Keras and {cut(verdict.name, NAME)} as {label} changes, everything else fixed"
    return alt, figure


@dataclass(frozen=True)
class Picture:
    """One picture, drawn once: its alt text and SVG markup."""

    alt: str
    svg: str


def draw(verdict: Verdict) -> list[Picture]:
    """Every picture of a refuted hypothesis, as SVG."""
    return [Picture(alt, _svg_text(figure, alt,
                                   f"{verdict.file}:{verdict.function}:{verdict.line}:{n}"))
            for n, (alt, figure) in enumerate(figures(verdict))]


def svgs(verdict: Verdict) -> list[str]:
    """Each picture as an inline ``<svg>`` element (with a title for screen readers)."""
    return [draw_one() for draw_one in svg_drawers(verdict)]


def svg_drawers(verdict: Verdict) -> list[Callable[[], str]]:
    """One function per picture that draws it as :func:`svgs` does, so a caller can keep
    the other pictures when drawing one fails (the grading summary)."""
    return [partial(_svg_text, figure, alt, f"{verdict.file}:{verdict.function}:"
                    f"{verdict.line}:{number}")
            for number, (alt, figure) in enumerate(figures(verdict))]


def _svg_text(figure: Figure, alt: str, salt: str) -> str:
    import html

    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": salt, "svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]  # drop the XML prolog and doctype: inline in HTML
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)  # licence RDF
    title = f"<title>{html.escape(alt)}</title>"
    return re.sub(r"<svg([^>]*)>", lambda m: f'<svg role="img" class="picture"{m.group(1)}>'
                  + title, text, count=1)


def write_svgs(pictures: list[Picture], directory: Path, stem: str) -> list[tuple[str, Path]]:
    """Write each picture as ``<stem>-<n>.svg`` in ``directory`` (a standalone SVG file:
    the XML prolog and namespace back): (alt text, path)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for number, picture in enumerate(pictures, start=1):
        path = directory / f"{stem}-{number}.svg"
        header = '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n'
        write_atomic(path, header + picture.svg, sync=False)
        written.append((picture.alt, path))
    return written
