import numpy as np

from harness import PART_A, hypothesis


@hypothesis(PART_A, name="text")
def text(kernel, recurrent_kernel, xs):
    return "13"


@hypothesis(PART_A, name="nothing")
def nothing(kernel, recurrent_kernel, xs):
    pass


@hypothesis(PART_A, name="dict")
def mapping(kernel, recurrent_kernel, xs):
    return {"output": 1}


@hypothesis(PART_A, name="complex")
def imaginary(kernel, recurrent_kernel, xs):
    return np.array([1 + 2j])
