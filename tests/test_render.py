"""The one renderer (issue 9.5): the failing call pastes and runs, every format shows
the same case, and hints read as scopes a student can paste."""

from __future__ import annotations

import numpy as np

from harness import PART_A, PART_B
from harness.output.render import (
    call,
    case_text,
    failure_text,
    hints_text,
    layer_name,
    probe_command,
    verdict_html,
    verdict_markdown,
)
from harness.verdict import REFUTED, Counterexample, Hints, Regime, Verdict

CASE = {"kernel": [[1]], "recurrent_kernel": [[-1]], "xs": [[1], [0], [0]]}


def _verdict(params: tuple[str, ...] = ("kernel", "recurrent_kernel", "xs"),
             hints: Hints | None = None, **changes: object) -> Verdict:
    fields: dict[str, object] = dict(
        file="h.py", function="hypothesis_1", name="Hypothesis #1", layer=PART_A,
        scope="all weights and sequences", recorded=False, kind=REFUTED, cases=260, seed=1,
        counterexample=Counterexample(CASE, [1], [-1], [[1], [-1], [1]]), params=params,
        hints=hints)
    fields.update(changes)
    return Verdict(**fields)  # type: ignore[arg-type]


def hypothesis_1(kernel, recurrent_kernel, xs):  # the seed's Hypothesis #1
    inputs = xs[:, 0] * kernel[0, 0]
    return inputs[-1] + recurrent_kernel[0, 0] * inputs[:-1].sum()


def test_the_failing_call_is_the_issue_s_and_runs_when_pasted() -> None:
    text = call(_verdict())
    assert text == ("hypothesis_1(kernel=np.array([[1.]]), recurrent_kernel=np.array([[-1.]]), "
                    "xs=np.array([[1.], [0.], [0.]]))")
    assert eval(text, {"np": np, "hypothesis_1": hypothesis_1}) == -1


def test_the_call_has_only_the_parameters_the_formula_takes() -> None:
    assert call(_verdict(("kernel", "xs"))) == (
        "hypothesis_1(kernel=np.array([[1.]]), xs=np.array([[1.], [0.], [0.]]))")
    both = call(_verdict(("weights", "xs")))
    assert both.startswith("hypothesis_1(weights=[np.array([[1.]]), np.array([[-1.]])], xs=")
    assert call(_verdict(())).count("=np.array(") == 3  # unknown: every argument


def test_a_name_that_is_not_python_is_not_pasted() -> None:
    assert call(_verdict(function="<lambda>")).startswith("formula(kernel=")
    assert call(_verdict(function="f```\n# x")).startswith("formula(kernel=")


def test_fractions_stay_exact_in_the_call() -> None:
    case = {"kernel": [[0.25, -1.5]], "recurrent_kernel": [[0, 1], [1, 0]], "xs": [[2]]}
    verdict = _verdict(layer=PART_B, counterexample=Counterexample(case, [1, 2], [0, 0]))
    assert "kernel=np.array([[0.25, -1.5]])" in call(verdict)
    assert layer_name(PART_B) == "PART_B"


def test_every_format_shows_the_same_case_and_probe() -> None:
    verdict = _verdict(hints=Hints((Regime((("recurrent_kernel", 1),)), Regime((), (1, 2))), 3))
    probe = probe_command(verdict)
    assert probe == ("harness probe 'SimpleRNN(units=1, activation=\"linear\", use_bias=False)' "
                     "--weights '[[[1]], [[-1]]]' --xs '[1, 0, 0]'")
    for text in (failure_text(verdict), verdict_markdown(verdict)):
        assert call(verdict) in text and probe in text
        assert '@hypothesis(PART_A, fixed={"recurrent_kernel": 1})' in text
        assert "@hypothesis(PART_A, timesteps=[1, 2])" in text
        assert "at step 3 of the counterexample" in text
    page = verdict_html(verdict)
    assert '<section class="verdict verdict-refuted">' in page
    assert "np.array([[1.]])" in page and "&quot;recurrent_kernel&quot;: 1" in page
    assert "<table class=\"steps\">" in page
    assert case_text(CASE) == "kernel=[[1]], recurrent_kernel=[[-1]], xs=[[1], [0], [0]]"


def test_html_escapes_what_a_student_wrote() -> None:
    page = verdict_html(_verdict(name="<script>alert(1)</script>"))
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_hints_text_in_plain_words() -> None:
    lines = hints_text(Hints((), 2, ("recurrent_kernel",), complete=False), "PART_A")
    assert lines == [
        "It first disagrees with Keras at step 2 of the counterexample.",
        "With recurrent_kernel set to 0, the counterexample agrees with Keras: look first at "
        "how your formula uses recurrent_kernel.",
        "(The search for hints ran out of time, so there may be more.)"]
    assert hints_text(None, "PART_A") == []
    nothing = hints_text(Hints(), "PART_A")
    assert nothing[0].startswith("No simpler setting was found where it holds")


def test_the_where_hint_comes_from_the_verdict_not_its_scope_text() -> None:
    hints = Hints((Regime((("recurrent_kernel", 1),)),))
    plain = failure_text(_verdict(hints=hints, scope="where positive(xs)"))
    assert "keeping your where= condition" not in plain  # the scope text is never parsed
    kept = _verdict(hints=hints, where=True)
    assert "keeping your where= condition" in failure_text(kept)
    assert Verdict.from_json(kept.to_json()) == kept
    assert "where" not in _verdict().to_json()  # stored as before without a condition


def test_failure_text_without_advice_drops_only_the_advice() -> None:
    verdict = _verdict()
    full, short = failure_text(verdict).splitlines(), failure_text(verdict, advice=False)
    assert "refuted=True" in full[-1] and short == "\n".join(full[:-1])
