import numpy as np

from harness import PART_B, hypothesis


@hypothesis(PART_B, name="a column instead of a row")
def column(kernel, recurrent_kernel, xs):
    h = np.zeros(recurrent_kernel.shape[0])
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h.reshape(2, 1)
