"""`iastm-coach history`: past sessions, newest first.

Only typer and the stdlib are imported at module level; the rest is imported
when the command runs (start-up time matters).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from iastm_coach.commands.common import JsonFlag, complete_region, resolve_region, since_moment

DEFAULT_LAST = 20


def cmd_history(
    ctx: typer.Context,
    region: Annotated[
        str | None,
        typer.Argument(help="Only this region, e.g. calf.", autocompletion=complete_region),
    ] = None,
    last: Annotated[
        int, typer.Option("--last", help="How many sessions to show (default 20).")
    ] = DEFAULT_LAST,
    show_all: Annotated[
        bool, typer.Option("--all", help="Every session (paged on a terminal).")
    ] = False,
    since: Annotated[
        dt.datetime | None,
        typer.Option(
            "--since", formats=["%Y-%m-%d"], help="Only sessions from this day on, YYYY-MM-DD."
        ),
    ] = None,
    as_json: JsonFlag = False,
    no_pager: Annotated[
        bool, typer.Option("--no-pager", help="Print straight to the terminal, never paged.")
    ] = False,
) -> None:
    """Review past sessions, newest first: soreness at 24 h and 48 h, exercise sets, red flags."""
    from iastm_coach.context import app_context
    from iastm_coach.errors import UsageError
    from iastm_coach.views.history_listing import show_history

    app = app_context(ctx.obj)
    if last < 1:
        raise UsageError(f"--last must be 1 or more (got {last})")
    canonical = resolve_region(region) if region else None
    show_history(
        app.journal(),
        region=canonical,
        last=None if show_all else last,
        since=since_moment(since),
        as_json=as_json,
        # More than the default asked for: page it on a terminal, as `git log` does.
        page=not no_pager and (show_all or last > DEFAULT_LAST),
        now=app.clock.now(),
    )
