"""`iastm-coach trend`: soreness, sessions per week and outcome measures over time.

Only typer and the stdlib are imported at module level; the rest is imported
when the command runs (start-up time matters).
"""

from __future__ import annotations

from typing import Annotated

import typer

from iastm_coach.commands.common import JsonFlag, complete_region, print_reminder, resolve_region


def cmd_trend(
    ctx: typer.Context,
    region: Annotated[
        str | None,
        typer.Argument(help="Only this region, e.g. calf.", autocompletion=complete_region),
    ] = None,
    weeks: Annotated[int, typer.Option("--weeks", help="How many weeks back.")] = 12,
    as_json: JsonFlag = False,
) -> None:
    """Soreness, sessions per week against your protocol, and your outcome measures."""
    from iastm_coach.context import app_context
    from iastm_coach.errors import UsageError
    from iastm_coach.plans.gather import trend_of

    app = app_context(ctx.obj)
    if not 1 <= weeks <= 520:
        raise UsageError(f"--weeks must be between 1 and 520 (got {weeks})")
    canonical = resolve_region(region) if region else None
    journal = app.journal()
    now = app.clock.now()
    if not as_json and not journal.recent(kinds={"session", "measure"}, limit=1):
        # The first-use view: short, and what to do next (not twelve empty weeks).
        app.console().print(
            "No sessions yet, so no trend. Start with `iastm-coach session REGION` "
            "(`iastm-coach protocol list` shows the regions); the trend fills in from the "
            "first session."
        )
        return
    trend = trend_of(journal, region=canonical, weeks=weeks, now=now)
    if as_json:
        from iastm_coach.views.json_doc import emit_json

        emit_json(trend.to_json())
        return
    from iastm_coach.views.history import trend_view

    console = app.console()
    console.print(trend_view(trend, width=console.width))
    print_reminder(app, journal, now)
