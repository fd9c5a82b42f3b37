"""Format-neutral pieces of the physio's report: its words and its tables.

Every table is built once as a header and rows of plain-text cells; the Markdown
and HTML renderers escape and decorate the cells each in their own way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Final, NamedTuple

from iastm_coach.history.outcomes import (
    Series,
    signed,
    with_unit,
)
from iastm_coach.history.queries import SessionRow, protocol_label
from iastm_coach.safety.redflags import RULES
from iastm_coach.vocabulary import SORENESS_ANCHORS, day_text, moment_text, place_label

if TYPE_CHECKING:
    from iastm_coach.report.build import Adherence, Report


@lru_cache(maxsize=65536)
def local(moment: datetime | None) -> str:
    return "" if moment is None else moment_text(moment)


def local_day(moment: datetime) -> str:
    return day_text(moment)


def minutes(seconds: int) -> str:
    return f"{seconds / 60:.1f}"


def score(value: int | None) -> str:
    return "–" if value is None else str(value)


def rule_text(rule: str) -> str:
    """When a red-flag rule fires, in words for the physio (the rule id if unknown)."""
    known = RULES.get(rule)
    if known is None:
        return rule
    # The rules are worded for the patient ("you reported ..."); the report is for the physio.
    return known.when.replace("you reported", "the patient reported")


RULES_INTRO: Final = (
    "Each rule that fires puts the region on hold, and the regions the hold reaches on the "
    "same limb or tissue (see the program's safety rules); iastm-coach then refuses those "
    "sessions until the hold is lifted with a recorded reason (listed above as 'lifted'). "
    "A hold for a serious sign ("
    + ", ".join(rule.id for rule in RULES.values() if rule.serious)
    + ") is lifted only with the name of the clinician who examined the area. Soreness is "
    "asked on the 0-10 scale right after a session and at check-ins 24 h and 48 h later; "
    "72 h later when the answers so far are above the patient's usual level or getting "
    "worse, and at day 5-7 ('has it settled?') when the 72 h answer still is."
)
FOOTER: Final = (
    f"Soreness is self-reported on the 0-10 numeric rating scale ({SORENESS_ANCHORS}). "
    "Made by iastm-coach; it guides, it does not diagnose."
)


def adherence_text(item: Adherence) -> str:
    """'75 % of prescribed sessions (1.5 a week vs 2 prescribed; ...)', and this week's
    sittings so far while it is not counted."""
    text = adherence_core(item)
    return text + uncounted_text(item)


def uncounted_text(item: Adherence) -> str:
    """'; 1 sitting during a hold not counted' (or '')."""
    if not item.during_hold:
        return ""
    n = item.during_hold
    return f"; {n} sitting{'s' * (n != 1)} during a hold not counted"


def adherence_core(item: Adherence) -> str:
    so_far = "" if item.week_in_progress is None else f"{item.week_in_progress} so far this week"
    if not item.weeks:
        return f"first week not over yet: {so_far}"
    if item.prescribed is None or item.percent is None:
        text = f"{item.per_week:.1f} a week; no prescription in the protocol"
        return f"{text}; {so_far}, counted once the week is over" if so_far else text
    target = item.prescribed.sessions_per_week
    text = (
        f"{item.percent} % of prescribed sessions ({item.per_week:.1f} a week vs "
        f"{target} prescribed; weeks below / on / above target: "
        f"{item.weeks_below} / {item.weeks_on_target} / {item.weeks_above})"
    )
    if so_far:
        text += f"; {so_far}, counted once it has {target} or the week is over"
    return text


def exercise_text(item: Adherence) -> str:
    """'after 3 of 8 sittings (38 %); 18 of 30 sets done (60 %); exercise guide declined in
    2 sittings;
    on 1 day without scraping', or 'none prescribed' (the protocol has no exercises), or
    'none recorded in 8 sittings' (it has, and none were done).

    The share counts sittings: a sitting whose exercise guide was declined, or that has
    no exercise record at all, is a sitting without exercises."""
    days = (
        f"on {item.exercise_days} day{'s' * (item.exercise_days != 1)} without scraping"
        if item.exercise_days
        else ""
    )
    if item.exercises_prescribed == 0 and not item.exercise_sittings and not days:
        return "none prescribed"
    if not item.exercise_sittings:
        text = f"none recorded in {item.sittings} sitting{'s' * (item.sittings != 1)}"
    else:
        text = (
            f"after {item.exercise_sittings} of {item.sittings} sittings "
            f"({item.exercise_percent} %)"
        )
    if item.exercise_sets_planned:
        text += (
            f"; {item.exercise_sets_done} of {item.exercise_sets_planned} sets done "
            f"({item.exercise_sets_percent} %)"
        )
    if item.exercises_declined:
        declined = item.exercises_declined
        text += f"; exercise guide declined in {declined} sitting{'s' * (declined != 1)}"
    return f"{text}; {days}" if days else text


def sets_cell(row: SessionRow) -> str:
    return f"{row.exercise.done}/{row.exercise.planned}" if row.exercise else "–"


def value_text(value: float | None, unit: str) -> str:
    return "–" if value is None else with_unit(value, unit)


def change_text(value: float | None, unit: str) -> str:
    return "–" if value is None else signed(value, unit)


def direction_text(series: Series) -> str:
    if series.higher_is_better is None:
        return "not stated"
    return "higher" if series.higher_is_better else "lower"


def period_text(report: Report) -> str:
    start = (
        local_day(report.since)
        if report.since
        else (local_day(report.first_start) if report.first_start else "the start")
    )
    return f"{start} to {local_day(report.generated)}"


# --- tables ----------------------------------------------------------------------------------


class Code(NamedTuple):
    """A cell shown as code (a fingerprint). HTML adds *title* as a tooltip and
    puts *label* before it; Markdown, kept narrow, shows the code alone."""

    text: str
    title: str = ""
    label: str | None = None


class Hint(NamedTuple):
    """Text with an explanation: an HTML tooltip; Markdown shows the text alone."""

    text: str
    title: str


Cell = str | Code | Hint


@dataclass(frozen=True)
class Table:
    """A header and rows of plain-text cells, for each format to escape its own way.

    *safe* columns hold only our own words, numbers and dates: no escaping needed.
    """

    header: Sequence[str]
    rows: Iterable[Sequence[Cell]]
    safe: frozenset[int] = frozenset()


def protocols_table(report: Report) -> Table:
    return Table(
        ("Region", "Protocol", "Version", "From", "Fingerprint", "Sessions", "First", "Last"),
        (
            [
                u.region,
                u.protocol_id,
                u.version,
                u.label,
                Code(u.fingerprint[:12], title=u.fingerprint),
                str(u.sessions),
                local_day(u.first),
                local_day(u.last),
            ]
            for u in report.protocols
        ),
        safe=frozenset({5, 6, 7}),
    )


def adherence_table(report: Report) -> Table:
    return Table(
        ("Region", "Sittings", "Complete", "Interrupted", "Weeks", "Adherence", "Exercises"),
        (
            [
                a.region,
                str(a.sittings),
                str(a.complete),
                str(a.interrupted),
                str(a.weeks),
                adherence_text(a),
                exercise_text(a),
            ]
            for a in report.adherence
        ),
        safe=frozenset({1, 2, 3, 4}),
    )


def hold_events_table(report: Report) -> Table:
    return Table(
        ("When", "Region", "Event", "Rule", "Reason", "Examined by"),
        (
            [
                local(e.at),
                place_label(e.region, e.side),  # the side decides which other regions it held
                "hold" if e.kind == "hold" else "lifted",
                Hint(e.rule, rule_text(e.rule)),
                e.reason,
                e.examined_by,
            ]
            for e in report.hold_events
        ),
        safe=frozenset({0, 2}),
    )


def screenings_table(report: Report) -> Table:
    return Table(
        ("When", "Region", "Outcome", "Cautions cleared by a clinician", "Work around"),
        (
            [
                local(s.at),
                s.region,
                s.outcome + (f" ({s.stopped_by})" if s.stopped_by else ""),
                "; ".join(report.caution_label(c) for c in s.cleared_cautions),
                "; ".join(report.caution_label(c) for c in s.local),
            ]
            for s in report.detailed_screenings
        ),
        safe=frozenset({0}),
    )


def mean_text(value: float | None, answered: int) -> str:
    return "–" if value is None else f"{value:.1f} ({answered})"


def earlier_table(report: Report) -> Table:
    """The years before the detailed months: one row per year and region."""
    return Table(
        (
            "Year",
            "Region",
            "Sessions",
            "Sittings",
            "Complete",
            "Minutes done",
            "Mean soreness after (answers)",
            "Mean 24 h",
            "Mean 48 h",
            "With red flags",
            "Notes",
        ),
        (
            [
                f"{y.year}",
                y.region,
                str(y.sessions),
                str(y.sittings),
                str(y.complete),
                f"{y.minutes_done:.0f}",
                mean_text(y.mean_after, y.answered_after),
                mean_text(y.mean_24h, y.answered_24h),
                mean_text(y.mean_48h, y.answered_48h),
                str(y.flagged),
                str(y.notes),
            ]
            for y in report.earlier
        ),
        safe=frozenset({0, 2, 3, 4, 5, 6, 7, 8, 9, 10}),
    )


def earlier_text(report: Report, what: str) -> str:
    """What the Markdown and HTML leave out before the detailed months, and where it is:
    the sessions are summarised by year; *what* else ('Notes') is only counted there."""
    assert report.detail_from is not None
    day = local_day(report.detail_from)
    if what == "Sessions":
        return (
            f"Sessions before {day} are summarised, one row per year and region; every "
            "session is in the CSV and JSON formats of this report."
        )
    return f"{what} before {day} are not listed here; the JSON format of this report has them all."


def detailed_heading(report: Report) -> str:
    assert report.detail_from is not None
    return f"From {local_day(report.detail_from)}, session by session"


def follow_up_cell(row: SessionRow, hours: int) -> str:
    """A follow-up's soreness as answered: '7 → corrected to 3 at 2026-03-03 19:30' when
    it was answered again, and the warning signs left unknown as 'not asked' (never no)."""
    answers = row.answers_at(hours)
    if not answers:
        return score(row.soreness_at(hours))
    text = score(answers[0].soreness)
    for later in answers[1:]:
        text += f" → corrected to {score(later.soreness)} at {local(later.at)}"
    if answers[-1].not_asked:
        text += f" ({', '.join(answers[-1].not_asked)} not asked)"
    return text


def sessions_table(report: Report, *, minutes_header: str) -> Table:
    """The soreness timeline, one row per session of the detailed months (*minutes_header*
    differs by format)."""
    return Table(
        (
            "Date",
            "Region",
            "Protocol",
            minutes_header,
            "Status",
            "Dose",
            "After",
            "24 h",
            "48 h",
            "72 h",
            "Exercise sets",
            "Flags",
        ),
        (
            [
                local(r.started),
                r.place(),
                Code(r.fingerprint[:12], label=protocol_label(r.data)),
                f"{minutes(r.actual_s)}/{minutes(r.planned_s)}",
                r.status(dose=False),
                f"{r.dose_percent} %",
                score(r.soreness_after),
                follow_up_cell(r, 24),
                follow_up_cell(r, 48),
                follow_up_cell(r, 72),
                sets_cell(r),
                ", ".join(r.flags),
            ]
            for r in report.detailed_rows
        ),
        safe=frozenset({0, 3, 4, 5, 6, 7, 8, 9, 10}),
    )


def outcomes_table(report: Report) -> Table:
    """One row per test and side: the change over weeks and right after sessions."""
    return Table(
        (
            "Region",
            "Test",
            "Better when",
            "Values",
            "Weeks measured",
            "First weeks (median)",
            "Last weeks (median)",
            "Change over weeks",
            "Sessions measured before and after",
            "Average change right after",
        ),
        (
            [
                s.place(),
                f"{s.test} ({s.unit})",
                direction_text(s),
                str(len(s.values)),
                str(len(s.weeks)),
                value_text(s.overall.early if s.overall else None, s.unit),
                value_text(s.overall.late if s.overall else None, s.unit),
                change_text(s.overall.change if s.overall else None, s.unit),
                str(len(s.paired)),
                change_text(s.mean_session_change, s.unit),
            ]
            for s in report.outcomes
        ),
        safe=frozenset({2, 3, 4, 8}),
    )


def weeks_table(outcomes: Sequence[Series]) -> Table:
    """Week by week, per series: the values taken before a session or on their own."""
    return Table(
        ("Week of", "Region", "Test", "Values", "Median", "Lowest", "Highest"),
        (
            [
                f"{w.monday:%Y-%m-%d}",
                place,
                s.test,
                str(w.count),
                value_text(w.median, s.unit),
                value_text(w.low, s.unit),
                value_text(w.high, s.unit),
            ]
            for s in outcomes
            for place in (s.place(),)
            for w in s.weeks
        ),
        safe=frozenset({0, 3}),
    )


def changes_table(outcomes: Sequence[Series]) -> Table:
    """Before and after each session, per series, oldest first."""
    return Table(
        ("When", "Region", "Test", "Before", "After", "Change"),
        (
            [
                local(c.at),
                place,
                s.test,
                value_text(c.before, s.unit),
                value_text(c.after, s.unit),
                change_text(c.change, s.unit),
            ]
            for s in outcomes
            for place in (s.place(),)
            for c in s.changes
        ),
        safe=frozenset({0}),
    )
