"""The one renderer: a verdict, its counterexample, its hints and its probe command
as text (pytest, ``harness check``), Markdown (report.md, grading feedback) and
HTML (report.html, the notebook).

Every writer takes its words from here, so a case, a failing call or a hint
reads the same everywhere.  What the student wrote (a name, a message, a returned
value) goes through :mod:`harness.untrusted`: bounded, and escaped per format.
Nothing here names Keras's formula: only cases, outputs, steps, regimes (scopes a
student can paste) and weights.
"""

from __future__ import annotations

import html
import json
import math
import shlex
from collections.abc import Sequence
from typing import Any

import numpy as np

from harness.course import PRESETS
from harness.layers import Layer
from harness.numbers import format_array, format_number, to_plain
from harness.sentences import (
    NOT_CHECKABLE,
    Recorded,
    found,
    holds_but_recorded_refuted,
    verdict_sentence,
    verdict_words,
)
from harness.untrusted import (
    MESSAGE,
    NAME,
    SENTENCE,
    clean,
    cut,
    html_text,
    markdown,
    markdown_code,
)
from harness.verdict import ERROR, HOLDS, REFUTED, Counterexample, Hints, Regime, Verdict

RULE = "_" * 70


# ---------------------------------------------------------------- small pieces

def layer_name(spec: Layer) -> str:
    """``PART_A`` for a course preset, else the constructor text ``SimpleRNN(units=2, ...)``."""
    for name, preset in PRESETS.items():
        if preset == spec:
            return name
    return str(spec)


def call(verdict: Verdict) -> str:
    """The failing call, ready to paste into Python:
    ``hypothesis_1(kernel=np.array([[1.]]), recurrent_kernel=np.array([[-1.]]), xs=...)``,
    with the function's own name and only the parameters it takes (all of them when
    the verdict does not say which)."""
    ce = _example(verdict)
    name = verdict.function
    if not name.isidentifier() or len(name) > NAME:  # a lambda, or forged
        name = "formula"
    return f"{name}({call_arguments(verdict.layer, ce.case, verdict.params)})"


def call_arguments(spec: Layer, case: dict[str, Any], params: Sequence[str] = ()) -> str:
    """``kernel=np.array([[1.]]), xs=np.array([[1.], [0.]])`` for the parameters asked."""
    names = list(params) or list(case)
    parts = []
    for name in names:
        if name == "weights":
            arrays = ", ".join(_np_array(case[w]) for w in spec.weight_names if w in case)
            parts.append(f"weights=[{arrays}]")
        elif name in case:
            index = name == spec.input_name and spec.input_kind == "index"
            parts.append(f"{name}={_np_array(case[name], index=index)}")
    return ", ".join(parts)


def _np_array(value: Any, *, index: bool = False) -> str:
    """``np.array([1., 0.5])``; indices (an Embedding's input) as whole numbers."""
    array = np.asarray(value, dtype=np.float64)
    if index:
        return f"np.array({array.astype(np.int64).tolist()})"
    return f"np.array({_literal(array)})"


def _literal(array: np.ndarray) -> str:
    if array.ndim == 0:
        return _float_text(float(array))
    return "[" + ", ".join(_literal(x) for x in array) + "]"


def _float_text(x: float) -> str:
    """A float as Python reads it back: ``1.``, ``-0.25``, ``float('nan')``."""
    if not math.isfinite(x):
        return f"float('{format_number(x)}')"
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x)}."
    return repr(x)


def case_text(case: dict[str, Any] | None) -> str:
    """``kernel=[[1]], recurrent_kernel=[[-1]], xs=[[1], [0], [0]]`` (empty for no case)."""
    if not case:
        return ""
    return ", ".join(f"{k}={_plain(v)}" for k, v in case.items())


def probe_command(verdict: Verdict) -> str:
    """The ``harness probe`` command that shows Keras's output on the counterexample."""
    ce = _example(verdict)
    return probe_for(verdict.layer, ce.case)


def probe_for(spec: Layer, case: dict[str, Any]) -> str:
    """``harness probe 'PART_A' --weights '[[[1]], [[-1]]]' --xs '[1, 0, 0]'`` (``--x``
    for a layer whose input is not a sequence)."""
    weights = [to_plain(case[name]) for name in spec.weight_names]
    name = spec.input_name if spec.input_name in case else "xs"
    xs = np.asarray(case[name], dtype=np.float64)
    flat = xs[..., 0] if xs.ndim >= 2 and xs.shape[-1] == 1 else xs
    return (f"harness probe '{spec}' --weights '{json.dumps(weights)}' "
            f"--{name} '{json.dumps(to_plain(flat))}'")


def explore_command(verdict: Verdict, file: str) -> str:
    """``harness explore 'LAYER' FILE --case '{...}'``: the explorer page, opened on the
    counterexample (report.html shows it under each counterexample)."""
    ce = _example(verdict)
    return (f"harness explore {shlex.quote(str(verdict.layer))} {shlex.quote(file)} "
            f"--case {shlex.quote(json.dumps(ce.case))}")


def _plain(value: Any) -> str:
    try:
        return format_array(value)
    except (TypeError, ValueError):
        return str(value)


def _example(verdict: Verdict) -> Counterexample:
    if verdict.counterexample is None:
        raise ValueError(f"{verdict.name} has no counterexample to show "
                         f"(verdict: {verdict.kind}).")
    return verdict.counterexample


# ---------------------------------------------------------------- hints

def regime_text(regime: Regime, name: str) -> str:
    """``@hypothesis(PART_A, fixed={"recurrent_kernel": 1}, timesteps=[1, 2])``."""
    parts = [name]
    if regime.fixed:
        entries = ", ".join(f'"{k}": {_fixed_literal(v)}' for k, v in regime.fixed)
        parts.append(f"fixed={{{entries}}}")
    if regime.timesteps is not None:
        steps = list(regime.timesteps)
        parts.append(f"timesteps={steps[0]}" if len(steps) == 1 else f"timesteps={steps}")
    return f"@hypothesis({', '.join(parts)})"


def _fixed_literal(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_fixed_literal(v) for v in value) + "]"
    return format_number(float(value))


def hints_text(hints: Hints | None, layer_name: str, *, where: bool = False,
               sequences: bool = True) -> list[str]:
    """The hints as lines of plain text (no lines when there are none): the regimes,
    indented, after the first sentence (:func:`hint_parts`)."""
    said, regimes = hint_parts(hints, layer_name, where=where, sequences=sequences)
    return said[:1] + ["  " + regime for regime in regimes] + said[1:]


def hint_parts(hints: Hints | None, layer_name: str, *, where: bool = False,
               sequences: bool = True) -> tuple[list[str], list[str]]:
    """The hints as sentences and regimes (``@hypothesis(...)`` lines to paste); when
    there are regimes, the first sentence introduces them.  ``where``: the hypothesis
    has a ``where=`` condition, which every regime keeps; ``sequences``: the layer's
    input length may vary (short inputs were tried too)."""
    if hints is None:
        return [], []
    lines: list[str] = []
    regimes = [regime_text(r, layer_name) for r in hints.holds_when]
    if regimes:
        keep = ", keeping your where= condition" if where else ""
        lines.append(f"Where it holds (each checked on 100+ cases{keep}):")
    elif hints.complete:
        short = ", and short sequences" if sequences else ""
        lines.append(f"No simpler setting was found where it holds (tried: one weight array "
                     f"or entry set to 0 or 1{short}).")
    step = hints.first_disagreeing_step
    if step is not None:
        lines.append(f"It first disagrees with Keras at step {step} of the counterexample.")
    names = list(hints.weights_that_matter)
    if len(names) == 1:
        lines.append(f"With {names[0]} set to 0, the counterexample agrees with Keras: "
                     f"look first at how your formula uses {names[0]}.")
    elif names:
        lines.append(f"Setting any one of {_and(names)} to 0 makes the counterexample agree "
                     f"with Keras: look first at how your formula uses them.")
    if not hints.complete:
        lines.append("(The search for hints ran out of time, so there may be more.)")
    return lines, regimes


def _hints_lines(verdict: Verdict) -> list[str]:
    return hints_text(verdict.hints, layer_name(verdict.layer), where=verdict.where,
                      sequences=verdict.layer.variable)


def _hint_parts(verdict: Verdict) -> tuple[list[str], list[str]]:
    return hint_parts(verdict.hints, layer_name(verdict.layer), where=verdict.where,
                      sequences=verdict.layer.variable)


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


# ---------------------------------------------------------------- plain text

def failure_text(verdict: Verdict, *, advice: bool = True) -> str:
    """The whole text for a verdict that is not what the student recorded (pytest, CLI);
    without ``advice``, a refuted one does not end with the advice to record it refuted
    (the notebook shows refutations the student already recorded)."""
    if verdict.kind == HOLDS:
        return holds_but_recorded_refuted(cut(verdict.name, NAME), verdict)
    if verdict.counterexample is None:
        message = cut(verdict.message, SENTENCE)
        return f"{cut(verdict.name, NAME)} {NOT_CHECKABLE}: {message}" + (
            "" if message.endswith((".", "?", "!")) else ".")
    lines = [_headline(verdict), "", "  " + call(verdict), f"  layer: {verdict.layer}", ""]
    lines += ["  " + f"{label:<{_width(verdict)}}  {value}" for label, value in outputs(verdict)]
    table = step_rows(verdict) or side_rows(verdict)
    if table:
        lines += ["", *_text_table(table)]
    hint_lines = _hints_lines(verdict)
    if hint_lines:
        lines += ["", *hint_lines]
    lines += ["", tried(verdict), "Check it by hand, or with Keras:", "  " + probe_command(verdict)]
    if advice or verdict.kind == ERROR:
        lines += next_steps(verdict)
    return "\n".join(lines)


def _headline(verdict: Verdict) -> str:
    name = cut(verdict.name, NAME)
    if verdict.kind == ERROR:
        return f"{name} {NOT_CHECKABLE}: {cut(verdict.message, SENTENCE)}, on this case:"
    return f"{name} {verdict_words(REFUTED)}: it disagrees with Keras on this case:"


def outputs(verdict: Verdict) -> list[tuple[str, str]]:
    """(label, value) rows: Keras's output, the hypothesis's, and their difference."""
    ce = _example(verdict)
    rows = [("Keras output:", _plain(ce.keras_output))]
    if ce.hypothesis_output is not None:
        try:
            got = np.asarray(ce.hypothesis_output, dtype=np.float64)
            want = np.asarray(ce.keras_output, dtype=np.float64)
        except (TypeError, ValueError):
            return [*rows, ("hypothesis output:", cut(ce.hypothesis_output, MESSAGE))]
        rows.append(("hypothesis output:", format_array(got)))
        if got.shape == want.shape and np.isfinite(got).all():
            rows.append(("difference:", f"{format_array(got - want)}   (hypothesis - Keras)"))
    return rows


def _width(verdict: Verdict) -> int:
    return max(len(label) for label, _ in outputs(verdict))


def step_rows(verdict: Verdict) -> list[tuple[str, str, str]]:
    """Header plus one row per step: step number, input, Keras's output after it
    (empty for a one-step case, or when the steps are not known)."""
    ce = _example(verdict)
    if not verdict.layer.is_recurrent:
        return []
    steps = ce.keras_steps if ce.keras_steps is not None else ce.keras_output
    xs = ce.case.get("xs") or []
    if steps is None or len(xs) < 2 or len(steps) != len(xs):
        return []
    rows = [(str(t + 1), _plain(x), _plain(h)) for t, (x, h) in enumerate(zip(xs, steps,
                                                                              strict=True))]
    return [("step", "xs", "Keras output after this step"), *rows]


def side_rows(verdict: Verdict) -> list[tuple[str, ...]]:
    """For a layer without steps: the input, Keras's output and the hypothesis's output
    side by side, row by row when they have as many rows (else each whole); empty for a
    layer with steps."""
    ce = _example(verdict)
    layer = verdict.layer
    if layer.is_recurrent:
        return []
    name = layer.input_name if layer.input_name in ce.case else "xs"
    try:
        x = np.asarray(ce.case[name], dtype=np.float64)
        want = np.asarray(ce.keras_output, dtype=np.float64)
        got = (None if ce.hypothesis_output is None
               else np.asarray(ce.hypothesis_output, dtype=np.float64))
    except (KeyError, TypeError, ValueError):
        return []
    head = (name, "Keras output", "hypothesis output")
    if x.ndim >= 1 and want.ndim >= 2 and len(x) == len(want) and (
            got is None or got.shape == want.shape):
        return [head, *[(format_array(x[i]), format_array(want[i]),
                         "" if got is None else format_array(got[i])) for i in range(len(x))]]
    return [head, (format_array(x), format_array(want),
                   "" if got is None else format_array(got))]


def _text_table(rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in rows]


def tried(verdict: Verdict, *, secret: bool = False) -> str:
    """``Tried 260 cases (seed 1); ...``; with ``secret`` (grading drew the cases from
    the grader's secret) no seed is named: it would not give those cases back."""
    source = "drawn from the grader's secret" if secret else f"seed {verdict.seed}"
    return (f"Tried {verdict.cases} cases ({source}); this is the smallest case "
            f"found that {'fails' if verdict.kind == ERROR else 'disagrees'}.")


def next_steps(verdict: Verdict) -> list[str]:
    if verdict.kind == ERROR:
        return ["Fix the formula so it returns the layer's output for every case "
                f"(shape {_shape_words(verdict)})."]
    return ["If you already know this hypothesis is false, record it: "
            "@hypothesis(..., refuted=True)."]


def _shape_words(verdict: Verdict) -> str:
    layer = verdict.layer
    if not layer.is_recurrent:
        shape = np.shape(verdict.counterexample.keras_output) if verdict.counterexample else ()
        return f"{tuple(shape)}, the shape of Keras's output"
    return ("(timesteps, units) = one row per step" if layer.return_sequences
            else f"({layer.units},) = one number per unit")


def recorded_hints_text(verdict: Verdict) -> str:
    """For a hypothesis refuted as recorded: its name, the failing call and its hints."""
    assert verdict.kind == REFUTED and verdict.recorded, "only for a refutation as recorded"
    lines = [verdict_sentence(cut(verdict.name, NAME), verdict, Recorded.ALWAYS)
             + ", on this case:"]
    if verdict.counterexample is not None:
        lines += ["  " + call(verdict)]
    lines += _hints_lines(verdict)
    return "\n".join(lines)


# ---------------------------------------------------------------- Markdown

def verdict_markdown(verdict: Verdict, pictures: Sequence[str] = (), *,
                     secret: bool = False) -> str:
    """One hypothesis as a Markdown section (``##`` heading with its name); ``pictures``
    are relative links to image files, shown after the hints; ``secret``: see
    :func:`tried`."""
    name = markdown(verdict.name, NAME)
    said = f"*{name} {verdict_words(verdict.kind)}.* {found(verdict, escape=markdown)}"
    parts = [f"## {name}", "", said, ""]
    parts += counterexample_markdown(verdict, secret=secret)
    parts += [f"![{name}, picture {i}]({p})" for i, p in enumerate(pictures, 1)]
    return "\n".join(parts).rstrip() + "\n"


def counterexample_markdown(verdict: Verdict, formula: str = "hypothesis", *,
                            secret: bool = False) -> list[str]:
    """Markdown lines: the failing call, the outputs, Keras's steps, the hints and the
    probe command (no lines without a counterexample).  ``formula`` names the formula
    in the outputs (``your formula`` in a student's feedback)."""
    if verdict.counterexample is None:
        return []
    parts = ["```python", call(verdict), "```", "",
             f"Layer: {markdown_code(verdict.layer, 10 * MESSAGE)}", ""]
    parts += [f"- {label.replace('hypothesis', formula)} `{value}`"
              for label, value in outputs(verdict)] + [""]
    parts += steps_markdown(verdict) + hints_markdown(verdict)
    parts += [f"{tried(verdict, secret=secret)} See Keras's answer yourself:", "", "```sh",
              probe_command(verdict), "```", ""]
    return parts


def steps_markdown(verdict: Verdict) -> list[str]:
    """Keras's output after each step of the counterexample, as a Markdown table (for a
    layer without steps: input and both outputs side by side)."""
    rows = step_rows(verdict) or side_rows(verdict)
    if not rows:
        return []
    return [_md_row(rows[0]), "|" + "---|" * len(rows[0]), *[_md_row(r) for r in rows[1:]],
            ""]


def hints_markdown(verdict: Verdict) -> list[str]:
    """The hints as Markdown: the regimes as a Python block to paste, then sentences."""
    said, regimes = _hint_parts(verdict)
    out: list[str] = []
    for i, line in enumerate(said):
        out += [line, ""]
        if i == 0 and regimes:
            out += ["```python", *regimes, "```", ""]
    return out


def _md_row(row: Sequence[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in row) + " |"


# ---------------------------------------------------------------- HTML

def verdict_html(verdict: Verdict, pictures: Sequence[str] = (), *,
                 secret: bool = False, explore: str | None = None) -> str:
    """One hypothesis as an HTML ``<section class="verdict verdict-KIND">``; ``pictures``
    are inline ``<svg>`` or ``<img>`` markup (inserted as given); ``secret``: see
    :func:`tried`; ``explore``: the file to name in the counterexample's ``harness
    explore`` command (report.html), or None for no command."""
    esc = html.escape
    kind = str(verdict.kind)
    name = html_text(verdict.name, NAME)
    parts = [f'<section class="verdict verdict-{esc(kind)}">', f"<h2>{name}</h2>",
             f'<p class="sentence"><strong>{name} {esc(verdict_words(verdict.kind))}.</strong> '
             f"{esc(found(verdict))}</p>"]
    if verdict.counterexample is not None:
        parts.append(f'<pre class="call">{esc(call(verdict))}</pre>')
        parts.append(f"<p>Layer: <code>{esc(str(verdict.layer))}</code></p>")
        parts.append('<table class="outputs">' + "".join(
            f"<tr><th>{esc(label)}</th><td><code>{esc(value)}</code></td></tr>"
            for label, value in outputs(verdict)) + "</table>")
        rows = step_rows(verdict) or side_rows(verdict)
        if rows:
            head = "".join(f"<th>{esc(c)}</th>" for c in rows[0])
            body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>"
                           for r in rows[1:])
            parts.append(f'<table class="steps"><tr>{head}</tr>{body}</table>')
        parts += _hints_html(verdict)
        parts.append(f"<p>{esc(tried(verdict, secret=secret))} See Keras's answer "
                     "yourself:</p>")
        parts.append(f'<pre class="probe">{esc(probe_command(verdict))}</pre>')
        if explore is not None:
            parts.append('<p class="explore">Or explore it step by step in a page (change '
                         "the weights and inputs, see Keras's output beside yours):</p>")
            command = clean(explore_command(verdict, explore))  # the file's name is the student's
            parts.append(f'<pre class="explore">{esc(command)}</pre>')
    if pictures:
        parts.append('<div class="pictures">' + "".join(pictures) + "</div>")
    parts.append("</section>")
    return "\n".join(parts) + "\n"


def _hints_html(verdict: Verdict) -> list[str]:
    said, regimes = _hint_parts(verdict)
    if not said:
        return []
    out = ['<div class="hints">']
    for i, line in enumerate(said):
        out.append(f"<p>{html.escape(line)}</p>")
        if i == 0 and regimes:
            out.append('<pre class="regimes">' + html.escape("\n".join(regimes)) + "</pre>")
    out.append("</div>")
    return out
