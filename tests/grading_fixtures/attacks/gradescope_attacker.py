import json
import os
import signal
import time

# Everything a student on Gradescope would try at once; any success earns full marks.
RESULTS = "@@RESULTS@@"
FORGED = json.dumps({"score": 99, "output": "forged", "tests": []})


def _read(path):
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _stole():
    secret = _read("@@SECRET@@")
    reference = _read("@@REFERENCE@@")
    environ = any(b"HARNESS_SECRET" in (_read(f"/proc/{p}/environ") or b"")
                  for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid())
    return secret is not None or reference is not None or environ


def _forge():
    try:
        with open(RESULTS, "w") as handle:
            handle.write(FORGED)
        return True
    except OSError:
        return False


def _kill_grader():
    killed = False
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        command = _read(f"/proc/{pid}/cmdline") or b""
        if b"@@MARKER@@" in command:
            try:
                os.kill(int(pid), signal.SIGKILL)
                killed = True
            except OSError:
                pass
    return killed


def _daemon():
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            for _ in range(1500):
                _forge()
                time.sleep(0.01)
        os._exit(0)


STOLE = _stole()
FORGED_NOW = _forge()
_daemon()
KILLED = _kill_grader()
attack = claim(lambda: STOLE or FORGED_NOW or KILLED)
