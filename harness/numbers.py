"""Numbers as a student writes them: 3 not 3.0, 0.25 not 2.5e-01."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def format_number(value: float) -> str:
    """Shortest faithful text for one number (integers without ``.0``)."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = np.format_float_positional(value, precision=10, unique=True, trim="-")
    if len(text) > 14:
        text = np.format_float_scientific(value, precision=6, unique=False, trim="-")
    return text


def format_array(value: Any) -> str:
    """Nested lists of formatted numbers: ``[[1, 0.5], [2, 3]]``."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        return format_number(float(array))
    return "[" + ", ".join(format_array(x) for x in array) + "]"


def to_plain(value: Any) -> Any:
    """Nested lists of Python floats (ints where exact), for JSON."""
    return _plain(np.asarray(value, dtype=np.float64).tolist())


def _plain(x: Any) -> Any:
    if isinstance(x, list):
        return [_plain(item) for item in x]
    if not math.isfinite(x):
        return format_number(x)  # JSON has no NaN/inf: say it in words
    return int(x) if x == int(x) and abs(x) < 1e15 else x
