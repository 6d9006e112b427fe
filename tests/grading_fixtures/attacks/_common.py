# Shared by the attack submissions (pasted into each at test time).
import numpy as np

from harness import PART_A, hypothesis


def right(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h


def claim(succeeded):
    """Full marks only if the attack succeeded: the grade shows whether it did."""
    @hypothesis(PART_A, name="attack")
    def attack(kernel, recurrent_kernel, xs):
        if succeeded():
            return right(kernel, recurrent_kernel, xs)
        return np.zeros(1) + 12345.0
    return attack
