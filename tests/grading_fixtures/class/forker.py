import numpy as np

from harness import PART_A, hypothesis


def rnn(kernel, recurrent_kernel, xs):
    h = np.zeros(recurrent_kernel.shape[0])
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h

import os
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        while True:
            time.sleep(0.05)
    os._exit(0)

hypothesis(PART_A, name="fine, but left a child behind")(rnn)
