import numpy as np

from harness import PART_A, SimpleRNN, hypothesis


@hypothesis(SimpleRNN(units=3), name="a layer the assignment does not ask about")
def other(kernel, recurrent_kernel, xs):
    return np.zeros(3)


@hypothesis(PART_A, name="input plus feedback")
def input_plus_feedback(kernel, recurrent_kernel, xs):
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h
