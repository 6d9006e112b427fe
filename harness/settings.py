"""How hard the checker looks, and the defaults every front end shares.

Plain data that imports nothing of the harness, NumPy or Hypothesis: the pytest
plugin reads these defaults when pytest loads it (for the option help and the
header), and only then, in the hooks that check something, imports the checker.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The seed every front end uses unless told another (``--seed``, an assignment's ``seed``).
DEFAULT_SEED = 20240601
DEFAULT_CASES = 200
#: Most cases a run may ask for per hypothesis (more would never end in class time).
MAX_CASES = 100_000
#: Fresh cases (in range) per claim when grading with a secret.
DEFAULT_FRESH = 50
#: Seconds spent looking for one refuted hypothesis's hints, by default and at most
#: (``--hint-seconds``, ``hint_seconds=``).
DEFAULT_BUDGET = 2.0
MAX_BUDGET = 600.0
#: The grading worker's address-space limit in MB (an assignment's ``memory_mb``).
DEFAULT_MEMORY_MB = 1536


@dataclass(frozen=True)
class CheckSettings:
    """How hard to look.

    ``cases``: cases screened per hypothesis (notebook cases, then ``drawn`` cases
    drawn by Hypothesis, then seeded samples).  ``search``: most examples
    Hypothesis tries when looking for a minimal counterexample.  ``secret``
    (grading; bytes, or text taken as UTF-8): when set, every seed comes from it
    and ``seed`` (so nobody without the secret can know the cases), and a claim
    that holds on the screening set is also checked on ``fresh`` cases of its
    own (see :meth:`harness.engine.checker.Checker.fresh`).  Never shown: it is left out
    of the settings' ``repr``.
    """

    seed: int = DEFAULT_SEED
    cases: int = DEFAULT_CASES
    drawn: int = 25
    search: int = 300
    secret: bytes | str | None = field(default=None, repr=False)
    fresh: int = DEFAULT_FRESH

    @property
    def secret_bytes(self) -> bytes | None:
        """The secret as bytes (text is taken as UTF-8)."""
        return self.secret.encode() if isinstance(self.secret, str) else self.secret
