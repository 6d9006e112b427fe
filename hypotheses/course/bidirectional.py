"""Bidirectional around a SimpleRNN with one unit (tanh, with bias), sequences of any length.

get_weights() gives the forward layer's [kernel (1, 1), recurrent_kernel (1, 1),
bias (1,)] then the backward layer's: forward_kernel, forward_recurrent_kernel,
forward_bias, backward_kernel, backward_recurrent_kernel, backward_bias.
The output has two numbers.
"""

import numpy as np

from harness import Layer, SimpleRNN, hypothesis

BIDIRECTIONAL = Layer("Bidirectional", layer=SimpleRNN(units=1), input_shape=(None, 1))


def simple_rnn(kernel, recurrent_kernel, bias, xs):
    h = np.zeros(1)
    for x in xs:
        h = np.tanh(x @ kernel + h @ recurrent_kernel + bias)
    return h


@hypothesis(BIDIRECTIONAL, name="Bidirectional: forward output, then backward output")
def forward_then_backward(forward_kernel, forward_recurrent_kernel, forward_bias,
                          backward_kernel, backward_recurrent_kernel, backward_bias, xs):
    """The forward layer reads the sequence first to last, the backward layer last to
    first; the output is the forward layer's final output followed by the backward
    layer's final output."""
    forward = simple_rnn(forward_kernel, forward_recurrent_kernel, forward_bias, xs)
    backward = simple_rnn(backward_kernel, backward_recurrent_kernel, backward_bias, xs[::-1])
    return np.concatenate([forward, backward])


@hypothesis(BIDIRECTIONAL, name="Bidirectional: backward output, then forward output",
            refuted=True)
def backward_then_forward(forward_kernel, forward_recurrent_kernel, forward_bias,
                          backward_kernel, backward_recurrent_kernel, backward_bias, xs):
    """The forward layer reads the sequence first to last, the backward layer last to
    first; the output is the backward layer's final output followed by the forward
    layer's final output."""
    forward = simple_rnn(forward_kernel, forward_recurrent_kernel, forward_bias, xs)
    backward = simple_rnn(backward_kernel, backward_recurrent_kernel, backward_bias, xs[::-1])
    return np.concatenate([backward, forward])
