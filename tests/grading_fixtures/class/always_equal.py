import numpy as np

from harness import PART_A, hypothesis


class Liar(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)

    def __ne__(self, other):
        return np.zeros(np.shape(other), dtype=bool)

    def __sub__(self, other):
        return np.zeros(np.shape(other))

    __rsub__ = __sub__

    def __abs__(self):
        return np.zeros(self.shape)


@hypothesis(PART_A, name="always equal")
def liar(kernel, recurrent_kernel, xs):
    return np.zeros(1).view(Liar)
