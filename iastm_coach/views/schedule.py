"""The schedule on screen (`iastm-coach schedule`): sessions and check-ins ahead."""

from __future__ import annotations

import datetime as dt

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from iastm_coach.plans.schedule import Schedule
from iastm_coach.views.calendar import checkin_summary, session_detail, session_summary
from iastm_coach.views.ui import literal
from iastm_coach.vocabulary import describe_end, describe_moment


def render_schedule(schedule: Schedule) -> RenderableType:
    """Sessions, check-ins and what is not planned (and why), each a two-column list that
    wraps inside its column on a narrow terminal."""
    now = schedule.now
    weeks = round((schedule.until - now) / dt.timedelta(weeks=1))
    parts: list[RenderableType] = [
        Text(f"The next {weeks} week{'s' * (weeks != 1)}", style="bold"),
    ]

    def section(title: str, rows: list[tuple[Text, Text]]) -> None:
        if not rows:
            return
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True)
        grid.add_column()
        for row in rows:
            grid.add_row(*row)
        parts.extend([Text(), Text(title, style="bold"), Padding(grid, (0, 0, 0, 2))])

    def when(at: dt.datetime, summary: str, detail: str) -> tuple[Text, Text]:
        """A row: when, and the calendar entry's title (without its app prefix) and detail."""
        title = literal(summary.removeprefix("IASTM: "))
        return Text(describe_moment(at, now)), title + Text(detail)

    section(
        "Sessions",
        [when(s.at, session_summary(s), f" ({session_detail(s)})") for s in schedule.sessions],
    )
    section(
        "Check-ins (iastm-coach checkin)",
        [
            when(c.at, checkin_summary(c), f", open until {describe_end(c.closes, now)}")
            for c in schedule.checkins
        ],
    )
    section(
        "Not planned",
        [(literal(n.region, "yellow"), literal(n.reason)) for n in schedule.not_planned],
    )
    parts.append(Text())
    if not (schedule.sessions or schedule.checkins):
        if schedule.empty:
            parts.append(Text("Nothing to plan yet: start with `iastm-coach session calf`."))
        else:
            parts.append(Text("Nothing planned in these weeks."))
        return Group(*parts)
    parts.append(
        Text("Reminders on your phone: ")
        + literal("iastm-coach schedule --out iastm-coach.ics", "bold")
        + Text(", then import the file into your calendar.")
    )
    return Group(*parts)
