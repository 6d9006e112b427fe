from harness import PART_A, hypothesis


@hypothesis(PART_A)
def broken(kernel, recurrent_kernel, xs)
    return xs
