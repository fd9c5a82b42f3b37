"""The one module that talks to Rich. Everything shown to people goes through here.

Text from protocol files and notes is untrusted: it is always wrapped in
`rich.text.Text` (never parsed as markup) by `literal()`.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from typing import TYPE_CHECKING

from rich.box import SIMPLE_HEAD, Box
from rich.console import Console, Group, RenderableType
from rich.text import Text

from iastm_coach.safe_text import strip_control_characters

if TYPE_CHECKING:
    from iastm_coach.errors import CoachError


_plain = False


class CoachConsole(Console):
    """A console that reports a closed output pipe (`| head -1`) to the command line, which
    ends quietly with one documented exit code (Rich's own handling exits with 1)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True  # nothing more to this reader
        raise BrokenPipeError("standard output was closed")


def set_plain(plain: bool) -> None:
    """`iastm-coach --plain ...`: no colour or live screens for this run."""
    global _plain
    _plain = plain
    for factory in (get_console, get_error_console, get_plain_console):
        factory.cache_clear()


def plain_requested() -> bool:
    """`--plain` or NO_COLOR (any non-empty value, as no-color.org asks)."""
    return _plain or bool(os.environ.get("NO_COLOR"))


def is_plain(console: Console | None = None) -> bool:
    """Plain for this run, or a console made without colour (the session's plain mode)."""
    return plain_requested() or (console is not None and bool(console.no_color))


# Plain mode's table: a row of dashes under the header, columns apart by spaces.
PLAIN_TABLE = Box("    \n    \n -- \n    \n    \n    \n    \n    \n", ascii=True)
_BOX_TO_ASCII = str.maketrans(
    {**dict.fromkeys("─━═", "-"), **dict.fromkeys("│┃║", "|")}
    | dict.fromkeys("┌┐└┘├┤┬┴┼╭╮╯╰┏┓┗┛┣┫┳┻╋┡┩╇", "+")
)


def table_box(fancy: Box = SIMPLE_HEAD) -> Box:
    """The box for a table: `fancy` on a colour terminal, dashes and spaces in plain mode."""
    return PLAIN_TABLE if plain_requested() else fancy


def ascii_art(text: Text) -> Text:
    """A chart's lines and corners as - | + in plain mode (styles kept)."""
    if not plain_requested():
        return text
    plain = text.copy()
    plain.plain = text.plain.translate(_BOX_TO_ASCII)
    return plain


def boxed(
    body: RenderableType, *, title: str, style: str = "", plain: bool | None = None
) -> RenderableType:
    """A titled panel; in plain mode a title line above the body, with no box characters
    (screen readers read line by line, and `--plain` output is grep-able text)."""
    if plain is None:
        plain = plain_requested()
    if plain:
        return Group(literal(title, "bold"), body)
    from rich.panel import Panel

    # The title is a Text: a plain string would be parsed as markup (titles carry regions).
    return Panel(body, title=literal(title), style=style or "none", title_align="left")


@cache
def get_console() -> Console:
    """The standard-output console (a seam for tests)."""
    if plain_requested():
        return get_plain_console()
    width, height = dumb_terminal_size()
    return CoachConsole(highlight=False, soft_wrap=False, width=width, height=height)


@cache
def get_plain_console() -> Console:
    """Standard output for `--plain`: no colour, no cursor movement, no escape codes."""
    width, height = dumb_terminal_size()
    return CoachConsole(
        no_color=True,
        color_system=None,
        highlight=False,
        soft_wrap=False,
        width=width,
        height=height,
    )


def dumb_terminal_size() -> tuple[int | None, int | None]:
    """Width and height for a TERM=dumb terminal (an editor's shell, a screen reader's).

    Rich lays a dumb terminal out at 80 columns whatever its size, so a 40-column one
    wraps every table; use COLUMNS/LINES, else the size the terminal reports.
    """
    if os.environ.get("TERM") != "dumb":
        return None, None
    try:
        columns, lines = os.get_terminal_size(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):
        return None, None  # not a terminal: Rich already reads COLUMNS for pipes
    for name in ("COLUMNS", "LINES"):
        value = os.environ.get(name, "")
        if value.isdigit():
            columns, lines = (int(value), lines) if name == "COLUMNS" else (columns, int(value))
    if not (columns and lines):
        return None, None
    return columns, lines


@cache
def get_error_console() -> Console:
    # soft_wrap: one problem per line, however long, so messages can be grepped.
    return CoachConsole(
        stderr=True, no_color=plain_requested() or None, highlight=False, soft_wrap=True
    )


def literal(text: str, style: str = "") -> Text:
    """Untrusted text, shown exactly as written (no markup, no escape sequences)."""
    return Text(strip_control_characters(text), style=style)


def show_error(error: CoachError) -> None:
    """The message and each problem on one line however long (soft wrap: they can be
    grepped, and a terminal shows them whole), except a stop's message at a terminal; the
    hint, advice for people, word-wrapped to the width of a terminal (on one line when
    standard error is not a terminal)."""
    console = get_error_console()
    from iastm_coach.errors import EXIT_INTERRUPTED, EXIT_SAFETY

    label = {EXIT_SAFETY: "Stop: ", EXIT_INTERRUPTED: "Stopped: "}.get(error.exit_code, "Error: ")
    # A stop is advice read by a person at a terminal: word-wrapped there, never split
    # mid-word ("ho/ld"); errors naming files and keys stay on one line, to be grepped.
    for_people = error.exit_code in (EXIT_SAFETY, EXIT_INTERRUPTED) and console.is_terminal
    console.print(Text(label, style="bold red") + literal(error.message), soft_wrap=not for_people)
    for problem in getattr(error, "problems", []):
        console.print(literal(f"  {problem}"))
    if error.hint:
        console.print(
            literal(error.hint),
            style="dim" if not plain_requested() else "",
            soft_wrap=not console.is_terminal,
        )


def show_error_text(message: str) -> None:
    get_error_console().print(literal(message))


def show_bug(error: BaseException) -> None:
    get_error_console().print(
        literal(
            f"iastm-coach hit an internal error ({type(error).__name__}: {error}). "
            "This is a bug, not something you did. Run the same command with --debug "
            "to see the details, and please report them."
        )
    )


def say(message: str, style: str = "") -> None:
    """Our own wording (trusted), which may use Rich markup."""
    get_console().print(message, style=style or None)


def say_literal(message: str, style: str = "") -> None:
    get_console().print(literal(message, style))
