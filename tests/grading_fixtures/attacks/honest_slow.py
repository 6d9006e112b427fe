import time

import numpy as np

from harness import PART_A, hypothesis


def _burn(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


@hypothesis(PART_A, name="honest but slow")
def slow(kernel, recurrent_kernel, xs):
    _burn(0.01)
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h
