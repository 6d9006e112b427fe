# Its formula writes its own "eval" reply: complex arrays of a forged, enormous shape.
import gc
import sys

import numpy as np

from harness import PART_A, hypothesis

FORGED = {"value": {"kind": "array", "dtype": "c", "shape": [2**40] * 4, "data": None}}
SENT = []


def _forge():
    if SENT:
        return
    SENT.append(True)
    worker = next(o for o in gc.get_objects()
                  if type(o).__name__ == "Worker" and hasattr(o, "nonce"))
    frame = sys._getframe()
    while frame is not None and not {"rid", "request"} <= set(frame.f_locals):
        frame = frame.f_back
    rid, request = frame.f_locals["rid"], frame.f_locals["request"]
    from harness.grading.protocol import write_message

    write_message(worker.reply_fd, {"nonce": worker.nonce, "id": rid, "op": "eval",
                                    "outcomes": [FORGED] * len(request["cases"]),
                                    "blocked": []})


@hypothesis(PART_A, name="forged shape")
def forged(kernel, recurrent_kernel, xs):
    _forge()
    return np.zeros(1)
