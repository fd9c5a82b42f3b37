"""Format-neutral pieces of the physio's report: its words and its tables.

Every table is built once as a header and rows of plain-text cells; the Markdown
and HTML renderers escape and decorate the cells each in their own way.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Final

from iastm_coach.history import (
    SessionRow,
)
from iastm_coach.outcomes import (
    Series,
    signed,
    with_unit,
)
from iastm_coach.redflags import RULES

if TYPE_CHECKING:
    from iastm_coach.report import Adherence, Report

@lru_cache(maxsize=65536)
def local(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment.astimezone():%Y-%m-%d %H:%M}"


def local_day(moment: datetime) -> str:
    return f"{moment.astimezone():%Y-%m-%d}"


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
    "Each rule that fires puts the region on hold; iastm-coach then refuses "
    "sessions of that region until the patient lifts the hold, giving a reason that is "
    "recorded (listed above as 'lifted'). Soreness is asked on the 0-10 scale right after a "
    "session and at check-ins 24 h and 48 h later (72 h when it is still 4 or more)."
)
FOOTER: Final = (
    "Soreness is self-reported on the 0-10 numeric rating scale (0 none, 1-3 mild, "
    "4-6 moderate, 7-10 severe). Made by iastm-coach; it guides, it does not diagnose."
)


def adherence_text(item: Adherence) -> str:
    """'75 % of prescribed sessions (1.5 a week vs 2 prescribed; ...)', and this week's
    sittings so far while it is not counted."""
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
    """'after 3 of 4 sittings (75 %); 18 of 24 sets done (75 %)'."""
    if not item.exercise_sittings:
        return "none recorded"
    text = f"after {item.exercise_sittings} of {item.sittings} sittings ({item.exercise_percent} %)"
    if item.exercise_sets_planned:
        text += (
            f"; {item.exercise_sets_done} of {item.exercise_sets_planned} sets done "
            f"({item.exercise_sets_percent} %)"
        )
    return text


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
        else (local_day(report.rows[0].started) if report.rows else "the start")
    )
    return f"{start} to {local_day(report.generated)}"

