"""`iastm-coach exercises REGION`: the region's exercises on a day without scraping.

Only typer and the stdlib are imported at module level; the rest is imported
when the command runs (start-up time matters).
"""

from __future__ import annotations

from typing import Annotated

import typer

from iastm_coach.commands.common import complete_region, say


def cmd_exercises(
    ctx: typer.Context,
    region: Annotated[
        str, typer.Argument(help="Body region, e.g. calf.", autocompletion=complete_region)
    ],
) -> None:
    """Do a region's exercises on a day without scraping, with a guide; they count in the
    physio's report."""
    from iastm_coach.clock import time_scale
    from iastm_coach.context import app_context
    from iastm_coach.protocols.library import load_for_region, require_intact
    from iastm_coach.session.exercises import exercise_day

    app = app_context(ctx.obj)
    loaded = require_intact(load_for_region(region))
    journal = app.journal()
    journal.check_writable()  # before the first set, not after the last
    saved = exercise_day(
        loaded,
        journal=journal,
        clock=app.clock,
        time_scale=time_scale(),
        talk=app.talk(plain=True),  # a guide read line by line, as it always was
    )
    done = sum(int(item["sets_done"]) for item in saved.data["exercises"])
    planned = sum(int(item["sets_planned"]) for item in saved.data["exercises"])
    say(app, f"Recorded: {done} of {planned} sets of the {loaded.protocol.region} exercises.")
