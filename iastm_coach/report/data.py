"""The report as data: CSV (one row per session) and JSON (the whole model)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any, Final

from iastm_coach.history.outcomes import CAVEAT, outcome_dict
from iastm_coach.history.queries import (
    ROW_FIELDS,
    CheckinAnswer,
    CheckinNote,
    SessionRow,
    row_dict,
)
from iastm_coach.report.glance import at_a_glance
from iastm_coach.report.tables import (
    rule_text,
)
from iastm_coach.safety.redflags import RULES

if TYPE_CHECKING:
    from iastm_coach.history.outcomes import Measurement
    from iastm_coach.report.build import NoteEntry, Report
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
    return _kept_as_text(value)


def _kept_as_text(value: str) -> str:
    """`csv_text` without its cache (for texts seldom seen twice: ids, notes, answers)."""
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


def csv_line(row: SessionRow, hold: HoldSpan | None = None) -> str:
    """The line of *row* in the CSV, without its line end: each value of `row_dict(row)`
    (in `ROW_FIELDS` order) through `csv_cell`, but `started` and `ended` as `csv_moment`,
    the flags joined by ';', the check-in notes and answers one line each; then the
    `CSV_EXTRA` cells of *hold*; written as `csv.writer` writes a row.

    Worked out straight from the row (not through `row_dict`, which made the CSV of
    10,000 sessions twice as slow): each text goes through `csv_text`, each number
    through `csv_cell`, as there. tests/report/test_report_data.py keeps the definition
    through `row_dict` and `csv.writer`, and proves the two write the same lines.
    """
    data = row.data
    get = data.get
    ended = get("ended")
    exercise = row.exercise
    measure = row.measure
    notes = row.checkin_notes
    answers = row.checkin_answers
    line = ",".join(
        [
            _text_field(row.id),
            _text_field(str(get("group", ""))),
            csv_field(row.region),
            csv_field(row.side),
            csv_field(str(get("source", ""))),
            csv_moment(row.started),
            csv_moment(ended) if isinstance(ended, datetime) else "",
            csv_field(str(get("protocol_id", ""))),
            csv_field(str(get("protocol_version", ""))),
            csv_field(str(get("protocol_source", ""))),
            csv_field(str(get("issued_by", ""))),
            csv_field(row.fingerprint),
            _number_field(row.planned_s),
            _number_field(row.actual_s),
            _number_field(row.complete),
            _number_field(int(get("dose_percent", 100))),
            _number_field(row.soreness_after),
            _number_field(row.soreness_at(24)),
            _number_field(row.soreness_at(48)),
            _number_field(row.soreness_at(72)),
            csv_field(";".join(row.flags)),
            csv_field(row.note),
            _text_field("\n".join([f"{n.hours} h: {n.note}" for n in notes])) if notes else "",
            _text_field("\n".join([answer_line(a) for a in answers])) if answers else "",
            _number_field(exercise.done) if exercise else "",
            _number_field(exercise.planned) if exercise else "",
            csv_field(measure.test) if measure else "",
            csv_field(measure.unit) if measure else "",
            _number_field(measure.before) if measure else "",
            _number_field(measure.after) if measure else "",
            _number_field(measure.change) if measure else "",
            utc_offset(row.started),  # moments and offsets hold no ',', '"' or line break
        ]
    )
    if hold is None:
        return line + ",,,,"
    lifted = csv_moment(hold.lifted) if hold.lifted else ""
    rules = csv_field(";".join(hold.rules))
    return f"{line},{rules},{lifted},{csv_field(hold.lift_reason)},{csv_field(hold.examined_by)}"


def csv_quoted(cell: str) -> str:
    """*cell* as `csv.writer` writes it (the excel dialect, minimal quoting): between
    double quotes, each doubled, when it holds a ',', a '"' or a line break."""
    if '"' in cell:
        return '"' + cell.replace('"', '""') + '"'
    if "," in cell or "\n" in cell or "\r" in cell:
        return f'"{cell}"'
    return cell


def _text_field(value: str) -> str:
    """The field of text *value* (`csv_text`, quoted): for texts seldom seen twice."""
    return csv_quoted(_kept_as_text(value))


csv_field: Final = lru_cache(maxsize=4096)(_text_field)  # `_text_field`, for repeated texts


def _number_field(value: object) -> str:
    """The field of a number, None or bool (`csv_cell`, quoted)."""
    if type(value) is int:
        return str(value)  # digits only: nothing to quote
    return csv_quoted(csv_cell(value))


def answer_line(answer: CheckinAnswer) -> str:
    """'24 h: 3/10 at 2026-03-03 19:30:00 (id …, corrects …; swelling not asked)'."""
    score = "soreness not given" if answer.soreness is None else f"{answer.soreness}/10"
    text = f"{answer.hours} h: {score} at {csv_moment(answer.at)} (id {answer.id}"
    if answer.corrects:
        text += f", corrects {answer.corrects}"
    if answer.not_asked:
        text += f"; {', '.join(answer.not_asked)} not asked"
    return text + ")"


def render_csv(report: Report) -> str:
    """One row per session, columns `ROW_FIELDS`, oldest first."""
    hold_of = report.hold_origins.get
    lines = [CSV_HEADER, *[csv_line(row, hold_of(row.id)) for row in report.rows], ""]
    return "\r\n".join(lines)  # the line end of `csv.writer`, after every line


CSV_HEADER: Final = ",".join(csv_quoted(name) for name, _ in (*ROW_FIELDS, *CSV_EXTRA))


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

    Compact items, as the json module writes them (an indented dump is several times
    slower on 10,000 sessions), while the file stays readable; the long lists are
    written straight from the model (`ITEM_TEXTS`). *kept*: lines of `json_lines`
    written before (a stored report's), used as they are.
    """
    return join_json(json_lines(report, kept=kept))


def json_lines(report: Report, *, kept: Mapping[str, str] | None = None) -> dict[str, str]:
    """Key -> its part of the JSON document ('"key": value'), in document order; the
    lines in *kept* are taken as they are."""
    lines = {}
    for key, value in report_sections(report).items():
        line = kept.get(key) if kept else None
        if line is None:
            items = ITEM_TEXTS.get(key)
            line = list_line(key, items(report)) if items else json_line(key, value())
        lines[key] = line
    return lines


def join_json(lines: Mapping[str, str]) -> str:
    parts: list[str] = []
    for line in lines.values():
        parts += (",\n", line)
    parts[:1] = ["{\n"]  # in place of the first comma
    parts.append("\n}\n")
    return "".join(parts)  # one copy of ten megabytes, not three


def json_line(key: str, value: Any) -> str:
    if isinstance(value, list) and value:
        return list_line(key, map(_ENCODE, value))
    return f"{json.dumps(key)}: {_ENCODE(value)}"


def list_line(key: str, items: Iterable[str]) -> str:
    """'"key": [' and the JSON texts of the items, one a line (none: '"key": []')."""
    texts = list(items)
    if not texts:
        return f"{json.dumps(key)}: []"
    texts[0] = f"{json.dumps(key)}: [\n{texts[0]}"
    texts[-1] += "\n]"
    return ",\n".join(texts)


# One encoder for every item: json.dumps with options builds a new one per call.
_ENCODE: Final = json.JSONEncoder(ensure_ascii=False).encode
_TEXT: Final = encode_basestring  # what _ENCODE writes for a str, without its set-up
_LITERALS: Final = {True: "true", False: "false", None: "null"}


def json_value(value: Any) -> str:
    """`_ENCODE(value)`: the same text, quicker for a str, an int, a bool or None."""
    kind = type(value)
    if kind is str:
        return _TEXT(value)
    if kind is int:
        return int.__repr__(value)
    if value is None or kind is bool:
        return _LITERALS[value]
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    return _ENCODE(value)  # NaN and infinities too: it says how


_SESSION_JSON: Final = "{" + ", ".join(f"{_TEXT(name)}: %s" for name, _ in ROW_FIELDS) + "}"


def session_json(row: SessionRow) -> str:
    """The JSON text of `row_dict(row)`, as `_ENCODE` writes it, made straight from the row
    (building each dict to encode it made the JSON of 10,000 sessions 70 % slower): the
    texts (a str by the row's construction) through the encoder's own string function,
    the rest through `json_value`. tests/report/test_report_data.py proves the two the
    same."""
    data = row.data
    get = data.get
    ended = get("ended")
    exercise = row.exercise
    measure = row.measure
    return _SESSION_JSON % (
        _TEXT(row.id),
        _TEXT(str(get("group", ""))),
        _TEXT(row.region),
        _TEXT(row.side),
        _TEXT(str(get("source", ""))),
        _TEXT(row.started.isoformat()),
        _TEXT(ended.isoformat()) if isinstance(ended, datetime) else "null",
        _TEXT(str(get("protocol_id", ""))),
        _TEXT(str(get("protocol_version", ""))),
        _TEXT(str(get("protocol_source", ""))),
        _TEXT(str(get("issued_by", ""))),
        _TEXT(row.fingerprint),
        json_value(row.planned_s),
        json_value(row.actual_s),
        json_value(row.complete),
        json_value(int(get("dose_percent", 100))),
        json_value(row.soreness_after),
        json_value(row.soreness_at(24)),
        json_value(row.soreness_at(48)),
        json_value(row.soreness_at(72)),
        _ENCODE(list(row.flags)) if row.flags else "[]",
        _TEXT(row.note),
        _notes_json(row.checkin_notes) if row.checkin_notes else "[]",
        _answers_json(row.checkin_answers) if row.checkin_answers else "[]",
        json_value(exercise.done) if exercise else "null",
        json_value(exercise.planned) if exercise else "null",
        _TEXT(measure.test) if measure else '""',
        _TEXT(measure.unit) if measure else '""',
        json_value(measure.before) if measure else "null",
        json_value(measure.after) if measure else "null",
        json_value(measure.change) if measure else "null",
    )


def _notes_json(notes: Iterable[CheckinNote]) -> str:
    items = [f'{{"hours": {json_value(n.hours)}, "note": {_TEXT(n.note)}}}' for n in notes]
    return "[" + ", ".join(items) + "]"


def _answers_json(answers: Iterable[CheckinAnswer]) -> str:
    items = [
        f'{{"id": {_TEXT(a.id)}, "hours": {json_value(a.hours)}, '
        f'"at": {_TEXT(a.at.isoformat())}, "soreness": {json_value(a.soreness)}, '
        f'"not_asked": {_ENCODE(list(a.not_asked)) if a.not_asked else "[]"}, '
        f'"corrects": {_TEXT(a.corrects) if a.corrects else "null"}}}'
        for a in answers
    ]
    return "[" + ", ".join(items) + "]"


def _moment_json(moment: datetime | None) -> str:
    return "null" if moment is None else _TEXT(moment.isoformat())


def _note_json(n: NoteEntry) -> str:
    return (
        f'{{"at": {_moment_json(n.at)}, "place": {json_value(n.place)}, '
        f'"context": {json_value(n.context)}, "text": {json_value(n.text)}}}'
    )


def _measure_json(m: Measurement) -> str:
    return (
        f'{{"at": {_moment_json(m.at)}, "region": {json_value(m.region)}, '
        f'"side": {json_value(m.side)}, "test": {json_value(m.test)}, '
        f'"unit": {json_value(m.unit)}, "value": {json_value(m.value)}, '
        f'"phase": {json_value(m.phase)}, "session": {json_value(m.session)}, '
        f'"id": {json_value(m.id)}}}'
    )


# The long lists, each item's text made straight from the model: the same text as
# `_ENCODE` of each item of the list in `report_sections` (tested).
ITEM_TEXTS: Final[Mapping[str, Callable[[Report], Iterable[str]]]] = {
    "notes": lambda report: map(_note_json, report.notes),
    "measures": lambda report: map(_measure_json, report.measures),
    "sessions": lambda report: map(session_json, report.rows),
}
