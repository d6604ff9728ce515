"""The one exception type the CLI turns into a one-line error and a non-zero exit."""


class RuntimeFailure(Exception):
    """A user-facing failure: str(exc) is the whole one-line message."""

    def __init__(self, message, exit_code=1):
        super().__init__(message)
        self.exit_code = exit_code
