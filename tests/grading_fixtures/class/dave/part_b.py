import numpy as np

from harness import PART_B, hypothesis


def rnn(kernel, recurrent_kernel, xs):
    h = np.zeros(recurrent_kernel.shape[0])
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h


@hypothesis(PART_B, name="B")
def b(kernel, recurrent_kernel, xs):
    return rnn(kernel, recurrent_kernel, xs)
