import time

from harness import PART_A, hypothesis


@hypothesis(PART_A, name="sleeps")
def sleeps(kernel, recurrent_kernel, xs):
    time.sleep(10**6)
