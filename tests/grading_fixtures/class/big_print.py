import numpy as np

from harness import PART_A, hypothesis


def rnn(kernel, recurrent_kernel, xs):
    h = np.zeros(recurrent_kernel.shape[0])
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h

import sys

print("x" * 50_000_000)
sys.stderr.write("y" * 1_000_000)


@hypothesis(PART_A, name="loud but right")
def loud(kernel, recurrent_kernel, xs):
    print("z" * 10_000)
    return rnn(kernel, recurrent_kernel, xs)
