import numpy as np

from harness import PART_A, hypothesis


@hypothesis(PART_A, name="kernel 0", fixed={"kernel": [[0]]}, refuted=True)
def kernel_0(kernel, recurrent_kernel, xs):
    return np.ones(1)


@hypothesis(PART_A, name="kernel 1", fixed={"kernel": [[1]]}, refuted=True)
def kernel_1(kernel, recurrent_kernel, xs):
    return np.ones(1) * 7


@hypothesis(PART_A, name="kernel 0 again", fixed={"kernel": [[0]]}, refuted=True)
def kernel_0_again(kernel, recurrent_kernel, xs):
    return np.ones(1) * 3


@hypothesis(PART_A, name="kernel 2", fixed={"kernel": [[2]]}, refuted=True)
def kernel_2(kernel, recurrent_kernel, xs):
    return np.ones(1) * 5
