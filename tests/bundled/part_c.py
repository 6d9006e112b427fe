"""Part C: an LSTM with one unit, linear activation and recurrent activation, no bias,
return_sequences=True.

get_weights() gives [kernel (1, 4), recurrent_kernel (1, 4)].  The student's gate
order, read from the Keras code: [..][..][0] input, [1] forget, [2] context (cell),
[3] output; [0] weights the input of the step, [1] the output of the previous step.
"""

import numpy as np

from harness import PART_C, hypothesis


@hypothesis(PART_C, name="Part C gate assignment")
def gates_i_f_c_o(kernel, recurrent_kernel, xs):
    """i, f, c, o = x * kernel + h_prev * recurrent_kernel (linear activations);
    c = f * c_prev + i * c_candidate; h = o * c.  Outputs h at every step.
    """
    h, c = 0.0, 0.0
    outputs = []
    for x in xs[:, 0]:
        i, f, candidate, o = x * kernel[0] + h * recurrent_kernel[0]
        c = f * c + i * candidate
        h = o * c
        outputs.append([h])
    return np.array(outputs)
