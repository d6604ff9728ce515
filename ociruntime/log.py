"""--log FILE --log-format text|json: containerd shows the last "error" line of
the JSON log to the user, so every failure lands there as well as on stderr."""
import os
import sys
import time

from . import jsonio


class Log:
    def __init__(self, path=None, fmt="text", debug=False):
        self.path = path
        self.json = fmt == "json"
        self.debug_enabled = debug

    def _write(self, level, msg):
        if not self.path:
            return
        now = time.time()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1e9):09d}Z"
        if self.json:
            line = jsonio.dumps({"level": level, "msg": msg, "time": stamp})
        else:
            line = f'time="{stamp}" level={level} msg={jsonio.dumps(msg)}'
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                os.write(fd, (line + "\n").encode())
            finally:
                os.close(fd)
        except OSError as e:
            sys.stderr.write(f"ociruntime: cannot write log {self.path}: {e.strerror}\n")

    def error(self, msg):
        self._write("error", msg)
        sys.stderr.write(f"ociruntime: {msg}\n")
        sys.stderr.flush()

    def warning(self, msg):
        self._write("warning", msg)
        sys.stderr.write(f"ociruntime: warning: {msg}\n")
