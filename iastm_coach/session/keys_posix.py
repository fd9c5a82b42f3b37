"""Single key presses from a POSIX terminal (Linux, macOS), without blocking the timer.

Why termios + select rather than readchar (or another key library):

- readchar's `readkey()` blocks until a key arrives. The timer must wake up on
  its deadline whether or not a key was pressed, so readkey would have to run
  in a second thread. When the timer ends, that thread is still stuck inside
  `read()`: it cannot be cancelled, it swallows the first key typed at the next
  question, and its `finally` later puts back terminal settings of its own.
- readchar (4.x) switches echo and line mode off only for the duration of each
  read and back on after every key, flushing typeahead each time: between
  keys the terminal echoes what is typed over the live view. It also reads
  through `sys.stdin`'s buffer, which `select()` cannot see into.
- With `select()` on the standard-input file descriptor, waiting for a key
  *is* the timer's sleep: `wait_key(timeout)` returns as soon as a key
  arrives, or after the time to the next tick or deadline. One thread, no
  polling, nothing left behind.
- cbreak mode (no echo, no line buffering) for the whole timer keeps ISIG on,
  so Ctrl-C still raises KeyboardInterrupt in the timer and Ctrl-Z still
  works; after `fg` the mode is set again (SIGCONT).

`TerminalKeys` saves the terminal attributes on entry and restores them on
exit, also when leaving through an exception. Keys typed but not read are
discarded then, so a stray `n` never becomes the answer to the next question.

POSIX only: termios, select on a terminal and SIGCONT do not exist on Windows.
Only `keys.open_keys` imports this module, and only off Windows
(`keys_windows` is the Windows reader).
"""

from __future__ import annotations

import codecs
import os
import select
import signal
import sys
import termios
import threading
import time
from collections import deque
from contextlib import AbstractContextManager
from types import FrameType, TracebackType
from typing import IO, Any

HIDE_CURSOR = "\x1b[?25l"
SHOW_CURSOR = "\x1b[?25h"
ESC = "\x1b"


def split_keys(text: str) -> list[str]:
    """Split typed text into keys; an escape sequence (arrow keys, ...) is one key."""
    keys: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == ESC and i + 1 < len(text) and text[i + 1] in "[O":
            j = i + 2
            # Parameters, then one final byte in 0x40-0x7E.
            while j < len(text) and not "\x40" <= text[j] <= "\x7e":
                j += 1
            keys.append(text[i : j + 1])
            i = j + 1
        else:
            keys.append(char)
            i += 1
    return keys


_LFLAG = 3
_CC = 6


def cbreak_attributes(attrs: list[Any]) -> list[Any]:
    """*attrs* with echo and line buffering off, one byte at a time; signals (ISIG) kept."""
    mode = list(attrs)
    mode[_LFLAG] = int(attrs[_LFLAG]) & ~(termios.ECHO | termios.ICANON)
    chars = list(attrs[_CC])
    chars[termios.VMIN] = 1
    chars[termios.VTIME] = 0
    mode[_CC] = chars
    return mode


class TerminalKeys(AbstractContextManager["TerminalKeys"]):
    """Keys from a terminal, one at a time, without Enter or echo.

    with TerminalKeys() as keys:
        key = keys.wait_key(0.2)   # " ", "n", "q", "?", "\\x1b[A", ... or None
    """

    def __init__(
        self,
        stdin: IO[Any] | int | None = None,
        *,
        stdout: IO[str] | None = None,
        hide_cursor: bool = True,
    ) -> None:
        source = sys.stdin if stdin is None else stdin
        self.fd = source if isinstance(source, int) else source.fileno()
        self.stdout = stdout if stdout is not None else sys.stdout
        self.hide_cursor = hide_cursor
        self._saved: list[Any] | None = None
        self._pending: deque[str] = deque()
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._eof = False
        self._previous_sigcont: Any = None
        self._sigcont_installed = False

    def __enter__(self) -> TerminalKeys:
        if not os.isatty(self.fd):
            raise OSError(f"file descriptor {self.fd} is not a terminal")
        self._saved = termios.tcgetattr(self.fd)
        self._apply()
        if threading.current_thread() is threading.main_thread():
            self._previous_sigcont = signal.signal(signal.SIGCONT, self._on_continue)
            self._sigcont_installed = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.restore()

    def _apply(self) -> None:
        if self._saved is None:
            return
        termios.tcsetattr(self.fd, termios.TCSANOW, cbreak_attributes(self._saved))
        self._write(HIDE_CURSOR if self.hide_cursor else "")

    def _on_continue(self, signum: int, frame: FrameType | None) -> None:
        # Back from Ctrl-Z: the shell has reset the terminal for its own prompt.
        self._apply()

    def restore(self) -> None:
        """Put the terminal back as it was (safe to call twice)."""
        if self._sigcont_installed:
            signal.signal(signal.SIGCONT, self._previous_sigcont)
            self._sigcont_installed = False
        if self._saved is None:
            return
        saved, self._saved = self._saved, None
        # TCSAFLUSH: drop keys typed for the timer but never read.
        termios.tcsetattr(self.fd, termios.TCSAFLUSH, saved)
        self._write(SHOW_CURSOR if self.hide_cursor else "")

    def _write(self, text: str) -> None:
        if not text:
            return
        try:
            if self.stdout.isatty():
                self.stdout.write(text)
                self.stdout.flush()
        except (OSError, ValueError):
            pass

    def wait_key(self, timeout: float) -> str | None:
        if self._pending:
            return self._pending.popleft()
        if self._eof:
            time.sleep(max(0.0, timeout))
            return None
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            remaining = max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if not ready:
                return None
            data = os.read(self.fd, 64)
            if not data:
                self._eof = True  # the terminal hung up
                time.sleep(max(0.0, deadline - time.monotonic()))
                return None
            self._pending.extend(split_keys(self._decoder.decode(data)))
            if self._pending:
                return self._pending.popleft()
            # Half of a multi-byte character: wait for the rest.
