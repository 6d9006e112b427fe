"""Checking in the notebook: ``harness.check(h1)`` in the cell where the hypothesis was formed.

:func:`check` takes a decorated function, a list of them, a module, or a path (a
``.py`` file, a notebook, or a folder of them) and returns a :class:`CheckResult`:
in Jupyter it displays as HTML (verdict, counterexample, step table, hints,
pictures, all from :mod:`harness.output.render`), elsewhere as the usual text.

Functions defined in notebook cells work: the harness never needs their source
file.  The kernel's :data:`SESSION` keeps one oracle (one Keras layer per layer
description) and the checkers of the last few settings, so checking again after
editing a cell is quick.
"""

from __future__ import annotations

import html
import os
import types
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.claims import Claim, claim_of, claims_in, kernel_cell
from harness.collect import collect
from harness.engine.checker import DEFAULT_CASES, DEFAULT_SEED, CheckSettings
from harness.errors import UsageError
from harness.sentences import Recorded, verdict_sentence
from harness.verdict import HOLDS, LoadFailure, Verdict

if TYPE_CHECKING:
    from harness.engine.checker import Checker
    from harness.engine.oracle import Oracle

#: Checkers kept for the most recent settings (a checker's memos are per settings).
KEPT_CHECKERS = 4


class Session:
    """What the kernel keeps between checks: one oracle for every check (each Keras layer
    is built and traced once) and the checkers of the last :data:`KEPT_CHECKERS`
    settings, so checking again after editing a cell is quick and a loop over many
    seeds does not keep a checker per seed."""

    def __init__(self) -> None:
        self._oracle: Oracle | None = None
        self._checkers: dict[CheckSettings, Checker] = {}

    def checker(self, settings: CheckSettings) -> Checker:
        from harness.engine.checker import Checker
        from harness.engine.oracle import Oracle

        if self._oracle is None:
            self._oracle = Oracle()
        checker = self._checkers.pop(settings, None) or Checker(settings, oracle=self._oracle)
        self._checkers[settings] = checker  # the most recent last
        for old in list(self._checkers)[:-KEPT_CHECKERS]:
            del self._checkers[old]
        return checker


#: The kernel's session: a notebook's state lives as long as its kernel.
SESSION = Session()

STYLE = """<style>
.harness-check{font-family:system-ui,sans-serif;line-height:1.4}
.harness-check .verdict{border-left:6px solid #888;padding:4px 12px;margin:8px 0}
.harness-check .verdict-holds{border-color:#1a7f37}
.harness-check .verdict-refuted{border-color:#d1242f}
.harness-check .verdict-error,.harness-check .verdict-timeout,
.harness-check .verdict-crashed{border-color:#9a6700}
.harness-check h2{font-size:1.1em;margin:4px 0}
.harness-check table{border-collapse:collapse;margin:4px 0}
.harness-check th,.harness-check td{border:1px solid #ccc;padding:2px 8px;text-align:left}
.harness-check pre{background:#f6f8fa;padding:6px;white-space:pre-wrap}
.harness-check .where{color:#57606a;font-size:.9em}
.harness-check .surprises{color:#3e1f79;font-weight:600}
.harness-check svg.picture{max-width:100%;height:auto}
</style>"""


@dataclass
class CheckResult:
    """What :func:`check` found: one verdict per hypothesis, and files that did not load.

    Iterate over it (or index it) for the :class:`~harness.verdict.Verdict` objects."""

    verdicts: list[Verdict] = field(default_factory=list)
    failures: list[LoadFailure] = field(default_factory=list)
    settings: CheckSettings = field(default_factory=CheckSettings)

    @property
    def ok(self) -> bool:
        """True when every verdict is what was recorded and every file loaded."""
        return not self.failures and all(v.as_expected for v in self.verdicts)

    def __iter__(self) -> Iterator[Verdict]:
        return iter(self.verdicts)

    def __len__(self) -> int:
        return len(self.verdicts)

    def __getitem__(self, index: int) -> Verdict:
        return self.verdicts[index]

    def __str__(self) -> str:
        return text(self)

    def __repr__(self) -> str:
        return text(self)

    def _repr_html_(self) -> str:
        return page(self)


def check(target: Any, *, seed: int = DEFAULT_SEED, cases: int = DEFAULT_CASES,
          hints: bool = True) -> CheckResult:
    """Check hypotheses against the real Keras layer and show what was found.

    ``target``: a function decorated with ``@hypothesis``, a list of them, a module,
    or a path (a ``.py`` file, a ``.ipynb`` notebook, or a folder of them).
    ``hints=False`` leaves out the hints (where a refuted hypothesis holds).
    """
    claims, failures = _claims(target)
    if not claims and not failures:
        raise UsageError(f"no hypotheses found in {_describe(target)}. Decorate a function "
                         "with @hypothesis(...) and pass the function itself: "
                         "harness.check(my_hypothesis).")
    settings = CheckSettings(seed=seed, cases=cases)
    checker = SESSION.checker(settings)
    result = CheckResult(failures=failures, settings=checker.settings)
    from harness.engine.extras import enrich_all

    verdicts = enrich_all(checker, claims, [checker.check(claim) for claim in claims],
                          hints=hints)
    result.verdicts = [_shown(verdict) for verdict in verdicts]
    for claim in claims:  # running a cell again makes a new condition: a new memo key
        if claim.scope.where is not None:
            checker.forget(claim.scope.where)
    from harness.engine import lookalike

    result.verdicts = lookalike.group(result.verdicts)
    return result


def _claims(target: Any) -> tuple[list[Claim], list[LoadFailure]]:
    if isinstance(target, (str, os.PathLike)):
        found = collect([Path(target)])
        return found.claims, found.failures
    if isinstance(target, types.ModuleType):
        return claims_in(target), []
    if isinstance(target, (list, tuple)):
        claims, failures = [], []
        for item in target:
            more, broken = _claims(item)
            claims += more
            failures += broken
        return claims, failures
    claim = claim_of(target)
    if claim is None:
        raise UsageError(
            f"harness.check needs a function decorated with @hypothesis(...), a list of "
            f"them, a module, or a path to a .py file, notebook or folder. Received: "
            f"{_describe(target)}. Did you forget the @hypothesis(...) line above def?")
    return [claim], []


def _describe(target: Any) -> str:
    text = repr(target)
    return text if len(text) <= 80 else text[:77] + "..."




def _shown(verdict: Verdict) -> Verdict:
    """A function defined in a notebook cell lives in a file the kernel made up
    (``/tmp/ipykernel_.../123.py``): name it by the cell's ``In [n]`` instead."""
    number = kernel_cell(verdict.file)
    return verdict if number is None else replace(verdict, file=f"cell In [{number}]")


# ------------------------------------------------------------------ showing it

def text(result: CheckResult) -> str:
    """The result as plain text: one line per hypothesis, then what went wrong."""
    from harness.engine import lookalike
    from harness.output import render
    from harness.surprises import lead_lines, ordered

    shown = ordered(result.verdicts)  # surprises first
    lines = [_count(result), *lead_lines(shown, result.failures)]
    for v in shown:
        mark = "ok" if v.as_expected else "!!"
        lines.append(f"  [{mark}] {verdict_sentence(v.name, v, Recorded.IF_HOLDS)}: {_where(v)}")
    lines += ["  " + line for line in lookalike.sentences(result.verdicts)]
    for v in shown:
        if v.kind != HOLDS or not v.as_expected:
            body = render.failure_text(v, advice=not v.as_expected)
            lines += ["", render.RULE, *body.splitlines()]
    for failure in result.failures:
        lines += ["", render.RULE, failure.message]
    return "\n".join(lines)


def page(result: CheckResult) -> str:
    """The result as HTML for Jupyter: each verdict through :func:`render.verdict_html`,
    with its pictures."""
    from harness.engine import lookalike
    from harness.output import render
    from harness.surprises import heading, items, ordered

    found = items(result.verdicts, result.failures)
    parts = [STYLE, '<div class="harness-check">', f"<p><strong>{html.escape(_count(result))}"
             "</strong></p>", f'<p class="surprises">{html.escape(heading(len(found)))}</p>']
    if found:
        parts.append('<ul class="surprises">' + "".join(
            f"<li>{html.escape(line)}</li>" for line in found) + "</ul>")
    for sentence in lookalike.sentences(result.verdicts):
        parts.append(f"<p>{html.escape(sentence)}</p>")
    for v in ordered(result.verdicts):
        section = render.verdict_html(v, _pictures(v))
        where = f'<p class="where">{html.escape(_where(v))}</p>\n'
        end = section.rfind("</section>")
        parts.append(section[:end] + where + section[end:] if end >= 0 else section + where)
    for failure in result.failures:
        parts.append('<section class="verdict verdict-error"><h2>'
                     f"{html.escape(Path(failure.file).name)}: {html.escape(failure.what)}</h2>"
                     f"<pre>{html.escape(failure.message)}</pre></section>")
    parts.append("</div>")
    return "\n".join(parts)


def _pictures(verdict: Verdict) -> list[str]:
    if verdict.counterexample is None or verdict.kind == HOLDS:
        return []
    from harness.output.pictures import svgs

    return svgs(verdict)


def _count(result: CheckResult) -> str:
    kinds: dict[str, int] = {}
    for v in result.verdicts:
        kinds[str(v.kind)] = kinds.get(str(v.kind), 0) + 1
    told = ", ".join(f"{n} {kind}" for kind, n in kinds.items())
    total = len(result.verdicts)
    line = f"{total} hypothes{'is' if total == 1 else 'es'} checked against Keras"
    line += f": {told}" if told else ""
    if result.failures:
        line += f"; {len(result.failures)} file(s) could not be imported"
    return line + f" (seed {result.settings.seed}, {result.settings.cases} cases each)."



def _where(v: Verdict) -> str:
    from harness.faults import place

    where = place(v.file, v.line)
    if where.startswith(("line", "somewhere")):
        where = f"{Path(v.file).name}, {where}"
    return f"{v.function} in {where}"
