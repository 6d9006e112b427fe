"""Conv1D: one filter of width 3, no bias, six steps of one channel.

get_weights() gives [kernel (3, 1, 1)]: kernel[k][0][0] is the filter's k-th weight.
The output has 6 - 3 + 1 = 4 steps of one channel.
"""

import numpy as np

from harness import Layer, hypothesis

CONV = Layer("Conv1D", filters=1, kernel_size=3, use_bias=False, input_shape=(6, 1))


@hypothesis(CONV, name="Conv1D: slide the filter as it is")
def slide_filter(kernel, x):
    """Output step t is x[t] * w[0] + x[t+1] * w[1] + x[t+2] * w[2]."""
    w = kernel[:, 0, 0]
    return np.array([[x[t:t + 3, 0] @ w] for t in range(4)])


@hypothesis(CONV, name="Conv1D: slide the flipped filter", refuted=True)
def slide_flipped_filter(kernel, x):
    """A convolution flips the filter first:
    output step t is x[t] * w[2] + x[t+1] * w[1] + x[t+2] * w[0]."""
    w = kernel[::-1, 0, 0]
    return np.array([[x[t:t + 3, 0] @ w] for t in range(4)])
