import socket


def _connect():
    try:
        with socket.create_connection(("127.0.0.1", @@PORT@@), timeout=1):
            return True
    except OSError:
        return False


attack = claim(_connect)
