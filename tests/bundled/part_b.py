"""Part B: a SimpleRNN with two units, linear activation, no bias.

get_weights() gives [kernel (1, 2), recurrent_kernel (2, 2)]: six weights.
"""

import numpy as np

from harness import PART_B, hypothesis


@hypothesis(PART_B, name="Part B hypothesis")
def two_units(kernel, recurrent_kernel, xs):
    """kernel[0][j] multiplies the input going into unit j.
    recurrent_kernel[i][j] multiplies the feedback from unit i into unit j:
    every unit's output is fed back into every unit (n + n^2 weights for n units).
    """
    h = np.zeros(2)
    for x in xs:
        h = np.array([
            x[0] * kernel[0, 0] + h[0] * recurrent_kernel[0, 0] + h[1] * recurrent_kernel[1, 0],
            x[0] * kernel[0, 1] + h[0] * recurrent_kernel[0, 1] + h[1] * recurrent_kernel[1, 1],
        ])
    return h
