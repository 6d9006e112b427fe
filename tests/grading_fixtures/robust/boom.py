# The grader itself fails on this one (the test injects the failure).
import numpy as np

from harness import PART_A, hypothesis


@hypothesis(PART_A, name="zero")
def zero(kernel, recurrent_kernel, xs):
    return np.zeros(1)
