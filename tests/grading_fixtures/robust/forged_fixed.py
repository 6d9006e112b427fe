# Writes its own "load" reply to the grader's channel, with fixed= nested 600 deep.
import gc

from harness import PART_A
from harness.grading.protocol import write_message

FIELDS = ("kind", "units", "activation", "recurrent_activation", "use_bias",
          "unit_forget_bias", "reset_after", "return_sequences", "input_dim")

worker = next(o for o in gc.get_objects()
              if type(o).__name__ == "Worker" and hasattr(o, "nonce"))
deep = None
for _ in range(600):
    deep = [deep]
claim = {"name": "forged", "function": "forged", "line": 1, "file": "forged_fixed.py",
         "layer": {name: getattr(PART_A, name) for name in FIELDS}, "refuted": False,
         "params": ["xs"], "fixed": {"kernel": deep}, "timesteps": [1], "where": None,
         "scope": "forged"}
write_message(worker.reply_fd, {"nonce": worker.nonce, "id": 1, "op": "load", "ok": True,
                                "total": 1, "claims": [claim], "blocked": []})
