import os

# Whether these writes reached the grader's machine is checked by the test, outside:
# inside, a private /tmp may well accept them.
for path in ("@@OUT@@/grades.csv", "@@OUT@@/planted.txt", "@@SUBMISSIONS@@/honest.py",
             "/var/tmp/@@TOKEN@@", "/run/lock/@@TOKEN@@", "/dev/shm/@@TOKEN@@",
             "/tmp/@@TOKEN@@"):
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write("raise SystemExit('vandalised')\n")
    except OSError:
        pass
attack = claim(lambda: False)
