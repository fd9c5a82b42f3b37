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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from iastm_coach.history.queries import SessionRow

DETAIL_MONTHS: Final = 12


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
    months before the newest session's month; None when no session is older."""
    if not rows:
        return None
    newest = max(row.started for row in rows).astimezone()
    index = newest.year * 12 + newest.month - 1 - (months - 1)
    start = datetime(index // 12, index % 12 + 1, 1).astimezone()  # local midnight
    if min(row.started for row in rows) >= start:
        return None
    return start


def mean(values: Sequence[int]) -> float | None:
    return sum(values) / len(values) if values else None


def year_summaries(rows: Iterable[SessionRow], before: datetime) -> list[YearSummary]:
    """One summary per local year and region of the sessions started before *before*,
    oldest year first, regions in name order."""
    groups: dict[tuple[int, str], list[SessionRow]] = {}
    for row in rows:
        if row.started < before:
            groups.setdefault((row.started.astimezone().year, row.region), []).append(row)
    summaries = []
    for (year, region), items in sorted(groups.items()):
        after = [r.soreness_after for r in items if r.soreness_after is not None]
        at_24 = [v for r in items if (v := r.soreness_at(24)) is not None]
        at_48 = [v for r in items if (v := r.soreness_at(48)) is not None]
        summaries.append(
            YearSummary(
                year=year,
                region=region,
                first=min(r.started for r in items),
                last=max(r.started for r in items),
                sessions=len(items),
                sittings=len({r.group for r in items}),
                complete=sum(1 for r in items if r.complete),
                minutes_done=sum(r.actual_s for r in items) / 60,
                mean_after=mean(after),
                answered_after=len(after),
                mean_24h=mean(at_24),
                answered_24h=len(at_24),
                mean_48h=mean(at_48),
                answered_48h=len(at_48),
                flagged=sum(1 for r in items if r.flags),
                notes=sum((1 if r.note else 0) + len(r.checkin_notes) for r in items),
            )
        )
    return summaries
