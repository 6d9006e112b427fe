import numpy as np

from harness import PART_A, PART_B, hypothesis


def rnn(kernel, recurrent_kernel, xs):
    h = np.zeros(recurrent_kernel.shape[0])
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h


@hypothesis(PART_A, name="only positive inputs", where=lambda xs: (xs > 0).all())
def narrow(kernel, recurrent_kernel, xs):
    return rnn(kernel, recurrent_kernel, xs)


@hypothesis(PART_B, name="two steps", timesteps=2)
def narrow_b(kernel, recurrent_kernel, xs):
    return rnn(kernel, recurrent_kernel, xs)
