"""--console-socket: the caller's unix socket that receives the pty master."""
from .errors import RuntimeFailure


def connect_console_socket(path):
    import socket
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError as e:
        sock.close()
        raise RuntimeFailure(f"--console-socket {path}: {e.strerror}") from None
    return sock
