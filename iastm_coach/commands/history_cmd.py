"""`iastm-coach history`: past sessions, newest first.

Only typer and the stdlib are imported at module level; the rest is imported
when the command runs (start-up time matters).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from iastm_coach.commands.common import open_journal, print_reminder, resolve_region, since_moment
from iastm_coach.commands.protocol_cmd import complete_region


def cmd_history(
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
    from iastm_coach.clock import SystemClock
    from iastm_coach.errors import UsageError
    from iastm_coach.history.queries import companions_for, join_rows, recent_sessions, row_dict
    from iastm_coach.safety.holds import fold_holds
    from iastm_coach.views.history import history_table, holds_text
    from iastm_coach.views.ui import get_console, say

    if last < 1:
        raise UsageError(f"--last must be 1 or more (got {last})")
    canonical = resolve_region(region) if region else None
    journal = open_journal()
    sessions = recent_sessions(journal, region=canonical, last=last, since=since_moment(since))
    companions = companions_for(journal, sessions)
    rows = join_rows(sessions, companions)
    if as_json:
        from iastm_coach.views.json_doc import emit_json

        emit_json({"history_version": 1, "sessions": [row_dict(row) for row in rows]})
        return
    # Holds placed since the oldest session shown, minus those lifted since: history
    # stays as fast on ten years of journal as on ten sessions. (`hold list` and
    # `iastm-coach today` read every hold.)
    holds = fold_holds(companions).active
    if canonical:
        holds = {r: h for r, h in holds.items() if r == canonical}
    console = get_console()
    if not rows:
        say(
            "No sessions recorded yet. Record one with `iastm-coach session REGION`, or "
            "`iastm-coach log REGION --soreness N` for one done without the timer."
        )
    else:
        console.print(history_table(rows, holds=holds, width=console.width))
    if holds:
        console.print(holds_text(holds))
    if rows and (len(rows) >= last or since is not None):
        # Older sessions exist or may: a hold placed before them is not folded in here.
        oldest = min(row.started for row in rows).astimezone()
        say(
            f"[dim]Holds placed before {oldest:%Y-%m-%d} are not shown here; "
            "`iastm-coach hold list` shows every hold.[/dim]"
        )
    print_reminder(journal, SystemClock().now())
