import numpy as np

from harness import PART_A, hypothesis


def rnn(kernel, recurrent_kernel, xs):
    h = np.zeros(recurrent_kernel.shape[0])
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h

import random


@hypothesis(PART_A, name="right half of the time")
def flaky(kernel, recurrent_kernel, xs):
    return rnn(kernel, recurrent_kernel, xs) + (random.random() < 0.5)
