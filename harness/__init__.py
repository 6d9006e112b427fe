"""RNN Hypothesis Harness: check what you think an RNN's weights do against real Keras.

Write each hypothesis as a formula::

    import numpy as np
    from harness import hypothesis, PART_A

    @hypothesis(PART_A, name="Hypothesis #2")
    def input_plus_feedback(kernel, recurrent_kernel, xs):
        h = np.zeros(1)
        for x in xs:
            h = x @ kernel + h @ recurrent_kernel
        return h

The same works for any Keras layer with weights, e.g.
``@hypothesis(Layer("Conv1D", filters=1, kernel_size=3, input_shape=(6, 1)))`` with
parameters ``kernel``, ``bias`` and ``x`` (one input sample).

Then run ``pytest hypotheses/`` or ``harness check hypotheses/``, or, in a notebook,
``harness.check(input_plus_feedback)``.  Importing this package does not import
TensorFlow, Keras or pandas.
"""

import os as _os
from typing import TYPE_CHECKING, Any

# TensorFlow's C++ start-up lines (CPU features, oneDNN, absl) are not a student's business:
# quiet them before anything imports TensorFlow, e.g. a notebook's `import keras` in the
# cell after `import harness` (a value the user set wins).
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from harness.claims import Claim, hypothesis
from harness.course import PART_A, PART_B, PART_C
from harness.errors import HarnessError
from harness.layers import GRU, LSTM, Layer, LayerSpec, SimpleRNN

if TYPE_CHECKING:
    from harness.notebook import CheckResult, check

__version__ = "0.1.0"

__all__ = [
    "GRU",
    "LSTM",
    "PART_A",
    "PART_B",
    "PART_C",
    "CheckResult",
    "Claim",
    "HarnessError",
    "Layer",
    "LayerSpec",
    "SimpleRNN",
    "__version__",
    "check",
    "hypothesis",
]


def __getattr__(name: str) -> Any:
    """``check`` and ``CheckResult`` on first use: the checker (and Hypothesis) stay
    unimported where only formulas run, e.g. in a grading worker (~0.35 s of CPU each)."""
    if name in ("check", "CheckResult"):
        from harness import notebook

        return getattr(notebook, name)
    raise AttributeError(f"module 'harness' has no attribute {name!r}")
