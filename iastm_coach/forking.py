"""Work done beside this process, in a forked child, where that is possible and safe.

Only for work that saves time later and changes nothing the command shows (filling a
cache): the child writes files and leaves with `os._exit`, running nothing else of the
parent's (no atexit handlers, no flushing of its buffered output).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable


def can_fork() -> bool:
    """Whether forking is possible and safe here (see `run_beside`)."""
    import sys
    import threading

    return (
        hasattr(os, "fork")
        # macOS: system libraries may not survive a fork without exec (Python's own
        # multiprocessing stopped forking there).
        and sys.platform != "darwin"
        and (os.cpu_count() or 1) > 1
        and threading.active_count() == 1  # forking a threaded process can deadlock it
    )


class Beside:
    """Work started by `run_beside`: call it to wait until it is done."""

    def __init__(self, pid: int | None = None) -> None:
        self._pid = pid  # the child's, until it has been waited for

    def __call__(self) -> None:
        pid, self._pid = self._pid, None
        if pid is not None:
            _wait(pid)

    def done(self) -> bool:
        """Whether the work is done (the child is reaped if so), without waiting."""
        if self._pid is None:
            return True
        try:
            finished, _ = os.waitpid(self._pid, os.WNOHANG)
        except (ChildProcessError, InterruptedError):
            finished = self._pid
        if finished:
            self._pid = None
        return self._pid is None


def run_beside(action: Callable[[], object], *, worth_it: bool = True) -> Beside:
    """Start *action* in a forked child and return it, to be waited for; where forking is
    not possible or safe, or not *worth_it*, the action runs here, now (and is done).
    Either way an exception in *action* is dropped: it only saves time."""
    if worth_it and can_fork():
        try:
            pid = os.fork()
        except OSError:
            pid = None
        if pid == 0:
            try:
                with contextlib.suppress(Exception):
                    action()
            finally:
                os._exit(0)
        if pid is not None:
            return Beside(pid)
    with contextlib.suppress(Exception):
        action()
    return Beside()


def _wait(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, InterruptedError):
        os.waitpid(pid, 0)
