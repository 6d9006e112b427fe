"""Dense: two units, no bias, two inputs.

get_weights() gives [kernel (2, 2)].
"""

from harness import Layer, hypothesis

DENSE = Layer("Dense", units=2, use_bias=False, input_shape=(2,))


@hypothesis(DENSE, name="Dense: input row times kernel")
def input_times_kernel(kernel, x):
    """Output unit j adds up the inputs, input i weighted by kernel[i][j]."""
    return x @ kernel


@hypothesis(DENSE, name="Dense: kernel times input column", refuted=True)
def kernel_times_input(kernel, x):
    """Output unit j adds up the inputs, input i weighted by kernel[j][i]
    (the kernel's rows belong to the output units, as in W x)."""
    return kernel @ x
