import numpy as np

from harness import PART_A, PART_B, hypothesis


@hypothesis(PART_A, name="Hypothesis #1", refuted=True)
def first_guess(kernel, recurrent_kernel, xs):
    return kernel[0] * (xs[-1] + recurrent_kernel[0, 0] * xs[:-1].sum())


@hypothesis(PART_A, name="Hypothesis #2")
def input_plus_feedback(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h


@hypothesis(PART_B, name="Part B")
def two_units(kernel, recurrent_kernel, xs):
    h = np.zeros(2)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h
