"""The report as data: CSV (one row per session) and JSON (the whole model)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final

from iastm_coach.history.outcomes import CAVEAT, outcome_dict
from iastm_coach.history.queries import (
    ROW_FIELDS,
    CheckinAnswer,
    SessionRow,
    row_dict,
)
from iastm_coach.report.glance import at_a_glance
from iastm_coach.report.tables import (
    rule_text,
)
from iastm_coach.safety.redflags import RULES

if TYPE_CHECKING:
    from iastm_coach.report.build import Report
    from iastm_coach.safety.hold_spans import HoldSpan

REPORT_VERSION: Final = 1
# A text cell a spreadsheet would run or convert gets a leading apostrophe (the OWASP advice
# for CSV injection, and the spreadsheet convention for "this is text"):
# - formulas: = + - @, also after leading spaces or line breaks (trimmed before they are
#   parsed), their full-width forms (＝ ＋ － ＠, which some spreadsheets fold), ; and |
#   (separators and DDE in some locales), tab and carriage return;
# - values that would stop being text: numbers ("1.0" becomes 1), dates, times,
#   percentages and true/false.
_FORMULA_START: Final = frozenset("=+-@;|\t\r\n\uff1d\uff0b\uff0d\uff20\uff1b")
_CONVERTED: Final = re.compile(r"[\s\d.,:/%()$€£+\-eE]*\d[\s\d.,:/%()$€£+\-eE]*")
_WORDS_CONVERTED: Final = frozenset({"true", "false"})
CSV_EXTRA: Final = (
    ("utc_offset", "the UTC offset of started and ended (CSV only)"),
    ("hold_rules", "the red-flag rules this session (or its check-ins) put on hold (CSV only)"),
    ("hold_lifted", "when that hold was lifted; empty: still in force (CSV only)"),
    ("hold_lift_reason", "the reason given when it was lifted (CSV only)"),
    ("hold_examined_by", "the clinician who examined the area before it was lifted (CSV only)"),
)


@lru_cache(maxsize=4096)  # most cells repeat (regions, sides, protocols): decided once each
def csv_text(value: str) -> str:
    """A text cell a spreadsheet keeps as the same text (see `_FORMULA_START`)."""
    if not value:
        return value
    if (
        value[0] in _FORMULA_START
        or value[0].isspace()
        or value.lstrip()[:1] in _FORMULA_START
        or _CONVERTED.fullmatch(value)
        or value.strip().lower() in _WORDS_CONVERTED
    ):
        return "'" + value
    return value


def csv_cell(value: Any) -> str:
    """One CSV cell; text goes through `csv_text`, numbers and booleans as they are."""
    kind = type(value)
    if kind is str:
        return csv_text(value)
    if value is None:
        return ""
    if kind is bool:
        return "true" if value else "false"
    return str(value)


def csv_moment(moment: datetime) -> str:
    """'2026-03-02 18:00:00': the date and time as recorded (its own UTC offset, in the
    `utc_offset` column), a form every spreadsheet reads as a date and time."""
    if moment.year >= 1000:  # isoformat is several times faster than strftime, and the same
        return moment.isoformat(" ", "seconds")[:19]
    return f"{moment:%Y-%m-%d %H:%M:%S}"


def utc_offset(moment: datetime) -> str:
    """'UTC+01:00' (text: a bare '+01:00' would be read as a formula or a time)."""
    return _offset_text(moment.utcoffset())


@lru_cache(maxsize=256)  # a person's journal holds a few offsets, used thousands of times
def _offset_text(offset: timedelta | None) -> str:
    if offset is None:
        return "UTC"
    text = datetime(2000, 1, 1, tzinfo=timezone(offset)).strftime("%z")
    return f"UTC{text[:3]}:{text[3:]}"


def csv_row(row: SessionRow, hold: HoldSpan | None = None) -> list[str]:
    data = row_dict(row)  # in ROW_FIELDS order
    data["flags"] = ";".join(row.flags)
    data["checkin_notes"] = "\n".join(f"{n.hours} h: {n.note}" for n in row.checkin_notes)
    data["checkin_answers"] = "\n".join(answer_line(a) for a in row.checkin_answers)
    cells = [csv_cell(value) for value in data.values()]
    names = list(data)
    cells[names.index("started")] = csv_moment(row.started)
    ended = row.data.get("ended")
    cells[names.index("ended")] = csv_moment(ended) if isinstance(ended, datetime) else ""
    cells.append(utc_offset(row.started))
    if hold is None:
        cells.extend(["", "", "", ""])
    else:
        lifted = csv_moment(hold.lifted) if hold.lifted else ""
        texts = (";".join(hold.rules), hold.lift_reason, hold.examined_by)
        cells.extend([csv_text(texts[0]), lifted, csv_text(texts[1]), csv_text(texts[2])])
    return cells


def answer_line(answer: CheckinAnswer) -> str:
    """'24 h: 3/10 at 2026-03-03 19:30:00 (id …, corrects …; swelling not asked)'."""
    score = "soreness not given" if answer.soreness is None else f"{answer.soreness}/10"
    about = [f"id {answer.id}"]
    if answer.corrects:
        about.append(f"corrects {answer.corrects}")
    text = f"{answer.hours} h: {score} at {csv_moment(answer.at)} ({', '.join(about)}"
    if answer.not_asked:
        text += f"; {', '.join(answer.not_asked)} not asked"
    return text + ")"


def render_csv(report: Report) -> str:
    """One row per session, columns `ROW_FIELDS`, oldest first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([name for name, _ in (*ROW_FIELDS, *CSV_EXTRA)])
    for row in report.rows:
        writer.writerow(csv_row(row, report.hold_origins.get(row.id)))
    return buffer.getvalue()


# The keys whose values depend on when the report is generated (this week's adherence):
# a stored report's other keys are kept as written (`report/stored.py`).
DATED_KEYS: Final = frozenset({"generated", "adherence", "summary"})


def report_dict(report: Report) -> dict[str, Any]:
    """The JSON document as data."""
    return {key: value() for key, value in report_sections(report).items()}


def report_sections(report: Report) -> dict[str, Callable[[], Any]]:
    """Each key of the JSON document, and how to work out its value (in document order)."""

    def iso(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat()

    return {
        "report_version": lambda: REPORT_VERSION,
        "generated": lambda: iso(report.generated),
        "since": lambda: iso(report.since),
        "patients": lambda: list(report.patients),
        "protocols": lambda: [
            {
                "region": u.region,
                "protocol_id": u.protocol_id,
                "protocol_version": u.version,
                "from": u.label,
                "protocol_fingerprint": u.fingerprint,
                "sessions": u.sessions,
                "first": iso(u.first),
                "last": iso(u.last),
            }
            for u in report.protocols
        ],
        "adherence": lambda: [
            {
                "region": a.region,
                "sittings": a.sittings,
                "complete": a.complete,
                "interrupted": a.interrupted,
                "weeks": a.weeks,
                "per_week": a.per_week,
                "prescribed_per_week": a.prescribed.sessions_per_week if a.prescribed else None,
                "course_weeks": a.prescribed.course_weeks if a.prescribed else None,
                "weeks_below": a.weeks_below,
                "weeks_on_target": a.weeks_on_target,
                "weeks_above": a.weeks_above,
                "percent": a.percent,
                "sittings_during_hold": a.during_hold,
                "exercise_sittings": a.exercise_sittings,
                "exercise_percent": a.exercise_percent,
                "exercise_sets_done": a.exercise_sets_done,
                "exercise_sets_planned": a.exercise_sets_planned,
                "exercise_sets_percent": a.exercise_sets_percent,
                "exercises_declined": a.exercises_declined,
                "exercise_days": a.exercise_days,
                "exercises_prescribed": a.exercises_prescribed,
                "week_in_progress": a.week_in_progress,
            }
            for a in report.adherence
        ],
        "holds": lambda: [
            {
                "at": iso(e.at),
                "event": e.kind,
                "region": e.region,
                "side": e.side,
                "rule": e.rule,
                "reason": e.reason,
                "source": e.source_id,
                "examined_by": e.examined_by,
                "id": e.record_id,
            }
            for e in report.hold_events
        ],
        "active_holds": lambda: [
            {
                "region": h.region,
                "since": iso(h.since),
                "rule": h.rule,
                "rules": list(h.all_rules),
                "reason": h.reason,
                "reasons": list(h.all_reasons),
                "id": h.record_id,
            }
            for h in report.active_holds
        ],
        "screenings": lambda: [
            {
                "at": iso(s.at),
                "region": s.region,
                "outcome": s.outcome,
                "stopped_by": s.stopped_by,
                "cleared_cautions": list(s.cleared_cautions),
                "local": list(s.local),
            }
            for s in report.screenings
        ],
        "notes": lambda: [
            {"at": iso(n.at), "place": n.place, "context": n.context, "text": n.text}
            for n in report.notes
        ],
        "red_flag_rules": lambda: [{"rule": rule, "when": rule_text(rule)} for rule in RULES],
        "measure_caveat": lambda: CAVEAT,
        "measures": lambda: [
            {
                "at": iso(m.at),
                "region": m.region,
                "side": m.side,
                "test": m.test,
                "unit": m.unit,
                "value": m.value,
                "phase": m.phase,
                "session": m.session,
                "id": m.id,
            }
            for m in report.measures
        ],
        "outcomes": lambda: [outcome_dict(series) for series in report.outcomes],
        "summary": lambda: [
            {"label": item.label, "lines": list(item.lines), "alert": item.alert}
            for item in at_a_glance(report)
        ],
        "journal_integrity": lambda: {
            "verified": report.deviations.integrity.verified,
            "text": report.deviations.integrity.text,
        },
        "deviations": lambda: [
            {
                "kind": d.kind,
                "label": d.label,
                "region": d.region,
                "place": d.place,
                "at": iso(d.at),
                "detail": d.detail,
                "sessions": list(d.sessions),
            }
            for d in report.deviations.items
        ],
        "hold_spans": lambda: [
            {
                "region": s.region,
                "placed": iso(s.placed),
                "lifted": iso(s.lifted),
                "rules": list(s.rules),
                "reasons": list(s.reasons),
                "lift_reason": s.lift_reason,
                "examined_by": s.examined_by,
                "sides": list(s.body_sides),
                "id": s.record_id,
            }
            for s in report.hold_spans
        ],
        "sessions": lambda: [row_dict(row) for row in report.rows],
    }


def render_json(report: Report, *, kept: Mapping[str, str] | None = None) -> str:
    """One top-level key per line and one list item (a session, a note) per line.

    Compact items keep Python's fast C encoder (an indented dump is several
    times slower on 10,000 sessions) while the file stays readable. *kept*: lines
    of `json_lines` written before (a stored report's), used as they are.
    """
    return join_json(json_lines(report, kept=kept))


def json_lines(report: Report, *, kept: Mapping[str, str] | None = None) -> dict[str, str]:
    """Key -> its part of the JSON document ('"key": value'), in document order; the
    lines in *kept* are taken as they are."""
    lines = {}
    for key, value in report_sections(report).items():
        line = kept.get(key) if kept else None
        lines[key] = json_line(key, value()) if line is None else line
    return lines


def join_json(lines: Mapping[str, str]) -> str:
    return "{\n" + ",\n".join(lines.values()) + "\n}\n"


def json_line(key: str, value: Any) -> str:
    name = json.dumps(key)
    if isinstance(value, list) and value:
        items = ",\n".join(map(_ENCODE, value))
        return f"{name}: [\n{items}\n]"
    return f"{name}: {_ENCODE(value)}"


# One encoder for every item: json.dumps with options builds a new one per call.
_ENCODE: Final = json.JSONEncoder(ensure_ascii=False).encode
