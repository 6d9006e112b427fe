def _steal(path):
    try:
        with open(path) as handle:
            return handle.read()
    except OSError:
        return None


def _stolen():
    found = {}
    for path in ("@@SECRET@@", "@@OUT@@/.secret"):
        if _steal(path) is not None:
            return True
    for path in ("@@REFERENCE@@", "@@SUBMISSIONS@@/honest.py"):
        source = _steal(path)
        if source is not None:
            found = {}
            exec(source, found)
            return True
    return False


STOLE = _stolen()
attack = claim(lambda: STOLE)
