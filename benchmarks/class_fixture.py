"""A synthetic class for the benchmark: N submissions x 6 hypotheses (2 per Part A, B, C).

Each student gets a deterministic mix (seeded by the student's index) of formulas
that are right, wrong and broken, written the way students of the course write
them: loops or matrix products, the notebook's own Hypothesis #1, swapped or
transposed weights, a wrong LSTM gate order, a forgotten recurrence, an
off-by-one step, a wrong output shape, code that raises, a forgotten ``return``.
About one claim in six has a scope (``fixed=``, ``timesteps=``, ``where=``).

The layout is the one ``harness grade`` reads: ``ROOT/<student>/part_a.py``,
``part_b.py``, ``part_c.py``.  :func:`write_class` returns a manifest with every
claim's file, function, variant and expected verdict (``holds`` / ``refuted`` /
``error``), so the benchmark can check the checker as well as time it.

Run ``python benchmarks/class_fixture.py DIR [--students N]`` to write one by hand.
"""

from __future__ import annotations

import argparse
import json
import random
import textwrap
from dataclasses import dataclass
from pathlib import Path

HOLDS, REFUTED, ERROR = "holds", "refuted", "error"
RIGHT, WRONG, BROKEN = "right", "wrong", "broken"

#: How often a student's claim is right, wrong or broken.
CATEGORY_WEIGHTS = {RIGHT: 0.4, WRONG: 0.4, BROKEN: 0.2}
CATEGORIES, WEIGHTS = list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values())


@dataclass(frozen=True)
class Variant:
    """One way of writing a hypothesis about a layer."""

    key: str
    part: str                 # "a", "b", "c"
    category: str             # right / wrong / broken
    params: str               # the formula's parameter list
    body: str                 # the formula's body (dedented)
    scope: str = ""           # extra @hypothesis arguments, e.g. 'fixed={...}'
    recorded_refuted: bool = False
    doc: str = ""

    @property
    def expected(self) -> str:
        return {RIGHT: HOLDS, WRONG: REFUTED, BROKEN: ERROR}[self.category]


def _v(key: str, category: str, params: str, body: str, *, scope: str = "",
       refuted: bool = False, doc: str = "") -> Variant:
    return Variant(key, key[0], category, params, textwrap.dedent(body).strip("\n"), scope,
                   refuted, doc)


K_R_X = "kernel, recurrent_kernel, xs"

PART_A_VARIANTS = [
    # -- right -------------------------------------------------------------------------------
    _v("a_loop", RIGHT, K_R_X, """
        h = np.zeros(1)
        for x in xs:
            h = x @ kernel + h @ recurrent_kernel
        return h
        """, doc="Hypothesis #2 of the notebook, as a loop."),
    _v("a_closed_form", RIGHT, K_R_X, """
        k, r = kernel[0, 0], recurrent_kernel[0, 0]
        n = len(xs)
        return sum(k * xs[t, 0] * r ** (n - 1 - t) for t in range(n))
        """, doc="Sum of k * x_t * r^(n-1-t)."),
    _v("a_weights_list", RIGHT, "weights, xs", """
        k, r = weights
        h = 0.0
        for x in xs[:, 0]:
            h = k[0, 0] * x + r[0, 0] * h
        return [h]
        """, doc="Scalars, via the weights list."),
    _v("a_short_sequences", RIGHT, K_R_X, """
        h = np.zeros(1)
        for x in xs:
            h = x @ kernel + h @ recurrent_kernel
        return h
        """, scope="timesteps=range(1, 5)", doc="Hypothesis #2 on short sequences."),
    _v("a_nonneg_feedback", RIGHT, K_R_X, """
        h = np.zeros(1)
        for x in xs:
            h = x @ kernel + h @ recurrent_kernel
        return h
        """, scope="where=lambda recurrent_kernel: recurrent_kernel[0, 0] >= 0",
        doc="Hypothesis #2 when the feedback weight is not negative."),
    # -- wrong -------------------------------------------------------------------------------
    _v("a_seed_h1", WRONG, K_R_X, """
        inputs = xs[:, 0] * kernel[0, 0]
        return inputs[-1] + recurrent_kernel[0, 0] * inputs[:-1].sum()
        """, refuted=True, doc="The notebook's Hypothesis #1."),
    _v("a_seed_h1_unit_kernel", WRONG, K_R_X, """
        inputs = xs[:, 0] * kernel[0, 0]
        return inputs[-1] + recurrent_kernel[0, 0] * inputs[:-1].sum()
        """, scope='fixed={"kernel": [[1]]}', refuted=True,
        doc="Hypothesis #1 with the first weight set to 1, as in the notebook."),
    _v("a_swapped", WRONG, K_R_X, """
        h = np.zeros(1)
        for x in xs:
            h = x @ recurrent_kernel + h @ kernel
        return h
        """, doc="The two weights swapped."),
    _v("a_forgets_recurrence", WRONG, K_R_X, """
        return xs[-1] @ kernel
        """, doc="Only the last input counts."),
    _v("a_skips_first", WRONG, K_R_X, """
        h = np.zeros(1)
        for x in xs[1:]:
            h = x @ kernel + h @ recurrent_kernel
        return h
        """, doc="Off by one: the first step is skipped."),
    _v("a_extra_step", WRONG, K_R_X, """
        h = np.zeros(1)
        for x in xs:
            h = x @ kernel + h @ recurrent_kernel
        return h @ recurrent_kernel
        """, doc="Off by one: one feedback too many."),
    _v("a_sum_inputs", WRONG, K_R_X, """
        return kernel[0, 0] * xs.sum()
        """, doc="First weight times the sum of the inputs."),
    # -- broken ------------------------------------------------------------------------------
    _v("a_all_steps", BROKEN, K_R_X, """
        h = np.zeros(1)
        outputs = []
        for x in xs:
            h = x @ kernel + h @ recurrent_kernel
            outputs.append(h)
        return np.array(outputs)
        """, doc="Returns every step (shape (T, 1)) for a layer that returns the last."),
    _v("a_previous_input", BROKEN, K_R_X, """
        return xs[-1] @ kernel + recurrent_kernel[0, 0] * (xs[-2] @ kernel)
        """, doc="IndexError on one-step sequences."),
    _v("a_no_return", BROKEN, K_R_X, """
        h = np.zeros(1)
        for x in xs:
            h = x @ kernel + h @ recurrent_kernel
        """, doc="Forgot the return."),
    _v("a_typo", BROKEN, K_R_X, """
        h = np.zeros(1)
        for x in xs:
            h = x @ kernel + h @ recurent_kernel  # noqa: F821
        return h
        """, doc="NameError."),
]

PART_B_VARIANTS = [
    # -- right -------------------------------------------------------------------------------
    _v("b_elementwise", RIGHT, K_R_X, """
        h = np.zeros(2)
        for x in xs:
            h = np.array([
                x[0] * kernel[0, 0] + h[0] * recurrent_kernel[0, 0] + h[1] * recurrent_kernel[1, 0],
                x[0] * kernel[0, 1] + h[0] * recurrent_kernel[0, 1] + h[1] * recurrent_kernel[1, 1],
            ])
        return h
        """, doc="The bundled Part B hypothesis."),
    _v("b_matrix", RIGHT, K_R_X, """
        h = np.zeros(2)
        for x in xs:
            h = x @ kernel + h @ recurrent_kernel
        return h
        """, doc="Matrix form."),
    _v("b_weights_list", RIGHT, "weights, xs", """
        w_in, w_back = weights
        h = np.zeros(w_back.shape[0])
        for x in xs:
            h = np.dot(x, w_in) + np.dot(h, w_back)
        return list(h)
        """, doc="np.dot via the weights list."),
    _v("b_diagonal_feedback", RIGHT, K_R_X, """
        h = np.zeros(2)
        for x in xs:
            h = x @ kernel + h * np.diag(recurrent_kernel)
        return h
        """, scope='fixed={"recurrent_kernel": [[None, 0], [0, None]]}',
        doc="Each unit feeds back only to itself, when the cross weights are 0."),
    # -- wrong -------------------------------------------------------------------------------
    _v("b_transposed", WRONG, K_R_X, """
        h = np.zeros(2)
        for x in xs:
            h = x @ kernel + recurrent_kernel @ h
        return h
        """, doc="Recurrent kernel transposed."),
    _v("b_self_feedback_only", WRONG, K_R_X, """
        h = np.zeros(2)
        for x in xs:
            h = x @ kernel + h * np.diag(recurrent_kernel)
        return h
        """, doc="Each unit feeds back only to itself."),
    _v("b_forgets_recurrence", WRONG, K_R_X, """
        return xs[-1] @ kernel
        """, doc="Only the last input counts."),
    _v("b_drops_last", WRONG, K_R_X, """
        h = np.zeros(2)
        for x in xs[:-1]:
            h = x @ kernel + h @ recurrent_kernel
        return h
        """, doc="Off by one: the last step is dropped."),
    _v("b_units_swapped", WRONG, K_R_X, """
        h = np.zeros(2)
        for x in xs:
            h = x @ kernel + h @ recurrent_kernel
        return h[::-1]
        """, doc="The two units in the wrong order."),
    # -- broken ------------------------------------------------------------------------------
    _v("b_sum_of_units", BROKEN, K_R_X, """
        h = np.zeros(2)
        for x in xs:
            h = x @ kernel + h @ recurrent_kernel
        return h.sum()
        """, doc="Returns one number for a two-unit layer."),
    _v("b_shape_error", BROKEN, K_R_X, """
        h = np.zeros(2)
        for x in xs:
            h = kernel @ x + h @ recurrent_kernel
        return h
        """, doc="ValueError: matmul shapes."),
    _v("b_inverse", BROKEN, K_R_X, """
        h = np.zeros(2)
        back = np.linalg.inv(recurrent_kernel)
        for x in xs:
            h = x @ kernel + h @ back
        return h
        """, doc="LinAlgError when the recurrent kernel is singular."),
]

PART_C_VARIANTS = [
    # -- right -------------------------------------------------------------------------------
    _v("c_gates_ifco", RIGHT, K_R_X, """
        h, c = 0.0, 0.0
        outputs = []
        for x in xs[:, 0]:
            i, f, candidate, o = x * kernel[0] + h * recurrent_kernel[0]
            c = f * c + i * candidate
            h = o * c
            outputs.append([h])
        return np.array(outputs)
        """, doc="The bundled Part C hypothesis."),
    _v("c_vector", RIGHT, K_R_X, """
        h, c = np.zeros(1), np.zeros(1)
        outputs = []
        for x in xs:
            z = x @ kernel + h @ recurrent_kernel
            i, f, g, o = z[0:1], z[1:2], z[2:3], z[3:4]
            c = f * c + i * g
            h = o * c
            outputs.append(h)
        return np.stack(outputs)
        """, doc="Vector form, gate slices."),
    _v("c_no_feedback_when_zero", RIGHT, K_R_X, """
        c = 0.0
        outputs = []
        for x in xs[:, 0]:
            i, f, candidate, o = x * kernel[0]
            c = f * c + i * candidate
            outputs.append([o * c])
        return outputs
        """, scope='fixed={"recurrent_kernel": [[0, 0, 0, 0]]}',
        doc="No recurrence when the recurrent weights are 0 (the notebook's setting)."),
    # -- wrong -------------------------------------------------------------------------------
    _v("c_gates_ifoc", WRONG, K_R_X, """
        h, c = 0.0, 0.0
        outputs = []
        for x in xs[:, 0]:
            i, f, o, candidate = x * kernel[0] + h * recurrent_kernel[0]
            c = f * c + i * candidate
            h = o * c
            outputs.append([h])
        return np.array(outputs)
        """, doc="Gate order i, f, o, c."),
    _v("c_gates_fico", WRONG, K_R_X, """
        h, c = 0.0, 0.0
        outputs = []
        for x in xs[:, 0]:
            f, i, candidate, o = x * kernel[0] + h * recurrent_kernel[0]
            c = f * c + i * candidate
            h = o * c
            outputs.append([h])
        return np.array(outputs)
        """, doc="Gate order f, i, c, o."),
    _v("c_no_forget", WRONG, K_R_X, """
        h, c = 0.0, 0.0
        outputs = []
        for x in xs[:, 0]:
            i, f, candidate, o = x * kernel[0] + h * recurrent_kernel[0]
            c = i * candidate
            h = o * c
            outputs.append([h])
        return np.array(outputs)
        """, doc="The cell forgets everything at each step."),
    _v("c_h_is_c", WRONG, K_R_X, """
        h, c = 0.0, 0.0
        outputs = []
        for x in xs[:, 0]:
            i, f, candidate, o = x * kernel[0] + h * recurrent_kernel[0]
            c = f * c + i * candidate
            h = c
            outputs.append([h])
        return np.array(outputs)
        """, doc="No output gate."),
    _v("c_no_recurrence", WRONG, K_R_X, """
        c = 0.0
        outputs = []
        for x in xs[:, 0]:
            i, f, candidate, o = x * kernel[0]
            c = f * c + i * candidate
            outputs.append([o * c])
        return np.array(outputs)
        """, doc="Ignores the recurrent kernel."),
    _v("c_cubes", WRONG, K_R_X, """
        return (xs * kernel[0, 0]) ** 3
        """, refuted=True, doc="'The output is the input cubed' (from the notebook's run)."),
    # -- broken ------------------------------------------------------------------------------
    _v("c_last_only", BROKEN, K_R_X, """
        h, c = 0.0, 0.0
        for x in xs[:, 0]:
            i, f, candidate, o = x * kernel[0] + h * recurrent_kernel[0]
            c = f * c + i * candidate
            h = o * c
        return [h]
        """, doc="Returns the last step only, for a return_sequences layer."),
    _v("c_unpack_kernel", BROKEN, K_R_X, """
        i, f, candidate, o = kernel
        h, c = 0.0, 0.0
        outputs = []
        for x in xs[:, 0]:
            c = f * c + i * candidate * x
            h = o * c
            outputs.append([h])
        return np.array(outputs)
        """, doc="ValueError: kernel has one row, not four."),
    _v("c_nan", BROKEN, K_R_X, """
        h, c = 0.0, 0.0
        outputs = []
        for x in xs[:, 0]:
            i, f, candidate, o = x * kernel[0] + h * recurrent_kernel[0]
            c = f * c + i * candidate
            h = o * c
            outputs.append([h / c * c])
        return np.array(outputs)
        """, doc="NaN whenever the cell is 0 (0/0)."),
]

VARIANTS = {"a": PART_A_VARIANTS, "b": PART_B_VARIANTS, "c": PART_C_VARIANTS}
PRESET = {"a": "PART_A", "b": "PART_B", "c": "PART_C"}


def by_key() -> dict[str, Variant]:
    return {v.key: v for pool in VARIANTS.values() for v in pool}


def choose(student: int, seed: int = 0) -> list[Variant]:
    """The six variants of one student: two distinct ones per part, deterministic."""
    rng = random.Random(f"{seed}:{student}")
    chosen: list[Variant] = []
    for part in ("a", "b", "c"):
        pool = VARIANTS[part]
        picked: list[Variant] = []
        while len(picked) < 2:
            category = rng.choices(CATEGORIES, weights=WEIGHTS)[0]
            options = [v for v in pool if v.category == category and v not in picked]
            if options:
                picked.append(rng.choice(options))
        chosen.extend(picked)
    return chosen


def source_for(part: str, variants: list[Variant], student: str) -> str:
    """One hypothesis file of one student."""
    lines = [f'"""Part {part.upper()}: hypotheses of {student} (generated for the benchmark)."""',
             "", "import numpy as np", "", f"from harness import {PRESET[part]}, hypothesis", ""]
    for number, variant in enumerate(variants, start=1):
        args = [PRESET[part], f'name="Part {part.upper()} hypothesis {number}"']
        if variant.recorded_refuted:
            args.append("refuted=True")
        if variant.scope:
            args.append(variant.scope)
        lines += ["", f"@hypothesis({', '.join(args)})",
                  f"def {variant.key}_{number}({variant.params}):",
                  textwrap.indent(f'"""{variant.doc}"""', "    "),
                  textwrap.indent(variant.body, "    "), ""]
    return "\n".join(lines)


def write_class(root: Path, students: int = 100, seed: int = 0) -> list[dict[str, object]]:
    """Write ``students`` submissions under ``root``; return the manifest (one row per claim)."""
    manifest: list[dict[str, object]] = []
    for index in range(students):
        student = f"student_{index:03d}"
        folder = root / student
        folder.mkdir(parents=True, exist_ok=True)
        chosen = choose(index, seed)
        for part in ("a", "b", "c"):
            variants = [v for v in chosen if v.part == part]
            path = folder / f"part_{part}.py"
            path.write_text(source_for(part, variants, student))
            for number, variant in enumerate(variants, start=1):
                manifest.append({
                    "student": student, "file": str(path.resolve()),
                    "function": f"{variant.key}_{number}", "variant": variant.key,
                    "part": part, "category": variant.category, "expected": variant.expected,
                    "scoped": bool(variant.scope),
                })
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    manifest = write_class(args.root, args.students, args.seed)
    (args.root / "manifest.json").write_text(json.dumps(manifest, indent=1))
    print(f"wrote {args.students} submissions, {len(manifest)} hypotheses under {args.root}")


if __name__ == "__main__":
    main()
