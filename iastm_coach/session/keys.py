"""Single key presses during the timer, without blocking it: one interface, one reader per OS.

The timer reads keys through `timer.KeySource` (`wait_key(timeout)`: a key as
soon as one arrives, else None after *timeout*). `open_keys` is the one place
that picks the reader:

- `keys_posix.TerminalKeys` on Linux and macOS (termios cbreak mode + select;
  its docstring says why not a key library);
- `keys_windows.ConsoleKeys` on Windows (msvcrt, polled against the deadline);
- `NoKeys` for pipes and `--plain` without a terminal: it only sleeps on the
  clock.

This module imports nothing POSIX-only, nor does anything on the paths Windows
uses: the readers are imported only when chosen.
"""

from __future__ import annotations

import os
import sys
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from iastm_coach.clock import Clock

if TYPE_CHECKING:
    from iastm_coach.session.keys_posix import TerminalKeys
    from iastm_coach.session.keys_windows import ConsoleKeys


class NoKeys(AbstractContextManager["NoKeys"]):
    """No keyboard (pipes, --plain without a terminal): waiting is just sleeping."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def __enter__(self) -> NoKeys:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def wait_key(self, timeout: float) -> str | None:
        self.clock.sleep(timeout)
        return None


def stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and os.isatty(sys.stdin.fileno())
    except (OSError, ValueError):
        return False


def is_windows(platform: str | None = None) -> bool:
    """True on Windows (*platform* defaults to `sys.platform`, read when called)."""
    return (platform or sys.platform) == "win32"


def open_keys(
    clock: Clock, *, interactive: bool, hide_cursor: bool = True
) -> TerminalKeys | ConsoleKeys | NoKeys:
    """The key reader for this OS when *interactive* and standard input is a terminal,
    else NoKeys. *hide_cursor* False writes no escape code (plain mode).

    Use as a context manager around `run_plan`, so the terminal is restored
    whatever happens.
    """
    if not (interactive and stdin_is_terminal()):
        return NoKeys(clock)
    if is_windows():
        from iastm_coach.session.keys_windows import ConsoleKeys

        return ConsoleKeys(clock)
    from iastm_coach.session.keys_posix import TerminalKeys

    return TerminalKeys(hide_cursor=hide_cursor)
