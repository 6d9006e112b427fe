import os
import time

TARGETS = ["@@OUT@@/grades.csv", "@@CANARY@@"]

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for fd in range(3, 256):
            try:
                os.close(fd)
            except OSError:
                pass
        while True:
            for path in TARGETS:
                try:
                    with open(path, "w") as handle:
                        handle.write("student,total\nattacker,100\n")
                except OSError:
                    pass
            time.sleep(0.02)
    os._exit(0)

attack = claim(lambda: os.path.exists("@@CANARY@@"))
