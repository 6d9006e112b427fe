"""SimpleRNN with one unit, tanh activation and a bias (Keras's defaults).

get_weights() gives [kernel (1, 1), recurrent_kernel (1, 1), bias (1,)].
"""

import numpy as np

from harness import SimpleRNN, hypothesis

TANH_RNN = SimpleRNN(units=1)


@hypothesis(TANH_RNN, name="SimpleRNN: tanh at every step")
def tanh_every_step(kernel, recurrent_kernel, bias, xs):
    """At every step, tanh is applied to input * kernel + previous output *
    recurrent_kernel + bias, and that is the new output."""
    h = np.zeros(1)
    for x in xs:
        h = np.tanh(x @ kernel + h @ recurrent_kernel + bias)
    return h


@hypothesis(TANH_RNN, name="SimpleRNN: tanh once at the end", refuted=True)
def tanh_at_the_end(kernel, recurrent_kernel, bias, xs):
    """The steps add up linearly (input * kernel + previous * recurrent_kernel + bias),
    and tanh is applied once, to the last step's result."""
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel + bias
    return np.tanh(h)
