import numpy as np

from harness import PART_A, hypothesis


@hypothesis(PART_A, name="100 GB")
def greedy(kernel, recurrent_kernel, xs):
    block = np.ones(100 * 1024**3 // 8)
    return block[:1]
