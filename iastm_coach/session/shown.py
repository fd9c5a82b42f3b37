"""What the session shows, as data: the views draw it (Rich, or plain lines).

The core says *what* to show and how much weight it carries (a tone); it never
imports Rich, so it runs and is tested without a terminal. Every piece of text,
ours or from a protocol file or a note, is drawn literally by the views: no
markup and no escape sequences reach the screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from iastm_coach.safety.redflags import RedFlag

# strong: a heading or a label; quiet: a side remark; caution, good, danger: what to heed.
Tone = Literal["", "strong", "quiet", "caution", "good", "danger"]
Part = str | tuple[str, Tone]


@dataclass(frozen=True)
class Line:
    """One paragraph, in pieces that may each carry a tone (it may contain newlines)."""

    parts: tuple[tuple[str, Tone], ...]

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.parts)


def line(*parts: Part, tone: Tone = "") -> Line:
    """`line("How: ", ("press", "strong"))`: bare strings take `tone`."""
    return Line(tuple((part, tone) if isinstance(part, str) else part for part in parts))


BLANK = Line(())


@dataclass(frozen=True)
class Box:
    """A titled block (a panel on a colour terminal; a heading and lines in plain mode)."""

    title: str
    lines: tuple[Line, ...]
    tone: Tone = ""


@dataclass(frozen=True)
class HoldNotice:
    """The red-flag notice: why the region is now on hold and what to do (views/redflags.py)."""

    region: str
    flags: tuple[RedFlag, ...]

    @classmethod
    def of(cls, flags: Sequence[RedFlag], region: str) -> HoldNotice:
        return cls(region, tuple(flags))


Shown = Line | Box | HoldNotice
