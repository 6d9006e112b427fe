import numpy as np

from harness import PART_A, PART_B, hypothesis


def rnn(kernel, recurrent_kernel, xs):
    h = np.zeros(recurrent_kernel.shape[0])
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h

import os


@hypothesis(PART_A, name="exits")
def exits(kernel, recurrent_kernel, xs):
    os._exit(0)


hypothesis(PART_B, name="fine after the crash")(rnn)
