import numpy as np

from harness import PART_A, hypothesis


@hypothesis(PART_A, name="input plus feedback")
def input_plus_feedback(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h
