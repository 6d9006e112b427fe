from harness import PART_A, hypothesis

answer = hypothesis(PART_A)(42)
