"""The audit's mutation operators on small sources: pure syntax trees, no Keras."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap

import pytest

from harness.grading.mutants import OPERATORS, Mutant, mutants_of

HEADER = "import numpy as np\nfrom harness import PART_A, hypothesis\n\n"
SQUARE = {"kernel": (1, 1), "recurrent_kernel": (1, 1)}


def mutate(body: str, shapes: dict[str, tuple[int, ...]] | None = None,
           header: str = HEADER) -> list[Mutant]:
    source = header + "@hypothesis(PART_A)\ndef f(kernel, recurrent_kernel, xs):\n" + \
        textwrap.indent(textwrap.dedent(body), "    ")
    return mutants_of(source, "f", shapes)


def bodies(mutants: list[Mutant], operator: str) -> list[str]:
    """The mutated function bodies of one operator, one line each."""
    return [" / ".join(line.strip() for line in m.source.splitlines()[2:])
            for m in mutants if m.operator == operator]


def test_swap_operands_of_minus_divide_and_matmul_only() -> None:
    found = mutate("return xs - kernel + xs / recurrent_kernel + xs @ kernel + xs * kernel")
    assert bodies(found, "swap-operands") == [
        "return kernel - xs + xs / recurrent_kernel + xs @ kernel + xs * kernel",
        "return xs - kernel + recurrent_kernel / xs + xs @ kernel + xs * kernel",
        "return xs - kernel + xs / recurrent_kernel + kernel @ xs + xs * kernel"]


def test_transpose_is_added_to_a_matmul_operand_and_dropped_where_written() -> None:
    assert bodies(mutate("return xs @ kernel"), "transpose") == [
        "return xs.T @ kernel", "return xs @ kernel.T"]
    assert bodies(mutate("return kernel.T * np.transpose(xs)"), "transpose") == [
        "return kernel * np.transpose(xs)", "return kernel.T * xs"]


def test_shift_index_swaps_zero_and_one_and_moves_minus_one() -> None:
    found = mutate("return kernel[0, 1] * xs[-1] + xs[:-1].sum()")
    assert bodies(found, "shift-index") == [
        "return kernel[1, 1] * xs[-1] + xs[:-1].sum()",
        "return kernel[0, 0] * xs[-1] + xs[:-1].sum()",
        "return kernel[0, 1] * xs[-2] + xs[:-1].sum()",
        "return kernel[0, 1] * xs[-1] + xs[:-2].sum()"]
    assert bodies(found, "small-constant") == []  # an index is shift-index's alone


def test_drop_term_keeps_either_side_of_a_sum() -> None:
    assert bodies(mutate("return xs * kernel + recurrent_kernel"), "drop-term") == [
        "return xs * kernel", "return recurrent_kernel"]


def test_swap_name_only_between_weights_of_the_same_shape() -> None:
    body = "return xs @ kernel + recurrent_kernel"
    assert bodies(mutate(body, SQUARE), "swap-name") == [
        "return xs @ recurrent_kernel + recurrent_kernel", "return xs @ kernel + kernel"]
    assert bodies(mutate(body, {"kernel": (1, 2), "recurrent_kernel": (2, 2)}),
                  "swap-name") == []
    assert bodies(mutate(body), "swap-name") == []  # no shapes known: nothing swapped


def test_small_constant_changes_zero_one_two_but_not_booleans_or_minus_one() -> None:
    found = mutate("h = np.zeros(1)\nflag = True\nreturn h * 2.0 - 1 + xs[-1] * 7")
    assert bodies(found, "small-constant") == [
        "h = np.zeros(0) / flag = True / return h * 2.0 - 1 + xs[-1] * 7",
        "h = np.zeros(2) / flag = True / return h * 2.0 - 1 + xs[-1] * 7",
        "h = np.zeros(1) / flag = True / return h * 0.0 - 1 + xs[-1] * 7",
        "h = np.zeros(1) / flag = True / return h * 1.0 - 1 + xs[-1] * 7",
        "h = np.zeros(1) / flag = True / return h * 2.0 - 0 + xs[-1] * 7",
        "h = np.zeros(1) / flag = True / return h * 2.0 - 2 + xs[-1] * 7"]


def test_loop_range_cuts_one_step_at_either_end() -> None:
    found = mutate("h = 0\nfor t in range(len(xs)):\n    h = h + xs[t]\nreturn h")
    assert [b.split(" / ")[1] for b in bodies(found, "loop-range")] == [
        "for t in range(len(xs))[1:]:", "for t in range(len(xs))[:-1]:"]


def test_gate_order_swaps_two_gates_of_an_unpacking() -> None:
    found = mutate("i, f, c, o = xs[0] * kernel[0]\nh, s = (1, 2)\nreturn o * c")
    swapped = [b.split(" = ")[0] for b in bodies(found, "gate-order")]
    assert swapped == ["f, i, c, o", "c, f, i, o", "o, f, c, i", "i, c, f, o", "i, o, c, f",
                       "i, f, o, c"]  # all six swaps of two; the pair (h, s) is no gate list


def test_activation_removed_or_added_around_a_value() -> None:
    found = mutate("h = np.tanh(xs @ kernel)\nstates = []\nreturn h")
    assert bodies(found, "activation") == [
        "h = xs @ kernel / states = [] / return h",  # removed; none added to a literal
        "h = np.tanh(xs @ kernel) / states = [] / return np.tanh(h)"]
    without_numpy = mutate("h = xs\nreturn h", header="from harness import PART_A, hypothesis\n")
    assert bodies(without_numpy, "activation") == []  # no np to call


def test_mutants_are_distinct_loadable_modules_with_only_their_hypothesis() -> None:
    source = (HEADER + "SCALE = 1\n\ndef helper(v):\n    return v\n\n"
              "@hypothesis(PART_A)\ndef other(kernel, recurrent_kernel, xs):\n    return xs\n\n"
              "@hypothesis(PART_A)\ndef f(kernel, recurrent_kernel, xs):\n"
              "    \"\"\"Explained.\"\"\"\n    return helper(xs @ kernel - xs)\n")
    found = mutants_of(source, "f", SQUARE)
    assert found == mutants_of(source, "f", SQUARE)  # the same order every time
    assert len({m.source for m in found}) == len(found)
    assert {m.operator for m in found} <= set(OPERATORS)
    for mutant in found:
        tree = ast.parse(mutant.module)
        names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
        assert names == ["helper", "f"]  # the other hypothesis is left out, helpers stay
        assert "SCALE = 1" in mutant.module and "Explained" not in mutant.source
        assert "return helper(xs @ kernel - xs)" not in mutant.source  # every one changed


def test_unknown_function_is_refused() -> None:
    with pytest.raises(ValueError, match="no top-level function 'g'"):
        mutants_of(HEADER + "def f(xs):\n    return xs\n", "g")


def test_importing_the_operators_imports_no_numpy_or_keras() -> None:
    code = ("import sys, harness.grading.mutants\n"
            "print(sorted(m for m in ('numpy', 'tensorflow', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
