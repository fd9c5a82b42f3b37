"""Saving never depends on printing: standard output that a closed pipe cannot stop.

`iastm-coach session calf | tee log`, then Ctrl-C: the terminal sends SIGINT to
`tee` too, which exits, and the next line printed meets a closed pipe. Unguarded,
that BrokenPipeError ends the program before the session is written. Inside
`output_cannot_stop_saving()` a write to a closed pipe (or a terminal that hung up)
switches standard output away and carries on, so the session is recorded and the
command ends with its own exit code (130 after Ctrl-C); the messages on standard
error still reach the person. When a person answers at a terminal (`session calf |
head -3`: the reader stops before the first question), what follows goes to the
terminal through standard error, so no question is asked unseen; otherwise it goes
to the null device.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Iterator
from typing import Any, TextIO

GONE = frozenset({errno.EPIPE, errno.EIO, errno.ECONNRESET})


class GuardedOutput:
    """A text stream that drops what it cannot write once its reader has gone away."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.reader_gone = False
        self.on_terminal = False  # after the reader went: shown on the terminal instead

    def _gone(self) -> None:
        self.reader_gone = True
        with contextlib.suppress(OSError, ValueError, AttributeError):
            if _person_at_terminal():
                os.dup2(sys.stderr.fileno(), self._stream.fileno())
                self.on_terminal = True
                return
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())  # nothing left to fail at exit either
            os.close(devnull)

    def write(self, text: str) -> int:
        if not self.reader_gone or self.on_terminal:
            try:
                return self._stream.write(text)
            except OSError as error:
                if error.errno not in GONE:
                    raise
                if self.reader_gone:  # the terminal went too: nothing left to show it on
                    self.on_terminal = False
                    return len(text)
                self._gone()
                if self.on_terminal:  # the line that met the closed pipe, on the terminal
                    with contextlib.suppress(OSError, ValueError):
                        return self._stream.write(text)
        return len(text)

    def flush(self) -> None:
        if self.reader_gone:
            with contextlib.suppress(OSError, ValueError):
                self._stream.flush()  # the buffer drains into the null device
            return
        try:
            self._stream.flush()
        except OSError as error:
            if error.errno not in GONE:
                raise
            self._gone()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _person_at_terminal() -> bool:
    """Someone answers at a terminal and can read standard error there."""
    try:
        return sys.stdin.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def output_cannot_stop_saving() -> Iterator[GuardedOutput]:
    """Guard `sys.stdout` (which the consoles write through) for the block."""
    original = sys.stdout
    guarded = GuardedOutput(original)
    sys.stdout = guarded
    try:
        yield guarded
    finally:
        sys.stdout = original
        if guarded.reader_gone:
            with contextlib.suppress(OSError, ValueError):
                original.flush()
