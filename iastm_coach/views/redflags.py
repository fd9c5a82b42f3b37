"""The red-flag notice: shown by the session, `checkin` and `log` when a region goes on hold."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import RenderableType
from rich.text import Text

from iastm_coach.safety.redflags import RedFlag, advice_for
from iastm_coach.views.ui import boxed, literal


def red_flag_panel(
    flags: Sequence[RedFlag], region: str, *, plain: bool | None = None
) -> RenderableType:
    """Each reason, then the advice, under "Stop: the REGION is now on hold".

    The region is shown literally: it may come from a hand-edited file.
    """
    text = Text()
    for flag in flags:
        text.append_text(literal(f"- {flag.reason}\n"))
    text.append_text(literal(advice_for(flags, region=region)))
    return boxed(text, title=f"Stop: the {region} is now on hold", style="red", plain=plain)
