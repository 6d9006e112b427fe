from harness import PART_A, hypothesis


@hypothesis(PART_A, name="gives up")
def gives_up(kernel, recurrent_kernel, xs):
    raise ValueError("no idea yet")
