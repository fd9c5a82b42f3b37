"""The top of the report: what a busy clinician reads in 30 seconds.

Five things, each in a line or one line per region: the holds in force now, the
deviations, adherence (sessions and exercises), the soreness trend per region and
side, and the outcome change against the test's measurement error. Pure: the
report model in, (label, lines) out; each format renders them its own way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import TYPE_CHECKING, Final

from iastm_coach.history.outcomes import Series, course_text
from iastm_coach.report.tables import local, period_text
from iastm_coach.vocabulary import day_month, day_text, moment_text

if TYPE_CHECKING:
    from iastm_coach.report.build import Report
    from iastm_coach.safety.hold_spans import HoldSpan
    from iastm_coach.safety.holds import Hold

TREND_SESSIONS: Final = 3  # the first and last sessions compared for the soreness trend


@dataclass(frozen=True)
class Glance:
    label: str  # "Holds now"
    lines: tuple[str, ...]  # one or more plain-text lines (untrusted text inside: escape)
    alert: bool = False  # drawn in red: a hold in force, a deviation


def heading_facts(report: Report) -> list[tuple[str, str]]:
    """Under the title, (label, plain text): whose report, the period, when it was made and
    how many sessions (untrusted text inside: escape)."""
    return [
        ("Patient", ", ".join(report.patients) or "not named in the protocol"),
        ("Period", period_text(report)),
        ("Generated", local(report.generated)),
        ("Sessions", f"{len(report.rows)} (one per treated side)"),
    ]


def at_a_glance(report: Report) -> list[Glance]:
    return [
        holds_glance(report),
        red_flags_glance(report),
        deviations_glance(report),
        Glance("Adherence", tuple(adherence_lines(report)) or ("no sessions in this period",)),
        Glance("Soreness", tuple(soreness_lines(report)) or ("no sessions in this period",)),
        Glance("Outcome", tuple(outcome_lines(report)) or ("no outcome measurements",)),
    ]


def urgent_suffix(hold: Hold) -> str:
    """' URGENT: ...' for a hold whose same-day advice is repeated wherever it is shown."""
    from iastm_coach.safety.redflags import hold_reminder

    urgent = hold_reminder(hold.region, hold.all_rules)
    return f". URGENT: {urgent}" if urgent else ""


def holds_glance(report: Report) -> Glance:
    if not report.active_holds:
        return Glance("Holds now", ("none",))
    return Glance(
        "Holds now",
        tuple(
            f"{h.region} on hold since {day_text(h.since)}: {h.reason_text()}" + urgent_suffix(h)
            for h in report.active_holds
        ),
        alert=True,
    )


def red_flags_glance(report: Report) -> Glance:
    """Every hold placed in the period, lifted or not: a hold placed and lifted between two
    visits is what a clinician most needs to see first ('Holds now: none' hides it)."""
    spans = report.hold_spans
    if not spans:
        return Glance("Red flags in this period", ("none",))
    return Glance("Red flags in this period", tuple(map(red_flag_text, spans)), alert=True)


def red_flag_text(span: HoldSpan) -> str:
    """'swelling (calf left, 4 Dec; lifted 6 Dec after examination by Dr Lee, GP: no clot
    found)', or '... ; still on hold)'."""
    place = " ".join((span.region, *span.body_sides))
    placed = f"{place}, {day_month(span.placed)}"
    if span.lifted is None:
        return f"{', '.join(span.rules)} ({placed}; still on hold)"
    lifted = f"lifted {day_month(span.lifted)}"
    if span.examined_by:
        lifted += f" after examination by {span.examined_by}"
    reason = f": {span.lift_reason}" if span.lift_reason else ""
    return f"{', '.join(span.rules)} ({placed}; {lifted}{reason})"


def deviations_glance(report: Report) -> Glance:
    deviations = report.deviations
    integrity = f"journal integrity {deviations.integrity.text.split(':')[0]}"
    groups = deviations.by_kind()
    if not groups:
        return Glance("Deviations", (f"none; {integrity}",))
    parts = ", ".join(f"{items[0].label} ({len(items)})" for _, items in groups)
    return Glance("Deviations", (f"{parts}; {integrity} (details below)",), alert=True)


def adherence_lines(report: Report) -> list[str]:
    from iastm_coach.report.tables import exercise_text, uncounted_text

    lines = []
    for item in report.adherence:
        sessions = (
            f"{item.percent} % of prescribed sessions"
            if item.percent is not None
            else f"{item.sittings} sitting{'s' * (item.sittings != 1)}, no weekly prescription"
            if item.weeks
            else f"{item.sittings} sitting{'s' * (item.sittings != 1)} in the first week"
        )
        lines.append(
            f"{item.region}: {sessions}{uncounted_text(item)}; exercises {exercise_text(item)}"
        )
    return lines


def soreness_lines(report: Report) -> list[str]:
    """Per region and side: soreness right after and at 24 h, first sessions vs last."""
    return [
        f"{place}: {soreness_trend(*answers)}"
        for place, answers in sorted(report.soreness_answers.items())
    ]


def soreness_trend(after: Sequence[int], day: Sequence[int]) -> str:
    """Soreness right after and at 24 h (*after*, *day*: the answers, oldest first)."""
    texts = (trend_text("right after", after), trend_text("at 24 h", day))
    parts = [text for text in texts if text]
    return "; ".join(parts) or "no soreness answers"


def trend_text(when: str, values: Sequence[int]) -> str:
    """'right after 4.0 → 1.7 (first 3 vs last 3 sessions, falling)'."""
    if not values:
        return ""
    if len(values) < 2:
        return f"{when} {values[0]}/10 (one answer)"
    n = min(TREND_SESSIONS, len(values) // 2)
    early, late = fmean(values[:n]), fmean(values[-n:])
    way = "falling" if late < early - 0.5 else "rising" if late > early + 0.5 else "steady"
    span = "first vs last answer" if n == 1 else f"first {n} vs last {n} answers"
    return f"{when} {early:.1f} → {late:.1f} ({span}, {way})"


def outcome_lines(report: Report) -> list[str]:
    return [outcome_line(s, report.minimal_change.get((s.region, s.test))) for s in report.outcomes]


def outcome_line(series: Series, minimal: float | None) -> str:
    """'Knee-to-wall lunge, calf (left): 9.5 cm → 13 cm (first vs last value): +3.5 cm
    over 4 weeks, at least the measurement error (2 cm), better' (`course_text`)."""
    from dataclasses import replace

    what = f"{series.test}, {series.place()}"
    course = course_text(replace(series, minimal_change=minimal))
    if course is None:
        return f"{what}: not yet measured in two different weeks"
    return f"{what}: {course}"


BOX_ITEMS: Final = 6  # per kind in the box; the JSON lists every one


@dataclass(frozen=True)
class BoxGroup:
    label: str
    count: int
    items: tuple[str, ...]  # "2026-03-05 10:00, calf (left): detail" (untrusted text inside)
    more: int  # not listed here


def deviation_box(report: Report) -> list[BoxGroup]:
    """The Deviations box: one group per kind, its first `BOX_ITEMS` in words."""
    groups = []
    for _kind, items in report.deviations.by_kind():
        texts = tuple(
            (f"{moment_text(item.at)}, " if item.at else "") + f"{item.place}: {item.detail}"
            for item in items[:BOX_ITEMS]
        )
        groups.append(BoxGroup(items[0].label, len(items), texts, len(items) - len(texts)))
    return groups


def integrity_line(report: Report) -> str:
    return f"Journal integrity: {report.deviations.integrity.text}."


NO_DEVIATIONS: Final = (
    "None: no override, no session during a hold or inside the rest period, none longer "
    "than planned, no side or date outside the plan, no unsigned or changed protocol file."
)
