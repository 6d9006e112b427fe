"""The programmatic API behind the CLI: check files, probe a layer."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harness.cases import make_case
from harness.claims import Claim
from harness.collect import Collection, collect
from harness.engine import lookalike
from harness.engine.checker import Checker, CheckSettings
from harness.engine.extras import enrich_all
from harness.engine.hints import DEFAULT_BUDGET
from harness.errors import UsageError
from harness.layers import Layer
from harness.parse import parse_layer
from harness.verdict import LoadFailure, Verdict


@dataclass
class CheckRun:
    """Everything one ``harness check`` produced."""

    settings: CheckSettings
    verdicts: list[Verdict] = field(default_factory=list)
    failures: list[LoadFailure] = field(default_factory=list)
    #: The claims checked (one per verdict, same order) and the checker that judged them.
    claims: list[Claim] = field(default_factory=list)
    checker: Checker | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """True when every verdict is what its file records and every file loaded."""
        return not self.failures and all(v.as_expected for v in self.verdicts)


def check_paths(paths: Iterable[str | Path], settings: CheckSettings | None = None,
                on_verdict: Callable[[Verdict], None] | None = None, *, hints: bool = True,
                hint_seconds: float = DEFAULT_BUDGET) -> CheckRun:
    """Collect the hypotheses under ``paths`` and check each against Keras (a refuted
    one gets hints, at most ``hint_seconds`` each, unless ``hints`` is False).

    Raises :class:`UsageError` when there is nothing to check (see :func:`find`).
    """
    return check_found(find(paths), settings, on_verdict, hints=hints,
                       hint_seconds=hint_seconds)


def find(paths: Iterable[str | Path]) -> Collection:
    """The hypotheses under ``paths`` (files that failed to import count as found).

    Raises :class:`UsageError` ("no hypotheses found in ...") when there are none.
    """
    paths = list(paths)
    found: Collection = collect(paths)
    if not found.claims and not found.failures:
        where = ", ".join(str(p) for p in paths) or "(no path given)"
        raise UsageError(
            f"no hypotheses found in {where}. A hypothesis is a function decorated with "
            "@hypothesis(...) in a .py file or a notebook (.ipynb; files whose names start "
            "with _ are skipped); "
            "give the files, or the folder that holds them.")
    return found


def check_found(found: Collection, settings: CheckSettings | None = None,
                on_verdict: Callable[[Verdict], None] | None = None, *, hints: bool = True,
                hint_seconds: float = DEFAULT_BUDGET, checker: Checker | None = None) -> CheckRun:
    """Check every claim ``found`` (from :func:`find`) against Keras, with hints for
    the refuted ones that need them most (see :mod:`harness.engine.extras`).

    ``checker`` (``harness watch``) is a warm one to reuse, with its layers traced and
    its memos; it carries its own settings (``settings`` is then not used)."""
    checker = checker or Checker(settings)
    run = CheckRun(checker.settings, failures=list(found.failures),
                   claims=list(found.claims), checker=checker)
    for claim in found.claims:
        verdict = checker.check(claim)
        run.verdicts.append(verdict)
        if on_verdict is not None:
            on_verdict(verdict)
    # then the teaching extras, for the few that need them most (harness.engine.extras)
    run.verdicts = enrich_all(checker, found.claims, run.verdicts, hints=hints,
                              budget=hint_seconds)
    run.verdicts = lookalike.group(run.verdicts)  # same_as: hypotheses that behave alike
    return run


def probe(layer: str | Layer, weights: Sequence[Any], xs: Any) -> np.ndarray:
    """What the real Keras layer outputs for these weights and this input sample."""
    from harness.engine.oracle import predict

    spec = parse_layer(layer) if isinstance(layer, str) else layer
    spec.validate()
    return predict(spec, make_case(spec, weights, xs))
