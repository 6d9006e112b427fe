import numpy as np

from harness import PART_A, PART_B, hypothesis


def rnn(kernel, recurrent_kernel, xs):
    h = np.zeros(recurrent_kernel.shape[0])
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h

import ctypes


@hypothesis(PART_A, name="segfault")
def crash(kernel, recurrent_kernel, xs):
    ctypes.string_at(0)


hypothesis(PART_B, name="fine after the segfault")(rnn)
