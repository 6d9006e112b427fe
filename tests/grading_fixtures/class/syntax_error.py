import numpy as np
from harness import PART_A, PART_B, hypothesis


@hypothesis(PART_A)
def broken(kernel, recurrent_kernel, xs)
    return xs
