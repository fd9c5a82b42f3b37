"""Outcome measures: before → after around each session, and the change over weeks.

Pure: `measure` records in (fields in `records.py`), plain models out; `trend`,
`report` and `history` show them.

Two views of the same values, kept apart on purpose:

- **Around a session.** The `before` and `after` values that name one session
  are paired, per test and side: after − before is the change right after the
  strokes. Such changes are common and tell little about the long term.
- **Over weeks.** The values *not* taken right after a session (phases
  `standalone` and `before`) are the ones to compare from week to week: the
  median of each week (Monday to Sunday, local time), and the overall change
  from the first weeks measured to the last (the median of all values of the
  first `EDGE_WEEKS` measured weeks against that of the last `EDGE_WEEKS`; one
  week each when fewer than four weeks have values).
- **Over the course.** What the person and the physio ask first: how far did it
  move from the start to now? The mean of the first `EDGE_VALUES` rested values
  against the mean of the last `EDGE_VALUES` (the first value against the last
  when there are fewer than four), stated against the protocol's
  `outcome.minimal_change` (the measurement error). Two values at each end
  smooth one unusual day; weekly medians of the first and last weeks would pull
  the start and the end towards the middle and understate a steady change.

A series is one test on one side of one region (and one unit: a test whose
unit changed starts a new series).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Final

from iastm_coach.history.measure import is_score
from iastm_coach.journal import records
from iastm_coach.vocabulary import monday_of as monday_of  # re-exported: trend, report
from iastm_coach.vocabulary import place_label

if TYPE_CHECKING:
    from iastm_coach.journal.store import Record

CAVEAT: Final = (
    "Right after a session, changes are common and tell less about the long term; "
    "measure at the same time of day and the same way each time."
)
EDGE_WEEKS: Final = 2  # weeks at each end compared for the overall change
EDGE_VALUES: Final = 2  # rested values averaged at each end for the change over the course
MIN_WEEKS_FOR_CHANGE: Final = 2  # measured weeks needed before an overall change is shown
PHASE_BEFORE: Final = "before"
PHASE_AFTER: Final = "after"
PHASE_STANDALONE: Final = "standalone"

SeriesKey = tuple[str, str, str, str]  # (region, test, unit, side)


@dataclass(frozen=True, slots=True)
class Measurement:
    """One `measure` record, read once."""

    id: str
    at: datetime
    region: str
    side: str
    test: str
    unit: str
    value: float
    phase: str
    session: str

    @classmethod
    def from_record(cls, record: Record) -> Measurement | None:
        """The measurement, or None when the record is not a usable measure (no number)."""
        if record.kind != records.MEASURE:
            return None
        data = record.data
        value = data.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        if not math.isfinite(value):  # TOML allows inf and nan; a hand edit could add one
            return None
        phase = str(data.get("phase", PHASE_STANDALONE))
        session = str(data.get("session", ""))
        if phase not in (PHASE_BEFORE, PHASE_AFTER):
            phase = PHASE_STANDALONE
        return cls(
            id=record.id,
            at=record.at,
            region=str(data.get("region", "")),
            side=str(data.get("side", "none")) or "none",
            test=str(data.get("test", "")),
            unit=str(data.get("unit", "")),
            value=float(value),
            phase=phase,
            session=session,
        )

    @property
    def key(self) -> SeriesKey:
        return (self.region, self.test, self.unit, self.side)

    @property
    def rested(self) -> bool:
        """Not taken right after a session: the values compared from week to week."""
        return self.phase != PHASE_AFTER


def measurements_of(items: Iterable[Record]) -> list[Measurement]:
    """The usable measurements among *items*, oldest first (by time written, then id)."""
    found = [m for m in map(Measurement.from_record, items) if m is not None]
    found.sort(key=lambda m: (m.at, m.id))
    return found


def change_of(before: float | None, after: float | None) -> float | None:
    """after − before, rounded so that 11.2 − 9.5 reads 1.7; None unless both exist."""
    if before is None or after is None:
        return None
    return round(after - before, 6)


# --- around a session ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionChange:
    """The before and after values of one test on one side around one session."""

    session: str
    region: str
    side: str
    test: str
    unit: str
    at: datetime  # when the first of the two was taken
    before: float | None
    after: float | None

    @property
    def change(self) -> float | None:
        return change_of(self.before, self.after)

    @property
    def key(self) -> SeriesKey:
        return (self.region, self.test, self.unit, self.side)


def session_changes(measurements: Iterable[Measurement]) -> list[SessionChange]:
    """Before/after pairs per session, test and side, ordered by when they were taken.

    Only measurements that name a session count; standalone values never pair.
    When a phase was recorded twice, the later value wins. A session with only
    a before (or only an after) value still appears, with the other as None.
    """
    pairs: dict[tuple[str, SeriesKey], dict[str, Measurement]] = {}
    for item in sorted(measurements, key=lambda m: (m.at, m.id)):
        if not item.session or item.phase not in (PHASE_BEFORE, PHASE_AFTER):
            continue
        pairs.setdefault((item.session, item.key), {})[item.phase] = item
    result = []
    for (session, (region, test, unit, side)), phases in pairs.items():
        before, after = phases.get(PHASE_BEFORE), phases.get(PHASE_AFTER)
        first = min((m for m in (before, after) if m is not None), key=lambda m: (m.at, m.id))
        result.append(
            SessionChange(
                session=session,
                region=region,
                side=side,
                test=test,
                unit=unit,
                at=first.at,
                before=before.value if before else None,
                after=after.value if after else None,
            )
        )
    result.sort(key=lambda c: (c.at, c.session, c.key))
    return result


def changes_by_session(changes: Iterable[SessionChange]) -> dict[str, SessionChange]:
    """The change to show on each session's row: its first test with both values, else its
    first test (sessions run one protocol, so one test, in practice)."""
    chosen: dict[str, SessionChange] = {}
    for change in changes:
        current = chosen.get(change.session)
        if current is None or (current.change is None and change.change is not None):
            chosen[change.session] = change
    return chosen


# --- over weeks -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WeekValues:
    """The values of one test and side taken in one week, not right after a session."""

    monday: date
    count: int
    median: float
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class OverallChange:
    """The median of the first weeks measured against that of the last weeks measured."""

    early: float
    late: float
    edge_weeks: int  # how many measured weeks at each end were compared
    first_monday: date
    last_monday: date

    @property
    def change(self) -> float:
        return round(self.late - self.early, 6)


@dataclass(frozen=True)
class CourseChange:
    """The first rested values of the course against the last (see the module's notes)."""

    early: float  # the mean of the first `compared` rested values
    late: float  # the mean of the last `compared`
    compared: int  # values averaged at each end: EDGE_VALUES, or 1 with fewer than four
    first_at: datetime
    last_at: datetime

    @property
    def change(self) -> float:
        return round(self.late - self.early, 6)

    @property
    def weeks(self) -> int:
        """Whole weeks from the first value's week to the last's (Monday to Monday)."""
        return (monday_of(self.last_at) - monday_of(self.first_at)).days // 7


@dataclass(frozen=True)
class Series:
    """One test on one side of one region: its values over weeks and around sessions."""

    region: str
    side: str
    test: str
    unit: str
    values: tuple[Measurement, ...]  # every value, any phase, oldest first
    weeks: tuple[WeekValues, ...]  # weeks with rested values, oldest first
    changes: tuple[SessionChange, ...]  # around sessions, oldest first
    overall: OverallChange | None
    higher_is_better: bool | None = None
    course: CourseChange | None = None
    minimal_change: float | None = None  # the protocol's measurement error, where given

    @property
    def rested(self) -> tuple[Measurement, ...]:
        return tuple(m for m in self.values if m.rested)

    @property
    def paired(self) -> tuple[SessionChange, ...]:
        """The sessions with both a before and an after value."""
        return tuple(c for c in self.changes if c.change is not None)

    @property
    def mean_session_change(self) -> float | None:
        """The average after − before over the paired sessions."""
        paired = self.paired
        if not paired:
            return None
        from statistics import fmean

        return round(fmean(c.change for c in paired if c.change is not None), 6)

    def place(self) -> str:
        return place_label(self.region, self.side)


WeekOf = Callable[[datetime], date]  # a moment's Monday: `monday_of`


def remembered_weeks() -> WeekOf:
    """`monday_of` that works each moment's Monday out once (a local conversion): for one
    report, in which this computer's time zone does not change."""
    known: dict[datetime, date] = {}

    def week_of(moment: datetime) -> date:
        found = known.get(moment)
        if found is None:
            found = known[moment] = monday_of(moment)
        return found

    return week_of


def weekly_values(
    measurements: Iterable[Measurement], *, week_of: WeekOf = monday_of
) -> list[WeekValues]:
    """Per week with rested values (standalone and before): count, median, lowest, highest."""
    from statistics import median

    weeks: dict[date, list[float]] = {}
    for item in measurements:
        if item.rested:
            weeks.setdefault(week_of(item.at), []).append(item.value)
    return [
        WeekValues(monday, len(values), float(median(values)), min(values), max(values))
        for monday, values in sorted(weeks.items())
    ]


def overall_change(
    measurements: Sequence[Measurement], *, week_of: WeekOf = monday_of
) -> OverallChange | None:
    """First measured weeks against the last, or None with fewer than two measured weeks."""
    from statistics import median

    weeks: dict[date, list[float]] = {}
    for item in measurements:
        if item.rested:
            weeks.setdefault(week_of(item.at), []).append(item.value)
    if len(weeks) < MIN_WEEKS_FOR_CHANGE:
        return None
    ordered = sorted(weeks)
    edge = EDGE_WEEKS if len(ordered) >= 2 * EDGE_WEEKS else 1
    early = [v for week in ordered[:edge] for v in weeks[week]]
    late = [v for week in ordered[-edge:] for v in weeks[week]]
    return OverallChange(
        early=float(median(early)),
        late=float(median(late)),
        edge_weeks=edge,
        first_monday=ordered[0],
        last_monday=ordered[-1],
    )


def course_change(
    measurements: Sequence[Measurement], *, week_of: WeekOf = monday_of
) -> CourseChange | None:
    """The first rested values against the last, or None before two measured weeks."""
    from statistics import fmean

    rested = sorted((m for m in measurements if m.rested), key=lambda m: (m.at, m.id))
    if len({week_of(m.at) for m in rested}) < MIN_WEEKS_FOR_CHANGE:
        return None
    n = EDGE_VALUES if len(rested) >= 2 * EDGE_VALUES else 1
    return CourseChange(
        early=round(fmean(m.value for m in rested[:n]), 6),
        late=round(fmean(m.value for m in rested[-n:]), 6),
        compared=n,
        first_at=rested[0].at,
        last_at=rested[-1].at,
    )


def build_series(
    measurements: Iterable[Measurement],
    *,
    higher_is_better: Mapping[tuple[str, str], bool] | None = None,
    minimal_change: Mapping[tuple[str, str], float] | None = None,
    changes: Iterable[SessionChange] | None = None,
) -> list[Series]:
    """One series per region, test, unit and side, sorted by region, test and side.

    *higher_is_better* maps (region, test) to the protocol's direction, where known
    (test names compared without regard to case). *changes* are
    `session_changes(measurements)` when the caller already has them. *minimal_change*
    maps (region, test) to the protocol's measurement error, where given.
    """
    better = {(r, t.casefold()): v for (r, t), v in (higher_is_better or {}).items()}
    error = {(r, t.casefold()): v for (r, t), v in (minimal_change or {}).items()}
    grouped: dict[SeriesKey, list[Measurement]] = {}
    for item in sorted(measurements, key=lambda m: (m.at, m.id)):
        grouped.setdefault(item.key, []).append(item)
    by_key: dict[SeriesKey, list[SessionChange]] = {}
    if changes is None:
        changes = session_changes(m for values in grouped.values() for m in values)
    for change in changes:
        by_key.setdefault(change.key, []).append(change)
    week_of = remembered_weeks()  # each value's week is asked for three times below
    result = []
    for key in sorted(grouped):
        region, test, unit, side = key
        values = grouped[key]
        result.append(
            Series(
                region=region,
                side=side,
                test=test,
                unit=unit,
                values=tuple(values),
                weeks=tuple(weekly_values(values, week_of=week_of)),
                changes=tuple(by_key.get(key, [])),
                overall=overall_change(values, week_of=week_of),
                higher_is_better=better.get((region, test.casefold())),
                course=course_change(values, week_of=week_of),
                minimal_change=error.get((region, test.casefold())),
            )
        )
    return result


# --- words ------------------------------------------------------------------------------------


def number(value: float) -> str:
    """12.0 → '12', 9.25 → '9.25', at most two decimals."""
    return f"{round(value, 2):g}"


def with_unit(value: float, unit: str) -> str:
    """'9.5 cm', '4/10' for a 0-10 score."""
    return f"{number(value)}/10" if is_score(unit) else f"{number(value)} {unit}"


def signed(value: float, unit: str) -> str:
    """'+1.5 cm', '-2 points' for a 0-10 score, '0 cm'."""
    text = number(value)
    if value > 0:
        text = "+" + text
    return f"{text} point{'s' * (abs(value) != 1)}" if is_score(unit) else f"{text} {unit}"


def direction(change: float, higher_is_better: bool | None) -> str:
    """', in the better direction: higher is better' and the like; '' when the protocol
    does not say which way is better."""
    if change == 0:
        return ", no change"
    if higher_is_better is None:
        return ""
    better = (change > 0) == higher_is_better
    way = "better" if better else "worse"
    rule = "higher" if higher_is_better else "lower"
    return f", in the {way} direction: {rule} is better"


def course_text(series: Series) -> str | None:
    """The change over the course against the measurement error, the one wording of the
    report's glance, its outcome section and `trend`: '9.5 cm → 13 cm (first vs last
    value): +3.5 cm over 4 weeks, at least the measurement error (2 cm), better'. None
    before two measured weeks."""
    course = series.course
    if course is None:
        return None
    unit = series.unit
    ends = (
        "first vs last value"
        if course.compared == 1
        else f"mean of the first {course.compared} vs the last {course.compared} values"
    )
    weeks = course.weeks
    text = (
        f"{with_unit(course.early, unit)} → {with_unit(course.late, unit)} ({ends}): "
        f"{signed(course.change, unit)} over {weeks} week{'s' * (weeks != 1)}"
    )
    minimal = series.minimal_change
    if minimal is None:
        return text + " (measurement error not given in the protocol)"
    error = with_unit(minimal, unit)
    if abs(course.change) < minimal:
        return text + f", within measurement error ({error})"
    better = series.higher_is_better
    way = "" if better is None else (", better" if (course.change > 0) == better else ", worse")
    return text + f", at least the measurement error ({error}){way}"


def summary_line(series: Series) -> str:
    """One plain sentence about the course, one about the weeks, and one about the
    change right after sessions."""
    what = f"{series.test}, {series.place()}"
    rested = series.rested
    overall = series.overall
    parts: list[str] = []
    course = course_text(series)
    if overall is not None and course is not None:
        span = "week" if overall.edge_weeks == 1 else f"{overall.edge_weeks} weeks"
        parts.append(
            f"{what}, values taken before a session or on their own: {course}. Weekly "
            f"medians: {with_unit(overall.early, series.unit)} in the first {span} measured, "
            f"{with_unit(overall.late, series.unit)} in the last {span} "
            f"({signed(overall.change, series.unit)}"
            f"{direction(overall.change, series.higher_is_better)})."
        )
    elif rested:
        count = len(rested)
        parts.append(
            f"{what}: {count} value{'s' * (count != 1)} so far, all in one week; measure again "
            "in the coming weeks to see a change over time."
        )
    else:
        parts.append(
            f"{what}: only values right after sessions so far; values taken before a session, "
            "or on their own, are the ones that show change over weeks."
        )
    paired = series.paired
    mean = series.mean_session_change
    if paired and mean is not None:
        sessions = f"{len(paired)} session{'s' * (len(paired) != 1)}"
        parts.append(
            f"Right after the strokes it changed by {signed(mean, series.unit)} on average "
            f"({sessions} measured before and after)."
        )
    return " ".join(parts)


def outcome_dict(series: Series) -> dict[str, Any]:
    """One test on one side: the change over weeks and around sessions, JSON-ready."""
    overall = series.overall
    course = series.course
    return {
        "region": series.region,
        "side": series.side,
        "test": series.test,
        "unit": series.unit,
        "higher_is_better": series.higher_is_better,
        "values": len(series.values),
        "weeks_measured": len(series.weeks),
        "weeks_compared": overall.edge_weeks if overall else None,
        "first_weeks_median": overall.early if overall else None,
        "last_weeks_median": overall.late if overall else None,
        "change_over_weeks": overall.change if overall else None,
        "values_compared": course.compared if course else None,
        "first_values_mean": course.early if course else None,
        "last_values_mean": course.late if course else None,
        "change_over_course": course.change if course else None,
        "minimal_change": series.minimal_change,
        "beyond_measurement_error": (
            abs(course.change) >= series.minimal_change
            if course and series.minimal_change is not None
            else None
        ),
        "sessions_before_after": len(series.paired),
        "mean_change_right_after": series.mean_session_change,
        "weekly": [
            {
                "week": f"{w.monday:%Y-%m-%d}",
                "values": w.count,
                "median": w.median,
                "lowest": w.low,
                "highest": w.high,
            }
            for w in series.weeks
        ],
        "summary": summary_line(series),
    }
