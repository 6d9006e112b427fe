"""A true formula claimed only where the inputs are positive, and a wrong one recorded
as refuted (as it is)."""

import numpy as np

from harness import PART_A, PART_B, hypothesis


def rnn(kernel, recurrent_kernel, xs):
    h = np.zeros(recurrent_kernel.shape[0])
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h


@hypothesis(PART_A, name="only positive inputs", where=lambda xs: (xs > 0).all())
def positive(kernel, recurrent_kernel, xs):
    return rnn(kernel, recurrent_kernel, xs)


@hypothesis(PART_B, name="the transposed recurrent weights", refuted=True)
def transposed(kernel, recurrent_kernel, xs):
    return rnn(kernel, recurrent_kernel.T, xs)
