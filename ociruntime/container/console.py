"""--console-socket: the caller's unix socket that receives the pty master.
Sockets come from `_socket`: `socket` imports enum, selectors and more (~3 ms a call)."""
import os

from ..errors import RuntimeFailure


def connect_unix(path, what):
    """A connected stream socket to `path`; `what` names it in the error."""
    import _socket
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError as e:
        sock.close()
        raise RuntimeFailure(f"{what}: cannot connect to {path}: {e.strerror}") from None
    return sock


def connect_console_socket(path):
    return connect_unix(path, "--console-socket")


def console_pair():
    """A connected pair: `run` keeps one end and receives the pty master on it."""
    import _socket
    return _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_STREAM)


def receive_master(sock):
    from .._core import lib
    fd = lib.oci_recv_fd(sock.fileno())
    if fd < 0:
        raise RuntimeFailure("the container's init did not send its pty")
    return fd


def _copy_winsize(src, dst):
    import fcntl
    import termios
    try:
        fcntl.ioctl(dst, termios.TIOCSWINSZ, fcntl.ioctl(src, termios.TIOCGWINSZ, b"\0" * 8))
    except OSError:
        pass


def caller_terminal():
    """The caller's terminal for `exec -t` without --console-socket, as runc finds it: stdin
    when it is one, else the controlling terminal (/dev/tty); an fd the caller closes."""
    if os.isatty(0):
        return os.dup(0)
    try:
        return os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as e:
        raise RuntimeFailure(f"open /dev/tty: {e.strerror} (exec -t needs a terminal, or --console-socket)") from None


def proxy_terminal(master, terminal=None):
    """Foreground `run` or `exec` with a tty and no --console-socket (as runc does): the
    caller's terminal (stdin when it is one, or `terminal`, an fd closed here) in raw mode
    and its size given to the pty, bytes copied stdin -> pty -> stdout until the container
    side closes."""
    import _signal
    import select
    if terminal is None and os.isatty(0):
        terminal = os.dup(0)
    saved = None
    if terminal is not None:
        import termios
        import tty
        saved = termios.tcgetattr(terminal)
        tty.setraw(terminal)
        _copy_winsize(terminal, master)
        _signal.signal(_signal.SIGWINCH, lambda *_: _copy_winsize(terminal, master))
    readers = [0, master]
    try:
        while True:
            try:
                ready = select.select(readers, [], [])[0]
            except InterruptedError:
                continue
            if master in ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: every slave fd is closed
                    data = b""
                if not data:
                    return
                os.write(1, data)
            if 0 in ready:
                data = os.read(0, 65536)
                if data:
                    os.write(master, data)
                else:
                    readers.remove(0)
    finally:
        if saved is not None:
            termios.tcsetattr(terminal, termios.TCSADRAIN, saved)
        if terminal is not None:
            os.close(terminal)
        os.close(master)
