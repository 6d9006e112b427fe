"""One exception hierarchy for the whole harness.

Every error a user can see is a :class:`HarnessError`.  Misuse errors also
subclass the matching builtin (``TypeError``, ``ValueError``) so callers that
catch the builtin keep working.  Messages quote what was received and say how
to fix it, in words a first-year student can act on.
"""

from __future__ import annotations


class HarnessError(Exception):
    """Root of every error raised on purpose by the harness."""


class LayerSpecError(HarnessError, ValueError):
    """A layer description (``SimpleRNN(...)``, ``LSTM(...)``, ``GRU(...)``) is invalid."""


class ClaimError(HarnessError, TypeError):
    """A ``@hypothesis`` declaration is malformed (found when its file is imported)."""


class ClaimWarning(UserWarning):
    """A ``@hypothesis`` declaration is broken (outside a harness run, where it is
    reported as the hypothesis's error verdict instead): the message says how to fix it."""


class ScopeError(ClaimError):
    """A hypothesis's scope (``fixed=``, ``timesteps=``, ``where=``) is malformed."""


class CaseError(HarnessError, ValueError):
    """Weights or an input sequence do not fit the layer (wrong shape, not numbers)."""


class LoadError(HarnessError):
    """A hypothesis file could not be imported (syntax error, import error, ...)."""


class UsageError(HarnessError, ValueError):
    """A command-line or API call was used the wrong way."""


class AssignmentError(HarnessError, ValueError):
    """An assignment spec (TOML) is malformed."""


class SandboxError(HarnessError):
    """The grading sandbox is not available here (say what is missing and how to get it)."""


class ExplorerInputError(HarnessError, ValueError):
    """What the explorer page sent does not fit the layer (a weight that is not a number,
    too many steps): the message is shown in the page."""
