"""GRU with one unit, Keras's defaults (tanh, sigmoid gates, bias), both ways of
placing the reset gate.

get_weights() gives [kernel (1, 3), recurrent_kernel (1, 3), bias].  The three
columns belong to the update gate z, the reset gate r and the candidate h, in
that order.  With reset_after=True (the default) bias has shape (2, 3): row 0
for the input, row 1 for the recurrent part.  With reset_after=False it has
shape (3,).
"""

import numpy as np

from harness import GRU, hypothesis

GRU_AFTER = GRU(units=1, reset_after=True)
GRU_BEFORE = GRU(units=1, reset_after=False)


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


@hypothesis(GRU_AFTER, name="GRU reset_after=True: reset after the product")
def reset_after_product(kernel, recurrent_kernel, bias, xs):
    """The reset gate multiplies the recurrent part of the candidate, after the
    previous output has been multiplied by its weight and the recurrent bias added.
    The new output is z * previous + (1 - z) * candidate."""
    h = np.zeros(1)
    for x in xs:
        x_z, x_r, x_h = x @ kernel + bias[0]
        h_z, h_r, h_h = h @ recurrent_kernel + bias[1]
        z = sigmoid(x_z + h_z)
        r = sigmoid(x_r + h_r)
        candidate = np.tanh(x_h + r * h_h)
        h = z * h + (1 - z) * candidate
    return h


@hypothesis(GRU_AFTER, name="GRU reset_after=True: textbook reset before the product",
            refuted=True)
def textbook_reset_before(kernel, recurrent_kernel, bias, xs):
    """As in the textbook: the reset gate multiplies the previous output before it
    is multiplied by its weight; both biases are added outside the gate.
    The new output is z * previous + (1 - z) * candidate."""
    h = np.zeros(1)
    for x in xs:
        x_z, x_r, x_h = x @ kernel + bias[0]
        h_z, h_r, _ = h @ recurrent_kernel + bias[1]
        z = sigmoid(x_z + h_z)
        r = sigmoid(x_r + h_r)
        candidate = np.tanh(x_h + (r * h) @ recurrent_kernel[:, 2] + bias[1, 2])
        h = z * h + (1 - z) * candidate
    return h


@hypothesis(GRU_BEFORE, name="GRU reset_after=False: reset before the product")
def reset_before_product(kernel, recurrent_kernel, bias, xs):
    """The reset gate multiplies the previous output before it is multiplied by its
    weight.  The new output is z * previous + (1 - z) * candidate."""
    h = np.zeros(1)
    for x in xs:
        x_z, x_r, x_h = x @ kernel + bias
        z = sigmoid(x_z + h @ recurrent_kernel[:, 0])
        r = sigmoid(x_r + h @ recurrent_kernel[:, 1])
        candidate = np.tanh(x_h + (r * h) @ recurrent_kernel[:, 2])
        h = z * h + (1 - z) * candidate
    return h


@hypothesis(GRU_BEFORE, name="GRU reset_after=False: z weights the candidate", refuted=True)
def update_gate_on_candidate(kernel, recurrent_kernel, bias, xs):
    """The reset gate multiplies the previous output before it is multiplied by its
    weight.  The new output is (1 - z) * previous + z * candidate."""
    h = np.zeros(1)
    for x in xs:
        x_z, x_r, x_h = x @ kernel + bias
        z = sigmoid(x_z + h @ recurrent_kernel[:, 0])
        r = sigmoid(x_r + h @ recurrent_kernel[:, 1])
        candidate = np.tanh(x_h + (r * h) @ recurrent_kernel[:, 2])
        h = (1 - z) * h + z * candidate
    return h
