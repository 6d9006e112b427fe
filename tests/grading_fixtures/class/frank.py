import numpy as np

from harness import PART_A, hypothesis


def rnn(kernel, recurrent_kernel, xs):
    h = np.zeros(recurrent_kernel.shape[0])
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h


@hypothesis(PART_A, name="recorded refuted, but holds", refuted=True)
def a(kernel, recurrent_kernel, xs):
    return rnn(kernel, recurrent_kernel, xs)
