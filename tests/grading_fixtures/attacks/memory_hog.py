import os

MB = 1024 * 1024


def _hog():
    """Eight processes holding 150 MB each at the same time (1.2 GB in all)."""
    reads = []
    for _ in range(8):
        r, w = os.pipe()
        if os.fork() == 0:
            try:
                block = bytearray(150 * MB)
                for i in range(0, len(block), 4096):
                    block[i] = 1
                os.write(w, b"1")
                os.read(r, 1)
            finally:
                os._exit(0)
        reads.append(r)
    got = 0
    for r in reads:
        try:
            got += len(os.read(r, 1))
        except OSError:
            pass
    return got == 8


HELD = _hog()
attack = claim(lambda: HELD)
