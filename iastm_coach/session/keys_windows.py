"""Single key presses from a Windows console, polled against the timer's deadline.

`msvcrt.kbhit()` says whether a key is waiting and `msvcrt.getwch()` reads it
without Enter and without echo; neither blocks when a key is waiting, but
there is nothing like `select()` to wait for one. So `wait_key(timeout)`
looks every `POLL_S` seconds (sleeping on the injected clock in between) and
returns at the deadline, or as soon as a key is seen. 20 ms is well under
what a person notices and costs nothing measurable.

Arrow keys arrive as a prefix ("\\x00" or "\\xe0") and a code; they are turned
into the same escape sequences a POSIX terminal sends, so the timer sees one
key either way. Ctrl-C normally reaches Python as KeyboardInterrupt through
the console; if it is read as a character instead, it raises the same.
Keys typed but not read are discarded on exit, as `keys_posix` does, so a
stray `n` never becomes the answer to the next question.

`msvcrt` is imported when the reader is entered, never at module level, and
through importlib so tests can put a fake one in `sys.modules`.
"""

from __future__ import annotations

import importlib
from contextlib import AbstractContextManager
from typing import Final, Protocol, cast

from iastm_coach.clock import Clock

POLL_S: Final = 0.02
SPECIAL_PREFIXES: Final = ("\x00", "\xe0")
CTRL_C: Final = "\x03"
# Scan codes of the arrow keys, as POSIX terminals send them.
ARROWS: Final = {"H": "\x1b[A", "P": "\x1b[B", "M": "\x1b[C", "K": "\x1b[D"}


class Console(Protocol):
    """The part of `msvcrt` this reader uses."""

    def kbhit(self) -> bool: ...

    def getwch(self) -> str: ...


def load_console() -> Console:
    return cast(Console, importlib.import_module("msvcrt"))


class ConsoleKeys(AbstractContextManager["ConsoleKeys"]):
    """Keys from the Windows console, one at a time, without Enter or echo.

    with ConsoleKeys(clock) as keys:
        key = keys.wait_key(0.2)   # " ", "n", "q", "?", "\\x1b[A", ... or None
    """

    def __init__(
        self, clock: Clock, *, console: Console | None = None, poll_s: float = POLL_S
    ) -> None:
        self.clock = clock
        self.poll_s = poll_s
        self._console = console

    @property
    def console(self) -> Console:
        if self._console is None:
            self._console = load_console()
        return self._console

    def __enter__(self) -> ConsoleKeys:
        _ = self.console  # fail here, not at the first key, if there is no console module
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard_typeahead()

    def discard_typeahead(self) -> None:
        """Drop keys typed for the timer but never read."""
        while self.console.kbhit():
            self.console.getwch()

    def wait_key(self, timeout: float) -> str | None:
        deadline = self.clock.monotonic() + max(0.0, timeout)
        while True:
            if self.console.kbhit():
                return self._read_key()
            remaining = deadline - self.clock.monotonic()
            if remaining <= 0:
                return None
            self.clock.sleep(min(self.poll_s, remaining))

    def _read_key(self) -> str:
        char = self.console.getwch()
        if char == CTRL_C:
            raise KeyboardInterrupt
        if char in SPECIAL_PREFIXES:
            code = self.console.getwch()
            return ARROWS.get(code, char + code)
        return char
