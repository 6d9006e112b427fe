import numpy as np

from harness import PART_A, PART_B, hypothesis


def rnn(kernel, recurrent_kernel, xs):
    h = np.zeros(recurrent_kernel.shape[0])
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h


@hypothesis(PART_A, name="spins")
def spins(kernel, recurrent_kernel, xs):
    while True:
        pass


hypothesis(PART_B, name="fine after the timeout")(rnn)
