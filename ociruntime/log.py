"""--log FILE --log-format text|json --debug: containerd shows the last "error" line of
the JSON log to the user, so every failure lands there as well as on stderr; with
--debug, level=debug lines (the command, each phase of create) go to the log, or to
stderr without one, as runc's do. No `logging` import: every call pays for imports."""
import os
import sys
import time

from . import jsonio
from .errors import InvalidArgument

LOG_FORMATS = ("text", "json")


class Log:
    def __init__(self, path=None, fmt="text", debug=False):
        """Refuses an unknown format and a log file that cannot be opened (as runc:
        before anything is done, so that no failure goes unlogged)."""
        if fmt not in LOG_FORMATS:
            raise InvalidArgument(f"invalid log-format: {fmt}")
        self.path = path
        self.json = fmt == "json"
        self.debug_enabled = debug
        self.fd = None
        if path:
            try:
                self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as e:
                raise InvalidArgument(f"open {path}: {e.strerror}") from None

    def _line(self, level, msg):
        now = time.time()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1e9):09d}Z"
        if self.json:
            return jsonio.dumps({"level": level, "msg": msg, "time": stamp}) + "\n"
        return f'time="{stamp}" level={level} msg={jsonio.dumps(msg)}\n'

    def _write(self, level, msg):
        if self.fd is None:
            return
        try:
            os.write(self.fd, self._line(level, msg).encode())
        except OSError as e:
            sys.stderr.write(f"ociruntime: cannot write log {self.path}: {e.strerror}\n")

    def error(self, msg):
        self._write("error", msg)
        sys.stderr.write(f"ociruntime: {msg}\n")
        sys.stderr.flush()

    def warning(self, msg):
        self._write("warning", msg)
        sys.stderr.write(f"ociruntime: warning: {msg}\n")

    def debug(self, msg):
        if not self.debug_enabled:
            return
        if self.fd is None:
            sys.stderr.write(self._line("debug", msg))
        else:
            self._write("debug", msg)

