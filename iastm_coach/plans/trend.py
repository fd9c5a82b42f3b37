"""Trends: soreness over time, sessions per week against the prescription, and the
self-measured outcome tests (before → after per session, and the change over weeks).

Pure: takes history rows, measurements and a moment, returns a model with a
short plain-language summary; `history_view` draws it. A sitting (both sides of
a region treated together, one `group`) counts as one session per week, as a
prescription of "2 sessions a week" means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import fmean
from typing import TYPE_CHECKING, Any, Final

from iastm_coach.history.outcomes import (
    CAVEAT,
    Measurement,
    Series,
    build_series,
    monday_of,
    summary_line,
)
from iastm_coach.vocabulary import day_text

if TYPE_CHECKING:
    from iastm_coach.history.queries import SessionRow
    from iastm_coach.safety.holds import Hold

TREND_VERSION: Final = 1  # `trend --json`
MEANINGFUL_CHANGE: Final = 2  # NRS points (clinical reference §7, Physiotherapy Canada)


@dataclass(frozen=True)
class SorenessPoint:
    """The soreness answers of one session (None where not answered)."""

    when: datetime
    session_id: str
    place: str
    after: int | None
    h24: int | None
    h48: int | None
    h72: int | None = None
    region: str = ""
    side: str = "none"

    def values(self) -> dict[str, int | None]:
        return {"after": self.after, "24h": self.h24, "48h": self.h48, "72h": self.h72}


@dataclass(frozen=True)
class WeekCount:
    """Sittings in one week (Monday to Sunday, local time), per region."""

    monday: date
    by_region: Mapping[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_region.values())


@dataclass(frozen=True)
class Trend:
    region: str | None
    weeks_back: int
    points: tuple[SorenessPoint, ...]
    weeks: tuple[WeekCount, ...]
    prescribed: Mapping[str, int]  # region -> sessions a week, where the protocol says
    summary: tuple[str, ...]
    outcomes: tuple[Series, ...] = ()  # one per test and side measured in the period
    outcome_summary: tuple[str, ...] = ()  # a sentence per series, then the caveat
    this_week: date | None = None  # Monday of the week of `now`: not over yet
    holds: Mapping[str, Hold] = field(default_factory=dict)  # those the summary names
    now: datetime | None = None

    @property
    def target(self) -> int | None:
        """The weekly target to draw: only when one region is shown."""
        if len(self.prescribed) == 1:
            return next(iter(self.prescribed.values()))
        return None

    def to_json(self) -> dict[str, Any]:
        """The data behind the chart and the summary (`trend --json`); the field names are
        documented in the README and never renamed."""
        from iastm_coach.history.outcomes import outcome_dict
        from iastm_coach.safety.holds import hold_dict

        return {
            "trend_version": TREND_VERSION,
            "now": self.now.isoformat() if self.now else None,
            "region": self.region,
            "weeks_back": self.weeks_back,
            "this_week": self.this_week.isoformat() if self.this_week else None,
            "prescribed_per_week": dict(sorted(self.prescribed.items())),
            "sessions": [
                {
                    "id": p.session_id,
                    "region": p.region,
                    "side": p.side,
                    "started": p.when.isoformat(),
                    "soreness_after": p.after,
                    "soreness_24h": p.h24,
                    "soreness_48h": p.h48,
                    "soreness_72h": p.h72,
                }
                for p in self.points
            ],
            "weeks": [
                {
                    "week": w.monday.isoformat(),
                    "in_progress": w.monday == self.this_week,
                    "sittings": dict(w.by_region),
                    "total": w.total,
                }
                for w in self.weeks
            ],
            "holds": [hold_dict(hold) for _, hold in sorted(self.holds.items())],
            "outcomes": [outcome_dict(series) for series in self.outcomes],
            "summary": list(self.summary),
            "outcome_summary": list(self.outcome_summary),
        }


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


def soreness_points(rows: Iterable[SessionRow]) -> list[SorenessPoint]:
    """One point per session, oldest first."""
    return [
        SorenessPoint(
            when=row.started,
            session_id=row.id,
            place=row.place(),
            after=row.soreness_after,
            h24=row.soreness_at(24),
            h48=row.soreness_at(48),
            h72=row.soreness_at(72),
            region=row.region,
            side=row.side,
        )
        for row in sorted(rows, key=lambda r: (r.started, r.id))
    ]


def week_counts(rows: Iterable[SessionRow], *, first: date, last: date) -> list[WeekCount]:
    """Sittings per week from the week of *first* to the week of *last*, empty weeks included."""
    groups: dict[date, dict[str, set[str]]] = {}
    for row in rows:
        week = monday_of(row.started)
        groups.setdefault(week, {}).setdefault(row.region, set()).add(row.group)
    start = first - timedelta(days=first.weekday())
    result = []
    week = start
    while week <= last:
        by_region = {region: len(ids) for region, ids in sorted(groups.get(week, {}).items())}
        result.append(WeekCount(week, by_region))
        week += timedelta(days=7)
    return result


def build_trend(
    rows: Sequence[SessionRow],
    *,
    now: datetime,
    weeks_back: int,
    region: str | None,
    prescribed: Mapping[str, int],
    holds: Mapping[str, Hold],
    measurements: Sequence[Measurement] = (),
    higher_is_better: Mapping[tuple[str, str], bool] | None = None,
    journal_start: date | None = None,
    minimal_change: Mapping[tuple[str, str], float] | None = None,
) -> Trend:
    """The trend of *rows* (sessions of the last *weeks_back* weeks) and *measurements*
    (of the same weeks) as of *now*; the weeks listed start no earlier than the week of
    *journal_start* (the first session ever, when known).

    *higher_is_better* maps (region, test) to the protocol's direction, where known;
    *minimal_change* to its measurement error.
    """
    points = soreness_points(rows)
    today = now.astimezone().date()
    first = today - timedelta(weeks=weeks_back - 1)
    if journal_start is not None:  # a new journal is not eleven empty weeks
        first = max(first, journal_start)
    weeks = week_counts(rows, first=first, last=today)
    relevant_holds = {r: h for r, h in holds.items() if region is None or r == region}
    summary = summarize(
        points,
        weeks,
        prescribed=prescribed,
        holds=relevant_holds,
        weeks_back=weeks_back,
        this_week=monday_of(now),
    )
    kept = [m for m in measurements if region is None or m.region == region]
    outcomes = build_series(kept, higher_is_better=higher_is_better, minimal_change=minimal_change)
    return Trend(
        region,
        weeks_back,
        tuple(points),
        tuple(weeks),
        dict(prescribed),
        summary,
        outcomes=tuple(outcomes),
        outcome_summary=outcome_lines(outcomes, weeks_back=weeks_back),
        this_week=monday_of(now),
        holds=relevant_holds,
        now=now,
    )


def outcome_lines(outcomes: Sequence[Series], *, weeks_back: int) -> tuple[str, ...]:
    """A sentence per test and side, then the caveat; or how to start measuring."""
    if not outcomes:
        return (
            f"No outcome measurements in the last {weeks_back} weeks: `iastm-coach measure "
            "REGION` records one, and a session offers one before and after the strokes.",
        )
    return (*(summary_line(series) for series in outcomes), CAVEAT)


def summarize(
    points: Sequence[SorenessPoint],
    weeks: Sequence[WeekCount],
    *,
    prescribed: Mapping[str, int],
    holds: Mapping[str, Hold],
    weeks_back: int,
    this_week: date | None = None,
) -> tuple[str, ...]:
    """A few plain sentences: how often, how sore, and what is on hold."""
    lines: list[str] = []
    from iastm_coach.safety.redflags import hold_reminder

    for region, hold in sorted(holds.items()):
        urgent = hold_reminder(region, hold.all_rules)
        lines.append(
            f"{region} is on hold since {day_text(hold.since)}: "
            f"{hold.reason_text()}. "
            + (f"{urgent} " if urgent else "")
            + "Do not treat it; contact your clinician."
        )
    if not points:
        lines.append(f"No sessions in the last {weeks_back} weeks.")
        return tuple(lines)
    lines.extend(frequency_lines(weeks, prescribed, this_week=this_week))
    lines.append(soreness_line(points))
    return tuple(lines)


def week_pending(count: int, target: int | None) -> bool:
    """Whether the week in progress is left out of the weekly average: until it is over it
    counts only once it has reached the prescription (it cannot fall short any more);
    without a prescription, not until it is over."""
    return target is None or count < target


def frequency_lines(
    weeks: Sequence[WeekCount], prescribed: Mapping[str, int], *, this_week: date | None = None
) -> list[str]:
    """Sessions a week per region, from its first week with a session, against the
    prescription. The week of *this_week* is not over: see `week_pending`."""
    regions = sorted({region for week in weeks for region in week.by_region})
    lines = []
    for region in regions:
        target = prescribed.get(region)
        active = [w for w in weeks if w.by_region.get(region)]
        # Count from the first week with a session: weeks before the start are not missed.
        span = [w for w in weeks if w.monday >= active[0].monday]
        so_far = sum(w.by_region.get(region, 0) for w in span if w.monday == this_week)
        pending = any(w.monday == this_week for w in span) and week_pending(so_far, target)
        counted = [w for w in span if not (pending and w.monday == this_week)]
        prescription = f" of the {target} a week prescribed" if target is not None else ""
        if not counted:
            lines.append(
                f"{region}: {plural(so_far, 'session')}{prescription} so far this week "
                "(the first week is not over)."
            )
            continue
        done = sum(w.by_region.get(region, 0) for w in counted)
        rate = done / len(counted)
        weeks_text = plural(len(counted), "week")
        if pending:
            weeks_text = plural(len(counted), "full week")
        text = f"{region}: {plural(done, 'session')} in {weeks_text}, about {rate:.1f} a week"
        if target is None:
            line = f"{text}."
        elif rate > target:
            line = (
                f"{text}, more than the {target} a week prescribed: leave the rest time "
                "between sessions; more is not better."
            )
        elif rate >= target - 0.25:
            line = f"{text}, as prescribed ({target} a week)."
        else:
            line = f"{text}, fewer than the {target} a week prescribed."
        if pending:
            line += f" This week so far: {so_far}{prescription}; " + (
                "it counts once it is over."
                if target is None
                else f"it counts once it has {target} or is over."
            )
        lines.append(line)
    return lines


def soreness_line(points: Sequence[SorenessPoint]) -> str:
    """Compare 24 h soreness early vs late; a change of 2 points or more is meaningful."""
    day_after = [p.h24 for p in points if p.h24 is not None]
    if len(day_after) < 4:
        return (
            f"Soreness the day after: {plural(len(day_after), 'check-in')} so far; "
            "answer the 24 h check-ins to see a trend."
        )
    half = len(day_after) // 2
    early, late = fmean(day_after[:half]), fmean(day_after[half:])
    change = late - early
    if change <= -MEANINGFUL_CHANGE:
        verdict = "clearly lower than at first"
    elif change >= MEANINGFUL_CHANGE:
        verdict = "clearly higher than at first: tell your clinician"
    else:
        verdict = "about the same (a change of less than 2 points is within normal variation)"
    return (
        f"Soreness the day after averaged {early:.1f}/10 in the earlier sessions and "
        f"{late:.1f}/10 in the later ones: {verdict}."
    )
