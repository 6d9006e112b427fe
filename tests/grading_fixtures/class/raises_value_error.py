from harness import PART_A, hypothesis


@hypothesis(PART_A)
def angry(kernel, recurrent_kernel, xs):
    raise ValueError("no")
