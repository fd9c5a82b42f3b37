"""End of a course: when it is time to review the treatment with a clinician.

A course starts with the first session under the protocol now in use (a renewal is a
new protocol: another id, version or issuer), or with the session at which the person
recorded that they had reviewed it and chose to continue (an override kept in the
session record, rule `course-review`). It is time to review when either:

- the course length has passed (`prescription.course_weeks` from the course's first
  session; clinical reference §2 and §8e: at least 4 weeks, the built-in course is 4);
- or, after `NO_CHANGE_SITTINGS` sittings (counted: those that did their planned areas,
  or at least half their planned time; a 30 s quit is no test of the treatment), nothing
  has improved: no outcome measure has
  moved by its `minimal_change` the right way (a 0-10 score by 2 points), and the
  soreness before sessions has not dropped by 2 points (§2: response usually by session
  3-4, refer if nothing has changed; §7: 2 points is a meaningful change).

`review_due` is pure; `course_facts` reads what it needs from the journal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from iastm_coach.history.outcomes import Measurement, measurements_of
from iastm_coach.history.queries import recent_sessions, session_end
from iastm_coach.journal import records

if TYPE_CHECKING:
    from iastm_coach.journal.store import Journal, Record
    from iastm_coach.protocols.files import LoadedProtocol
    from iastm_coach.protocols.model import TreatmentProtocol

NO_CHANGE_SITTINGS: Final = 4  # reassess after 3-4 sessions (§2); the fourth decides
SORENESS_DROP: Final = 2  # the smallest meaningful change on the 0-10 scale (§7, §8a)
REVIEW_RULE: Final = "course-review"
LONGEST_COURSE: Final = timedelta(weeks=13)  # course_weeks is at most 12; a week of slack
SITTING_SPAN: Final = timedelta(hours=2)  # a screening is written just before its session


@dataclass(frozen=True)
class CourseFacts:
    """What the review rule needs: the course's sittings, soreness and measures."""

    start: datetime | None  # the first session of the course; None before the first
    sittings: int
    soreness_before: tuple[int, ...] = ()  # pre-session answers in the course, in order
    measures: tuple[Measurement, ...] = ()  # rested measurements of the protocol's test


def protocol_identity(data: object) -> tuple[str, str, str]:
    """(id, version, issuer) of a session record's protocol: a new version of a physio's
    file is a renewal and starts a new course. A built-in's version is left out: it changes
    when iastm-coach is updated (a wording fix), which is no clinician's renewal, and must
    not restart the course and its review."""
    get = getattr(data, "get", None)
    if get is None:
        return ("", "", "")
    built_in = get("protocol_source", "") == "built-in"
    return (
        str(get("protocol_id", "")),
        "" if built_in else str(get("protocol_version", "")),
        str(get("issued_by", "")),
    )


def current_identity(loaded: LoadedProtocol) -> tuple[str, str, str]:
    p = loaded.protocol
    version = "" if loaded.source == "built-in" else p.version
    return (p.id, version, p.issued.label() if p.issued else "")


def course_sessions(sessions: Sequence[Record], identity: tuple[str, str, str]) -> list[Record]:
    """The sessions of the current course, oldest first, from *sessions* (newest first)."""
    course: list[Record] = []
    for record in sessions:
        if protocol_identity(record.data) != identity:
            break
        course.append(record)
        if _acknowledged(record):
            break
    return list(reversed(course))


def course_facts(journal: Journal, loaded: LoadedProtocol, now: datetime) -> CourseFacts:
    """Read the current course: its sessions since the longest course a protocol may set
    (`LONGEST_COURSE`), and, when all of those belong to it, whether it began earlier (one
    more session read), so the cost does not grow with years of journal."""
    region = loaded.protocol.region
    identity = current_identity(loaded)
    window = recent_sessions(journal, region=region, last=None, since=now - LONGEST_COURSE)
    course = course_sessions(window, identity)
    if not course:
        return CourseFacts(None, 0)
    start = min(_started(r) for r in course)
    if len(course) == len(window) and not _acknowledged(course[0]):
        older = recent_sessions(journal, region=region, last=len(window) + 1)
        if len(older) > len(window) and protocol_identity(older[-1].data) == identity:
            start = min(start, _started(older[-1]))  # the course began before the window
    sittings = counted_sittings(course)
    first_in_window = min(_started(r) for r in course)
    found = journal.recent(
        kinds={records.SCREENING, records.MEASURE}, since=first_in_window - SITTING_SPAN
    )
    soreness = tuple(
        int(r.data["soreness_before"])
        for r in found
        if r.kind == records.SCREENING
        and r.data.get("region") == region
        and isinstance(r.data.get("soreness_before"), int)
    )
    outcome = loaded.protocol.outcome
    measures = tuple(
        m
        for m in measurements_of(r for r in found if r.kind == records.MEASURE)
        if outcome is not None and m.region == region and m.test == outcome.name and m.rested
    )
    return CourseFacts(start, sittings, soreness, measures)


def counted_sittings(course: Sequence[Record]) -> int:
    """The sittings that count toward the no-improvement rule: those that did their planned
    areas (every side complete) or at least half their planned time (all sides together).
    A 30 s quit, or a restart stopped a third of the way, did not test whether the
    treatment helps; counting it would call for a review after fewer real sessions."""
    groups: dict[str, list[Record]] = {}
    for record in course:
        groups.setdefault(str(record.data.get("group", "")) or record.id, []).append(record)
    return sum(sitting_counts(sides) for sides in groups.values())


def sitting_counts(sides: Sequence[Record]) -> bool:
    if all(r.data.get("complete") is True for r in sides):
        return True
    done = sum(_seconds(r.data.get("actual_s")) for r in sides)
    planned = sum(_seconds(r.data.get("planned_s")) for r in sides)
    return planned > 0 and 2 * done >= planned


def _seconds(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _acknowledged(record: Record) -> bool:
    overrides = record.data.get("overrides") or []
    return any(isinstance(o, dict) and o.get("rule") == REVIEW_RULE for o in overrides)


def _started(record: Record) -> datetime:
    value = record.data.get("started")
    return value if isinstance(value, datetime) else session_end(record)


def improved(protocol: TreatmentProtocol, facts: CourseFacts) -> bool:
    """A 2-point drop in soreness before sessions, or an outcome measure (any side) that
    moved by its minimal change the right way, first to latest in the course."""
    values = facts.soreness_before
    if len(values) >= 2 and values[0] - values[-1] >= SORENESS_DROP:
        return True
    outcome = protocol.outcome
    if outcome is None:
        return False
    score = "0-10" in outcome.unit.replace(" ", "")
    smallest = outcome.minimal_change or (SORENESS_DROP if score else 0.0)
    by_side: dict[str, list[float]] = {}
    for measure in facts.measures:
        by_side.setdefault(measure.side, []).append(measure.value)
    for series in by_side.values():
        if len(series) < 2:
            continue
        change = series[-1] - series[0]
        gain = change if outcome.higher_is_better else -change
        if gain > 0 and gain >= smallest:
            return True
    return False


def review_due(protocol: TreatmentProtocol, facts: CourseFacts, now: datetime) -> str | None:
    """Why it is time to review with a clinician, or None."""
    if facts.start is None:
        return None
    prescription = protocol.prescription
    if prescription is not None:
        end = facts.start + timedelta(weeks=prescription.course_weeks)
        if now >= end:
            return (
                f"the {prescription.course_weeks}-week course of the {protocol.region} that "
                f"began on {facts.start:%Y-%m-%d} is over"
            )
    if facts.sittings >= NO_CHANGE_SITTINGS and not improved(protocol, facts):
        return (
            f"after {facts.sittings} sessions of the {protocol.region}, neither your outcome "
            "measure nor your soreness has improved by a meaningful amount"
        )
    return None
