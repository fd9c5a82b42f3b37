"""Long listings to standard output: styled without Rich, paged on a terminal, quiet when
the reader goes away.

`history --all` can be tens of thousands of lines. They are written as they are
made, so the first screen shows at once; on a terminal they go through the
pager, as `git log` does (`$PAGER`, else `less` with `LESS=FRX`: colours kept,
nothing paged when it fits on one screen); a closed pipe (`| head`) or quitting
the pager simply ends the listing.
"""

from __future__ import annotations

import contextlib
import io
import os
import shlex
import subprocess
import sys
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import IO, TYPE_CHECKING, Final

if TYPE_CHECKING:
    from iastm_coach.views.runs import Line

SGR: Final = {
    "bold": "1",
    "dim": "2",
    "italic": "3",
    "underline": "4",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "magenta": "35",
    "cyan": "36",
}
RESET: Final = "\x1b[0m"
DEFAULT_PAGER: Final = "less"
DEFAULT_LESS: Final = "FRX"  # quit if one screen, keep colours, leave the text on screen


@lru_cache(maxsize=64)
def sgr(style: str) -> str:
    """The escape sequence that starts *style* ('' for none or for unknown words); a
    listing has a handful of styles, each worked out once."""
    codes = ";".join(SGR[word] for word in style.split() if word in SGR)
    return f"\x1b[{codes}m" if codes else ""


def render(line: Line, *, color: bool) -> str:
    return render_lines((line,), color=color)[:-1]


def render_lines(lines: Iterable[Line], *, color: bool) -> str:
    """*lines* as one text, each line ended by a newline: the runs of a whole batch of
    a long listing joined at once."""
    parts: list[str] = []
    if not color:
        for line in lines:
            parts += [text for text, _style in line]
            parts.append("\n")
        return "".join(parts)
    for line in lines:
        for text, style in line:
            start = sgr(style) if style and text else ""
            parts.append(f"{start}{text}{RESET}" if start else text)
        parts.append("\n")
    return "".join(parts)


def plain_requested() -> bool:
    """`--plain` or NO_COLOR, without importing Rich when `views.ui` was never loaded
    (`--plain` loads it to set the flag)."""
    if os.environ.get("NO_COLOR"):
        return True
    ui = sys.modules.get("iastm_coach.views.ui")
    return bool(ui is not None and ui.plain_requested())


def wants_color(stream: IO[str]) -> bool:
    """Colour as Rich decides it: a terminal that is not `dumb`, unless plain is asked for
    (FORCE_COLOR forces it)."""
    if plain_requested():
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM", "") in ("dumb", "unknown"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def terminal_width() -> int:
    """COLUMNS, else the terminal's width, else 80 (as Rich)."""
    import shutil

    return shutil.get_terminal_size((80, 24)).columns


def pager_command() -> list[str] | None:
    """`$PAGER` split into words, else `less`; None for an empty PAGER or `cat`."""
    value = os.environ.get("PAGER", DEFAULT_PAGER).strip()
    if not value or value == "cat":
        return None
    try:
        words = shlex.split(value)
    except ValueError:
        return None
    return words or None


class ListingClosed(Exception):
    """The reader went away (pager quit, pipe closed): stop producing lines."""


class Listing:
    """Where the lines of a listing go: standard output or a pager's input."""

    def __init__(self, stream: IO[str], *, color: bool) -> None:
        self.stream = stream
        self.color = color

    def write(self, lines: Iterable[Line]) -> None:
        try:
            self.stream.write(render_lines(lines, color=self.color))
        except (BrokenPipeError, ValueError) as error:
            raise ListingClosed from error

    def text(self, text: str) -> None:
        """Write *text* as it is (JSON)."""
        try:
            self.stream.write(text)
        except (BrokenPipeError, ValueError) as error:
            raise ListingClosed from error

    def flush(self) -> None:
        try:
            self.stream.flush()
        except (BrokenPipeError, ValueError) as error:
            raise ListingClosed from error


def _silence_stdout() -> None:
    """After a broken pipe: point standard output at nothing, so that the interpreter's
    last flush does not fail again (the recipe in Python's `signal` documentation)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _start_pager() -> subprocess.Popen[bytes] | None:
    command = pager_command()
    if command is None:
        return None
    env = dict(os.environ)
    env.setdefault("LESS", DEFAULT_LESS)
    try:
        return subprocess.Popen(command, stdin=subprocess.PIPE, env=env)
    except OSError:
        return None  # no such pager: print straight to the terminal


@contextlib.contextmanager
def listing(*, page: bool) -> Iterator[Listing]:
    """A `Listing` on standard output, through the pager when *page* and standard output
    is a terminal. A reader that goes away ends the listing quietly."""
    stdout = sys.stdout
    color = wants_color(stdout)
    pager = _start_pager() if page and _is_terminal(stdout) else None
    if pager is None:
        try:
            yield Listing(stdout, color=color)
            stdout.flush()
        except (ListingClosed, BrokenPipeError):
            _silence_stdout()
        return
    assert pager.stdin is not None
    stream = io.TextIOWrapper(
        pager.stdin, encoding=getattr(stdout, "encoding", None) or "utf-8", errors="replace"
    )
    try:
        yield Listing(stream, color=color)
    except (ListingClosed, KeyboardInterrupt):
        pass  # quit in the pager, or Ctrl-C while it shows the text: the pager has the rest
    finally:
        with contextlib.suppress(OSError, ValueError):
            stream.close()
        while True:
            try:
                pager.wait()
                break
            except KeyboardInterrupt:
                continue  # the pager decides what Ctrl-C does


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
