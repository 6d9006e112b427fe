import numpy as np

from harness import PART_A, hypothesis


@hypothesis(PART_A, name="honest")
def honest(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h
