"""One file using every scope and option the README documents."""

import numpy as np

from harness import GRU, PART_A, PART_B, PART_C, hypothesis


@hypothesis(PART_A, name="general")
def general(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h


@hypothesis(PART_A, name="recorded refuted", refuted=True)
def last_input(kernel, xs):
    return xs[-1] @ kernel


@hypothesis(PART_A, name="no feedback", fixed={"recurrent_kernel": 0})
def no_feedback(kernel, xs):
    return xs[-1] @ kernel


@hypothesis(PART_A, name="short", timesteps=range(1, 3))
def short(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h


@hypothesis(PART_A, name="positive inputs", timesteps=2,
            where=lambda xs: (xs > 0).all())
def positive(kernel, recurrent_kernel, xs):
    return xs[1] @ kernel + (xs[0] @ kernel) @ recurrent_kernel


@hypothesis(PART_B, name="numbers and None",
            fixed={"kernel": [[1, None]], "recurrent_kernel": [[0, None], [0, 1]]})
def fixed_with_none(weights, xs):
    kernel, recurrent = weights
    h = np.zeros(2)
    for x in xs:
        h = x @ kernel + h @ recurrent
    return h


@hypothesis(PART_B, name="wrong on B")
def wrong_b(kernel, xs):
    return xs.sum(axis=0) @ kernel


@hypothesis(PART_C, name="LSTM gates")
def gates(kernel, recurrent_kernel, xs):
    h, c = 0.0, 0.0
    outputs = []
    for x in xs[:, 0]:
        i, f, candidate, o = x * kernel[0] + h * recurrent_kernel[0]
        c = f * c + i * candidate
        h = o * c
        outputs.append([h])
    return np.array(outputs)


@hypothesis(GRU(units=1, activation="linear", recurrent_activation="linear",
                use_bias=False), name="GRU guess", refuted=True)
def gru_guess(kernel, xs):
    return xs[-1] @ kernel[:, :1]
