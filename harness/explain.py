"""Explaining a verdict in words: the text a student reads when a hypothesis fails.

First the minimal case as a call, then Keras's output against the
hypothesis's, the difference, a step-by-step table of what Keras computed, and
what to do next -- never a traceback into the harness.
"""

from __future__ import annotations

import json

import numpy as np

from harness.numbers import format_array, to_plain
from harness.verdict import ERROR, HOLDS, Verdict


def call_text(verdict: Verdict) -> str:
    """``Hypothesis #1(kernel=[[1]], recurrent_kernel=[[-1]], xs=[[1], [0], [0]])``."""
    assert verdict.counterexample is not None
    args = ", ".join(f"{k}={format_array(v)}" for k, v in verdict.counterexample.case.items())
    return f"{verdict.name}({args})"


def probe_command(verdict: Verdict) -> str:
    """The ``harness probe`` command that reproduces the counterexample's Keras output."""
    assert verdict.counterexample is not None
    case = verdict.counterexample.case
    weights = [to_plain(case[name]) for name in verdict.layer.weight_names]
    xs = case["xs"]
    flat = [row[0] for row in xs] if verdict.layer.input_dim == 1 else xs
    layer = str(verdict.layer)
    return (f"harness probe '{layer}' --weights '{json.dumps(weights)}' "
            f"--xs '{json.dumps(to_plain(flat))}'")


def explain(verdict: Verdict) -> str:
    """The full failure text for a verdict that is not what the student recorded."""
    if verdict.verdict == HOLDS:
        return _holds_but_recorded_refuted(verdict)
    if verdict.counterexample is None:
        return f"{verdict.name} could not be checked: {verdict.message}."
    lines = [_headline(verdict), "", "  " + call_text(verdict),
             f"  layer: {verdict.layer}", ""]
    lines += _outputs(verdict)
    lines += _step_table(verdict)
    lines += ["", _tried(verdict), "Check it by hand, or with Keras:",
              "  " + probe_command(verdict)]
    lines += _next_steps(verdict)
    return "\n".join(lines)


def _headline(verdict: Verdict) -> str:
    if verdict.verdict == ERROR:
        return f"{verdict.name} could not be checked: {verdict.message}, on this case:"
    return f"{verdict.name} is refuted: it disagrees with Keras on this case:"


def _outputs(verdict: Verdict) -> list[str]:
    ce = verdict.counterexample
    assert ce is not None
    rows = [("Keras output:", format_array(ce.keras_output))]
    if ce.hypothesis_output is not None:
        got = np.asarray(ce.hypothesis_output, dtype=np.float64)
        want = np.asarray(ce.keras_output, dtype=np.float64)
        rows.append(("hypothesis output:", format_array(got)))
        if got.shape == want.shape and np.isfinite(got).all():
            rows.append(("difference:", f"{format_array(got - want)}   (hypothesis - Keras)"))
    width = max(len(label) for label, _ in rows)
    return [f"  {label:<{width}}  {value}" for label, value in rows]


def _step_table(verdict: Verdict) -> list[str]:
    """Keras's output after each step, so the case can be followed by hand."""
    ce = verdict.counterexample
    assert ce is not None
    steps = ce.keras_steps if ce.keras_steps is not None else ce.keras_output
    xs = ce.case["xs"]
    if steps is None or len(xs) < 2 or len(steps) != len(xs):
        return []
    header = ("step", "xs", "Keras output after this step")
    rows = [(str(t + 1), format_array(x), format_array(h))
            for t, (x, h) in enumerate(zip(xs, steps, strict=True))]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    return ["", *["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                  for r in [header, *rows]]]


def _tried(verdict: Verdict) -> str:
    return (f"Tried {verdict.cases} cases (seed {verdict.seed}); this is the smallest case "
            f"found that {'fails' if verdict.verdict == ERROR else 'disagrees'}.")


def _next_steps(verdict: Verdict) -> list[str]:
    if verdict.verdict == ERROR:
        return ["Fix the formula so it returns the layer's output for every case "
                f"(shape {_shape_words(verdict)})."]
    return ["If you already know this hypothesis is false, record it: "
            "@hypothesis(..., refuted=True)."]


def _shape_words(verdict: Verdict) -> str:
    layer = verdict.layer
    return ("(timesteps, units) = one row per step" if layer.return_sequences
            else f"({layer.units},) = one number per unit")


def _holds_but_recorded_refuted(verdict: Verdict) -> str:
    return (f"{verdict.name} was recorded as refuted (refuted=True), but it HOLDS: it agreed "
            f"with Keras on all {verdict.cases} cases tried (seed {verdict.seed}).\n"
            f"Either the formula is not the one you refuted, or the hypothesis is true after "
            f"all: remove refuted=True if so.")
