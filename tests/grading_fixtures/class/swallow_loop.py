from harness import PART_A, hypothesis


@hypothesis(PART_A, name="never gives up")
def stubborn(kernel, recurrent_kernel, xs):
    while True:
        try:
            while True:
                pass
        except BaseException:
            continue
