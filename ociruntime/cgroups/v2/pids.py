"""v2 pids: pids.max and pids.current, the same files and values as v1's, so one
implementation (v1/pids.py) serves both."""

from ..v1.pids import apply, collect

__all__ = ["apply", "collect"]
