"""`iastm-coach history`: past sessions, newest first.

Only typer and the stdlib are imported at module level; the rest is imported
when the command runs (start-up time matters).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from iastm_coach.commands.common import print_reminder, resolve_region, since_moment
from iastm_coach.commands.protocol_cmd import complete_region


def cmd_history(
    ctx: typer.Context,
    region: Annotated[
        str | None,
        typer.Argument(help="Only this region, e.g. calf.", autocompletion=complete_region),
    ] = None,
    last: Annotated[int, typer.Option("--last", help="How many sessions to show.")] = 20,
    since: Annotated[
        dt.datetime | None,
        typer.Option(
            "--since", formats=["%Y-%m-%d"], help="Only sessions from this day on, YYYY-MM-DD."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Machine-readable output (fields in the README).")
    ] = False,
) -> None:
    """Review past sessions, newest first: soreness at 24 h and 48 h, exercise sets, red flags."""
    import json

    from iastm_coach.context import app_context
    from iastm_coach.errors import UsageError
    from iastm_coach.history.gather import history_page
    from iastm_coach.history.queries import row_dict
    from iastm_coach.views.history import history_table, holds_text

    app = app_context(ctx.obj)
    if last < 1:
        raise UsageError(f"--last must be 1 or more (got {last})")
    canonical = resolve_region(region) if region else None
    journal = app.journal()
    page = history_page(journal, region=canonical, last=last, since=since_moment(since))
    if as_json:
        payload = {"history_version": 1, "sessions": [row_dict(row) for row in page.rows]}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=1))
        return
    console = app.console()
    if not page.rows:
        console.print(
            "No sessions recorded yet. Record one with `iastm-coach session REGION`, or "
            "`iastm-coach log REGION --soreness N` for one done without the timer."
        )
    else:
        console.print(history_table(page.rows, holds=page.holds, width=console.width))
    if page.holds:
        console.print(holds_text(page.holds))
    if page.holds_from is not None:
        console.print(
            f"[dim]Holds placed before {page.holds_from.astimezone():%Y-%m-%d} are not shown "
            "here; `iastm-coach hold list` shows every hold.[/dim]"
        )
    print_reminder(app, journal, app.clock.now())
