"""Older years of the report in a few rows: the Markdown and HTML stay readable.

A physio reads the last months session by session; ten years of sessions, one
row each, are 10,000 rows (13 MB of HTML). So the readable formats show the
last `DETAIL_MONTHS` months of the period (counted back from the newest
session, to the start of a month) session by session, and everything before as
one row per year and region: sessions, sittings, how many were complete,
minutes done, the mean soreness right after and at 24 h and 48 h, sessions
with a red flag, and notes. CSV and JSON keep every session.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import Final

from iastm_coach.history.queries import SessionRow

DETAIL_MONTHS: Final = 12
STARTED: Final = attrgetter("started")


@dataclass(frozen=True)
class YearSummary:
    """The sessions of one region in one year (local time) before the detailed months."""

    year: int
    region: str
    first: datetime  # the first and last session start summarised
    last: datetime
    sessions: int  # one per treated side
    sittings: int  # the sides of one sitting count once
    complete: int
    minutes_done: float
    mean_after: float | None  # mean soreness 0-10 of the sessions that have an answer
    answered_after: int
    mean_24h: float | None
    answered_24h: int
    mean_48h: float | None
    answered_48h: int
    flagged: int  # sessions with at least one red flag
    notes: int  # session and check-in notes


def detail_start(rows: Sequence[SessionRow], *, months: int = DETAIL_MONTHS) -> datetime | None:
    """The first moment shown session by session: the start of the local month *months*
    months before the newest session's month; None when no session is older. *rows* are
    oldest first (by start, as `Report.rows`): the first and the last are looked at."""
    if not rows:
        return None
    newest = rows[-1].started.astimezone()
    index = newest.year * 12 + newest.month - 1 - (months - 1)
    start = datetime(index // 12, index % 12 + 1, 1).astimezone()  # local midnight
    if rows[0].started >= start:
        return None
    return start


def local_year(moment: datetime) -> int:
    """`moment.astimezone().year`, the year on this computer's calendar, mostly without
    converting: a moment's own date and its local date are less than 48 hours apart (a
    UTC offset is less than a day either way), so from 3 January to 29 December of its
    own time zone (or, without one, of local time) a moment is in that year everywhere.
    Only the four days around New Year are converted: 10,000 moments take 2 ms, not 8."""
    month, day = moment.month, moment.day
    if (month == 12 and day >= 30) or (month == 1 and day <= 2):
        return moment.astimezone().year
    return moment.year


def mean(values: Sequence[int]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass(slots=True)
class _Totals:
    """Running totals of one year and region."""

    first: datetime
    last: datetime
    sessions: int = 0
    groups: set[str] = field(default_factory=set)
    complete: int = 0
    seconds: int = 0
    after: list[int] = field(default_factory=list)
    at_24: list[int] = field(default_factory=list)
    at_48: list[int] = field(default_factory=list)
    flagged: int = 0
    notes: int = 0


def year_summaries(rows: Sequence[SessionRow], before: datetime) -> list[YearSummary]:
    """One summary per local year and region of the sessions started before *before*,
    oldest year first, regions in name order. *rows* are oldest first (by start, as
    `Report.rows`): the sessions before *before* are found by bisection, then one pass."""
    # Comparing moments of two time zones costs more than the rest of a row: bisect.
    earlier = rows[: bisect_left(rows, before, key=STARTED)]
    groups: dict[tuple[int, str], _Totals] = {}
    for row in earlier:
        started = row.started
        key = (local_year(started), row.region)
        totals = groups.get(key)
        if totals is None:
            totals = groups[key] = _Totals(first=started, last=started)
        elif started < totals.first:  # as min() and max(): the earlier of equals stays
            totals.first = started
        elif started > totals.last:
            totals.last = started
        totals.sessions += 1
        totals.groups.add(row.group)
        totals.complete += row.complete
        totals.seconds += row.actual_s
        if row.soreness_after is not None:
            totals.after.append(row.soreness_after)
        by_hours = row.soreness_by_hours
        if by_hours:
            if 24 in by_hours:
                totals.at_24.append(by_hours[24])
            if 48 in by_hours:
                totals.at_48.append(by_hours[48])
        if row.flags:
            totals.flagged += 1
        if row.note:
            totals.notes += 1
        if row.checkin_notes:
            totals.notes += len(row.checkin_notes)
    return [
        YearSummary(
            year=year,
            region=region,
            first=t.first,
            last=t.last,
            sessions=t.sessions,
            sittings=len(t.groups),
            complete=t.complete,
            minutes_done=t.seconds / 60,
            mean_after=mean(t.after),
            answered_after=len(t.after),
            mean_24h=mean(t.at_24),
            answered_24h=len(t.at_24),
            mean_48h=mean(t.at_48),
            answered_48h=len(t.at_48),
            flagged=t.flagged,
            notes=t.notes,
        )
        for (year, region), t in sorted(groups.items())
    ]
