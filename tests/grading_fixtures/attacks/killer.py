import os
import signal


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def _kill_grader():
    """Kill this test's grader (its command line names the test's folder), its other
    workers and the parent; never any process outside this test."""
    graders = [int(p) for p in os.listdir("/proc") if p.isdigit()
               and b"@@MARKER@@" in _cmdline(p)]
    victims = set(graders)
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/stat", "rb") as handle:
                ppid = int(handle.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid in graders:
            victims.add(int(pid))
    parent = os.getppid()
    if parent in graders or b"@@MARKER@@" in _cmdline(parent):
        victims.add(parent)
    killed = False
    for pid in victims:
        try:
            os.kill(pid, signal.SIGKILL)
            killed = True
        except OSError:
            pass
    return killed


KILLED = _kill_grader()
attack = claim(lambda: KILLED)
