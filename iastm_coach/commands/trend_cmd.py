"""`iastm-coach trend`: soreness, sessions per week and outcome measures over time.

Only typer and the stdlib are imported at module level; the rest is imported
when the command runs (start-up time matters).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer

from iastm_coach.commands.common import open_journal, print_reminder, resolve_region
from iastm_coach.commands.protocol_cmd import complete_region

if TYPE_CHECKING:
    from iastm_coach.history.queries import SessionRow
    from iastm_coach.journal.store import Journal


def cmd_trend(
    region: Annotated[
        str | None,
        typer.Argument(help="Only this region, e.g. calf.", autocompletion=complete_region),
    ] = None,
    weeks: Annotated[int, typer.Option("--weeks", help="How many weeks back.")] = 12,
    as_json: Annotated[
        bool, typer.Option("--json", help="Machine-readable output (fields in the README).")
    ] = False,
) -> None:
    """Soreness, sessions per week against your protocol, and your outcome measures."""
    from iastm_coach.clock import SystemClock
    from iastm_coach.errors import CoachError, UsageError
    from iastm_coach.history.outcomes import measurements_of
    from iastm_coach.history.queries import session_rows
    from iastm_coach.history.trend import build_trend
    from iastm_coach.journal import records
    from iastm_coach.protocols.library import load_for_region
    from iastm_coach.safety.holds import active_holds
    from iastm_coach.views.history import trend_view
    from iastm_coach.views.ui import get_console

    if not 1 <= weeks <= 520:
        raise UsageError(f"--weeks must be between 1 and 520 (got {weeks})")
    canonical = resolve_region(region) if region else None
    journal = open_journal()
    now = SystemClock().now()
    start = now - dt.timedelta(weeks=weeks)
    rows = session_rows(journal, region=canonical, last=None, since=start)
    measurements = [
        m
        for m in measurements_of(journal.recent(kinds={records.MEASURE}, since=start))
        if canonical is None or m.region == canonical
    ]
    prescribed: dict[str, int] = {}
    better: dict[tuple[str, str], bool] = {}
    treated = {row.region for row in rows} | ({canonical} if canonical else set())
    for name in sorted(treated | {m.region for m in measurements}):
        try:
            protocol = load_for_region(name).protocol
        except CoachError:
            continue  # a region no longer in the library: no target to compare with
        if protocol.prescription is not None and name in treated:
            prescribed[name] = protocol.prescription.sessions_per_week
        if protocol.outcome is not None:
            better[(name, protocol.outcome.name)] = protocol.outcome.higher_is_better
    if not rows and not measurements and not as_json:
        from iastm_coach.views.ui import say

        say(  # the first-use view: short, and what to do next
            "No sessions yet, so no trend. Start with `iastm-coach session REGION` "
            "(`iastm-coach protocol list` shows the regions); the trend fills in from the "
            "first session."
        )
        return
    trend = build_trend(
        rows,
        now=now,
        weeks_back=weeks,
        region=canonical,
        prescribed=prescribed,
        holds=active_holds(journal),
        measurements=measurements,
        higher_is_better=better,
        journal_start=first_session_day(journal, rows, start),
    )
    if as_json:
        import json

        typer.echo(json.dumps(trend.to_json(), ensure_ascii=False, indent=1))
        return
    console = get_console()
    console.print(trend_view(trend, width=console.width))
    print_reminder(journal, now)


def first_session_day(
    journal: Journal, rows: list[SessionRow], start: dt.datetime
) -> dt.date | None:
    """The day of the first session ever when the journal holds nothing older than *start*
    (its oldest month file is later), else None: older weeks may have been missed."""
    oldest = journal.month_files()[:1]
    if not rows or (oldest and oldest[0].name[:7] <= f"{start.astimezone():%Y-%m}"):
        return None
    return min(row.started for row in rows).astimezone().date()
