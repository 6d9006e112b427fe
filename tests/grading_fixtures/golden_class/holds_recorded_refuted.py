"""A true formula recorded as refuted."""

import numpy as np

from harness import PART_A, hypothesis


@hypothesis(PART_A, name="recorded refuted, but holds", refuted=True)
def step_by_step(kernel, recurrent_kernel, xs):
    h = np.zeros(recurrent_kernel.shape[0])
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h
