import os
import tempfile

MB = 1024 * 1024


def _fill():
    """Hold 600 MB (more than memory_mb) in files in the private /tmp and /dev/shm,
    4 MB a file (each under the file-size limit); an error on the way is not caught."""
    block = b"x" * (4 * MB)
    written = 0
    for folder in (tempfile.gettempdir(), "/dev/shm"):
        for i in range(75):
            with open(os.path.join(folder, f"fill-{i}"), "wb") as handle:
                handle.write(block)
            written += len(block)
    return written


HELD = _fill()
attack = claim(lambda: HELD >= 600 * MB)
