"""Drawing what the core asks to show (session/shown.py): lines, boxes, hold notices."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text

from iastm_coach.session.shown import Box, Line, Shown, Tone
from iastm_coach.views.redflags import red_flag_panel
from iastm_coach.views.ui import boxed, get_console, is_plain, literal

STYLES: dict[Tone, str] = {
    "": "",
    "strong": "bold",
    "quiet": "dim",
    "caution": "yellow",
    "good": "green",
    "danger": "bold red",
}


def line_text(line: Line) -> Text:
    text = Text()
    for part, tone in line.parts:
        text.append_text(literal(part, STYLES[tone]))
    return text


def render(item: Shown, *, plain: bool | None = None) -> RenderableType:
    """One item as a Rich renderable; `plain` (default: `--plain`/NO_COLOR) draws no boxes."""
    if isinstance(item, Line):
        return line_text(item)
    if isinstance(item, Box):
        body = Text("\n").join(line_text(line) for line in item.lines)
        return boxed(body, title=item.title, style=STYLES[item.tone], plain=plain)
    return red_flag_panel(item.flags, item.region, plain=plain)  # a HoldNotice


def show(*items: Shown) -> None:
    """Draw items on standard output (for commands that show without asking)."""
    console = get_console()
    plain = is_plain(console)
    for item in items:
        console.print(render(item, plain=plain))
