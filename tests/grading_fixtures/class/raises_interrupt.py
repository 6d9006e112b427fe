import numpy as np

from harness import PART_A, PART_B, hypothesis


def rnn(kernel, recurrent_kernel, xs):
    h = np.zeros(recurrent_kernel.shape[0])
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h


@hypothesis(PART_A, name="keyboard interrupt")
def interrupt(kernel, recurrent_kernel, xs):
    raise KeyboardInterrupt


@hypothesis(PART_B, name="system exit")
def leave(kernel, recurrent_kernel, xs):
    raise SystemExit(3)
