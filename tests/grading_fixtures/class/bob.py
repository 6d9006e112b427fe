import numpy as np

from harness import PART_A, PART_B, hypothesis


@hypothesis(PART_A, name="Hypothesis #1")  # recorded as holding, but it is refuted
def first_guess(kernel, recurrent_kernel, xs):
    return kernel[0] * (xs[-1] + recurrent_kernel[0, 0] * xs[:-1].sum())


def rnn(kernel, recurrent_kernel, xs):
    h = np.zeros(recurrent_kernel.shape[0])
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h


part_b = hypothesis(PART_B, name="Part B")(rnn)
