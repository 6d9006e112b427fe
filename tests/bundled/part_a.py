"""Part A: a SimpleRNN with one unit, linear activation, no bias.

get_weights() gives [kernel, recurrent_kernel], each of shape (1, 1).
"""

import numpy as np

from harness import PART_A, hypothesis


@hypothesis(PART_A, name="Hypothesis #1", refuted=True)
def hypothesis_1(kernel, recurrent_kernel, xs):
    """First weight multiplies every input; the output is the final input plus
    (second weight) times the sum of all the other inputs.

    It fitted [3, 3, 7] with weights 1 and 3 (43), but not [1, 1, 2] (Keras: 14, not 8).
    """
    inputs = xs[:, 0] * kernel[0, 0]
    return inputs[-1] + recurrent_kernel[0, 0] * inputs[:-1].sum()


@hypothesis(PART_A, name="Hypothesis #2")
def hypothesis_2(kernel, recurrent_kernel, xs):
    """The first weight multiplies the input at step n, the second multiplies the
    output of step n-1, and the two products are added to give the output at step n.
    """
    h = np.zeros(1)
    for x in xs:
        h = x @ kernel + h @ recurrent_kernel
    return h
