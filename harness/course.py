"""The exercise "Understanding the Weights in RNNs": its three layers and its cases.

``PART_A``, ``PART_B`` and ``PART_C`` are the layers exactly as the notebook
builds them.  ``NOTEBOOK_CASES`` holds every weight setting and sequence the
notebook tries, with the output Keras printed; the harness always includes
them among the cases it checks.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from harness.layers import LSTM, Layer, SimpleRNN

PART_A = SimpleRNN(units=1, activation="linear", use_bias=False)
PART_B = SimpleRNN(units=2, activation="linear", use_bias=False)
PART_C = LSTM(units=1, activation="linear", recurrent_activation="linear",
              use_bias=False, unit_forget_bias=False, return_sequences=True)

PRESETS: dict[str, Layer] = {"PART_A": PART_A, "PART_B": PART_B, "PART_C": PART_C}


class NotebookCase(NamedTuple):
    """Weights in get_weights() order, a flat input sequence, and what Keras printed."""

    weights: list[Any]
    xs: list[float]
    output: list[Any]


NOTEBOOK_CASES: dict[Layer, list[NotebookCase]] = {
    PART_A: [
        NotebookCase([[[1]], [[1]]], [3, 3, 7], [13]),
        NotebookCase([[[1]], [[3]]], [3, 3, 7], [43]),
        NotebookCase([[[1]], [[3]]], [1, 1, 2], [14]),
        NotebookCase([[[1]], [[0.5]]], [3, 3, 7], [9.25]),
    ],
    PART_B: [
        NotebookCase([[[1, 1]], [[0, 1], [0, 1]]], [3, 3, 7, 5], [5, 31]),
        NotebookCase([[[1, 0]], [[0, 0], [0, 0]]], [3, 3, 7, 5], [5, 0]),
        NotebookCase([[[1, 1]], [[1, 1], [1, 1]]], [3, 4], [10, 10]),
    ],
    PART_C: [
        NotebookCase([[[1, 0, 1, 1]], [[0, 0, 0, 0]]], [0, 1, 2, 4], [[0], [1], [8], [64]]),
        NotebookCase([[[1, 0, 1, 1]], [[0, 0, 0, 0]]], [0, 1, 2, 4, 8],
                     [[0], [1], [8], [64], [512]]),
        NotebookCase([[[0, 0, 0, 0]], [[1, 0, 1, 1]]], [0, 1, 2, 4, 8],
                     [[0], [0], [0], [0], [0]]),
    ],
}
