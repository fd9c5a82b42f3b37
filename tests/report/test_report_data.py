"""The CSV and JSON of the report are written straight from the model, for speed; these
tests hold their definitions and prove the quick writers give the very same text.

- CSV: each session is `row_dict(row)`, every value through `csv_cell` (the moments as
  `csv_moment`, the lists as lines of text), the hold columns after it, and the row written
  by `csv.writer`.
- JSON: each section of `report_sections`, encoded by the json module item by item.

They are compared on any rows Hypothesis makes (texts a spreadsheet would run or convert,
missing and odd values, answers that correct others, signs not asked, measures, exercises,
offsets other than UTC, years before 1000), on a journal written as the program writes it,
and on a generated benchmark journal.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from iastm_coach.history.outcomes import Measurement, SessionChange
from iastm_coach.history.queries import (
    ROW_FIELDS,
    CheckinAnswer,
    CheckinNote,
    ExerciseSets,
    SessionRow,
    row_dict,
)
from iastm_coach.journal.format import Record
from iastm_coach.report.build import NoteEntry, Report, build_report, render_csv, render_json
from iastm_coach.report.data import (
    CSV_EXTRA,
    ITEM_TEXTS,
    csv_cell,
    csv_line,
    csv_moment,
    csv_quoted,
    csv_text,
    join_json,
    json_lines,
    json_value,
    report_sections,
    session_json,
    utc_offset,
)
from iastm_coach.safety.hold_spans import HoldSpan
from tests.builders import (
    MINUS_5,
    PLUS_10,
    T0,
    add_checkin,
    add_cut_short_checkin,
    add_exercise,
    add_hold,
    add_hold_clear,
    add_measure,
    add_session,
    benchmark_journal,
    journal_report,
    make_journal,
)
from tests.strategies import TEXT, ZONES

# --- the definitions -------------------------------------------------------------------------


def defined_answer_line(answer: CheckinAnswer) -> str:
    score = "soreness not given" if answer.soreness is None else f"{answer.soreness}/10"
    about = [f"id {answer.id}"]
    if answer.corrects:
        about.append(f"corrects {answer.corrects}")
    text = f"{answer.hours} h: {score} at {csv_moment(answer.at)} ({', '.join(about)}"
    if answer.not_asked:
        text += f"; {', '.join(answer.not_asked)} not asked"
    return text + ")"


def defined_cells(row: SessionRow, hold: HoldSpan | None) -> list[str]:
    """The CSV cells of *row*, through `row_dict` and `csv_cell`."""
    data = row_dict(row)
    data["flags"] = ";".join(row.flags)
    data["checkin_notes"] = "\n".join(f"{n.hours} h: {n.note}" for n in row.checkin_notes)
    data["checkin_answers"] = "\n".join(defined_answer_line(a) for a in row.checkin_answers)
    cells = [csv_cell(value) for value in data.values()]
    names = list(data)
    assert names == [name for name, _ in ROW_FIELDS]
    cells[names.index("started")] = csv_moment(row.started)
    ended = row.data.get("ended")
    cells[names.index("ended")] = csv_moment(ended) if isinstance(ended, datetime) else ""
    cells.append(utc_offset(row.started))
    if hold is None:
        return [*cells, "", "", "", ""]
    lifted = csv_moment(hold.lifted) if hold.lifted else ""
    texts = (";".join(hold.rules), hold.lift_reason, hold.examined_by)
    return [*cells, csv_text(texts[0]), lifted, csv_text(texts[1]), csv_text(texts[2])]


def written(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def defined_csv(report: Report) -> str:
    header = [name for name, _ in (*ROW_FIELDS, *CSV_EXTRA)]
    holds = report.hold_origins
    return written([header, *(defined_cells(row, holds.get(row.id)) for row in report.rows)])


def defined_line(key: str, value: Any) -> str:
    """One section of the JSON document, encoded item by item by the json module."""
    name = json.dumps(key)
    if isinstance(value, list) and value:
        items = ",\n".join(json.dumps(item, ensure_ascii=False) for item in value)
        return f"{name}: [\n{items}\n]"
    return f"{name}: {json.dumps(value, ensure_ascii=False)}"


def defined_json(report: Report) -> str:
    lines = [defined_line(key, value()) for key, value in report_sections(report).items()]
    return "{\n" + ",\n".join(lines) + "\n}\n"


# --- anything a row may hold ---------------------------------------------------------------

# Texts a spreadsheet runs or converts, texts csv.writer quotes, and any text at all.
ODD_TEXTS = ["", "=1+2", " =cmd", "\n=cmd", "＝1", "1.0", "2026", "-3", "true", " FALSE "]
QUOTED_TEXTS = ["@SUM(A1)", "a,b", 'say "hi"', "two\r\nlines", "felt fine; less", "café —→"]
TEXTS = TEXT | st.sampled_from([*ODD_TEXTS, *QUOTED_TEXTS])
ANY_ZONE = ZONES | st.none() | st.just(UTC)
MOMENTS = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 30), timezones=ANY_ZONE
)
AWARE = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=ZONES)
NUMBERS = st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63)
FLOATS = st.none() | st.floats() | st.integers(min_value=-(10**6), max_value=10**6)
TEXT_FIELDS = ("region", "side", "source", "protocol_id", "protocol_version", "protocol_source")
OPTIONAL_TEXT = dict.fromkeys([*TEXT_FIELDS, "issued_by", "protocol_fingerprint", "note"], TEXTS)
SESSION_DATA = st.fixed_dictionaries(
    {},
    optional=OPTIONAL_TEXT
    | {
        "group": TEXTS | st.lists(TEXTS, max_size=2) | st.integers(),  # str() of anything
        "started": MOMENTS,
        "ended": MOMENTS | st.dates() | TEXTS,
        "planned_s": st.integers(min_value=0, max_value=10**6) | st.booleans(),
        "actual_s": st.integers(min_value=0, max_value=10**6),
        "complete": st.booleans() | st.integers(min_value=0, max_value=2),
        "dose_percent": st.integers(min_value=0, max_value=300) | st.booleans(),
        "soreness": st.integers(min_value=-2, max_value=10) | st.booleans() | TEXTS,
    },
)
ANSWERS = st.builds(
    CheckinAnswer,
    id=TEXTS,
    hours=st.integers(min_value=-1, max_value=200),
    at=MOMENTS,
    soreness=st.none() | st.booleans() | st.integers(min_value=0, max_value=10),
    not_asked=st.lists(TEXTS, max_size=3).map(tuple),
    corrects=TEXTS,
)
CHANGES = st.builds(
    SessionChange,
    session=TEXTS,
    region=TEXTS,
    side=TEXTS,
    test=TEXTS,
    unit=TEXTS,
    at=AWARE,
    before=FLOATS,
    after=FLOATS,
)


@st.composite
def session_rows(draw: st.DrawFn) -> SessionRow:
    record = Record("session", draw(TEXTS), draw(AWARE), 1, draw(SESSION_DATA))
    return SessionRow.from_record(
        record,
        soreness_by_hours=draw(
            st.dictionaries(st.sampled_from([24, 48, 72, 120]), NUMBERS, max_size=4)
        ),
        flags=tuple(draw(st.lists(TEXTS, max_size=3))),
        checkin_notes=tuple(
            draw(st.lists(st.builds(CheckinNote, st.integers(0, 200), TEXTS), max_size=3))
        ),
        exercise=draw(st.none() | st.builds(ExerciseSets, NUMBERS, NUMBERS, NUMBERS)),
        measure=draw(st.none() | CHANGES),
        checkin_answers=tuple(draw(st.lists(ANSWERS, max_size=3))),
    )


HOLDS = st.none() | st.builds(
    HoldSpan,
    region=TEXTS,
    placed=AWARE,
    lifted=st.none() | MOMENTS,
    rules=st.lists(TEXTS, max_size=3).map(tuple),
    reasons=st.lists(TEXTS, max_size=2).map(tuple),
    record_id=TEXTS,
    lift_reason=TEXTS,
    examined_by=TEXTS,
)
NOTES = st.builds(NoteEntry, at=AWARE, place=TEXTS, context=TEXTS, text=TEXTS)
MEASURES = st.builds(
    Measurement,
    id=TEXTS,
    at=AWARE,
    region=TEXTS,
    side=TEXTS,
    test=TEXTS,
    unit=TEXTS,
    value=st.floats() | st.integers(),
    phase=TEXTS,
    session=TEXTS,
)
EMPTY = build_report([], now=T0, since=None, prescriptions={})


def report_of(
    rows: list[SessionRow],
    holds: list[HoldSpan | None] | None = None,
    notes: list[NoteEntry] | None = None,
    measures: list[Measurement] | None = None,
) -> Report:
    origins = {row.id: hold for row, hold in zip(rows, holds or [], strict=False) if hold}
    return replace(
        EMPTY,
        rows=tuple(rows),
        hold_origins=origins,
        notes=tuple(notes or ()),
        measures=tuple(measures or ()),
    )


def has_nan(text: str) -> bool:
    return "NaN" in text


# --- the quick writers give what the definitions give ------------------------------------------


@given(session_rows(), HOLDS)
@settings(max_examples=300)
def test_a_csv_line_is_its_row_dict_through_csv_writer(row: SessionRow, hold: HoldSpan) -> None:
    assert csv_line(row, hold) + "\r\n" == written([defined_cells(row, hold)])


@given(st.lists(session_rows(), max_size=4), st.lists(HOLDS, max_size=4))
def test_the_csv_is_its_definition(rows: list[SessionRow], holds: list[HoldSpan | None]) -> None:
    report = report_of(rows, holds)
    assert render_csv(report) == defined_csv(report)


@given(session_rows())
@settings(max_examples=300)
def test_a_session_json_is_its_row_dict_encoded(row: SessionRow) -> None:
    text = session_json(row)
    assert text == json.dumps(row_dict(row), ensure_ascii=False)
    if not has_nan(text):  # NaN is not equal to itself
        assert json.loads(text) == row_dict(row)


@given(
    st.lists(session_rows(), max_size=3),
    st.lists(NOTES, max_size=3),
    st.lists(MEASURES, max_size=3),
)
def test_the_long_json_lists_are_their_sections_encoded(
    rows: list[SessionRow], notes: list[NoteEntry], measures: list[Measurement]
) -> None:
    report = report_of(rows, notes=notes, measures=measures)
    lines = json_lines(report)
    sections = report_sections(report)
    assert set(ITEM_TEXTS) == {"sessions", "notes", "measures"}
    for key in ITEM_TEXTS:
        assert lines[key] == defined_line(key, sections[key]())


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXTS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXTS, inner, max_size=3),
    max_leaves=8,
)


@given(JSON_VALUES)
@example(float("nan"))
@example(float("-inf"))
@example(10**30)
@example(-0.0)
def test_a_json_value_is_the_json_modules_text(value: Any) -> None:
    assert json_value(value) == json.dumps(value, ensure_ascii=False)


@given(st.dictionaries(TEXTS, TEXTS, max_size=4))
def test_the_json_lines_are_joined_as_before(lines: dict[str, str]) -> None:
    assert join_json(lines) == "{\n" + ",\n".join(lines.values()) + "\n}\n"


@given(st.lists(TEXTS, min_size=2, max_size=6))
def test_fields_are_quoted_as_csv_writer_quotes(cells: list[str]) -> None:
    """csv.writer writes a row of one empty field as '""': every row here has 36 fields."""
    assert ",".join(map(csv_quoted, cells)) + "\r\n" == written([cells])


# --- a journal as the program writes it -------------------------------------------------------


def assorted_report(tmp_path: Path) -> Report:
    """Every kind of cell: an offset of -05:00 and +10:00, formula-looking and quoted texts,
    an answer corrected and one with signs not asked, soreness not given, exercises,
    measures before and after, a red flag lifted after an examination."""
    journal = make_journal(tmp_path)
    first = add_session(
        journal,
        started=T0.astimezone(MINUS_5),
        note='=HYPERLINK("x"), then "more"',
        group="-1",
        protocol_version="1.0",
        dose_percent=70,
    )
    add_exercise(journal, first, [(2, 3), (0, 3)])
    add_measure(journal, 9.5, at=first.at - timedelta(minutes=10), phase="before", session=first)
    add_measure(journal, 11.2, at=first.at + timedelta(minutes=1), phase="after", session=first)
    ended = first.data["ended"]
    asked = add_cut_short_checkin(
        journal, first, hours=24, soreness=7, at=ended + timedelta(hours=25)
    )
    at = ended + timedelta(hours=26)
    add_checkin(journal, first, hours=24, soreness=3, at=at, corrects=asked.id, note="better, less")
    swollen = add_checkin(journal, first, hours=48, soreness=4, swelling=True, note="+ puffy")
    add_hold(journal, rule="swelling", source=swollen.id, side="left", at=swollen.at)
    add_hold_clear(journal, reason="@scan clear", examined_by="Dr Lee, GP", at=T0 + timedelta(5))
    add_session(journal, side="right", started=(T0 + timedelta(days=6)).astimezone(PLUS_10))
    add_session(journal, region="upper-back", side="none", soreness=-1, started=T0 + timedelta(7))
    return journal_report(journal, now=T0 + timedelta(days=9))


def test_a_journal_with_every_kind_of_cell(tmp_path: Path) -> None:
    report = assorted_report(tmp_path)
    assert render_csv(report) == defined_csv(report)
    assert render_json(report) == defined_json(report)
    first, right, back = csv.DictReader(io.StringIO(render_csv(report), newline=""))
    assert (first["started"], first["utc_offset"], right["utc_offset"]) == (
        "2026-03-02 13:00:00",
        "UTC-05:00",
        "UTC+10:00",
    )
    assert first["note"] == '\'=HYPERLINK("x"), then "more"' and first["group"] == "'-1"
    assert first["protocol_version"] == "'1.0" and first["dose_percent"] == "70"
    assert (first["exercise_sets_done"], first["exercise_sets_planned"]) == ("2", "6")
    assert (first["measure_before"], first["measure_after"], first["measure_change"]) == (
        "9.5",
        "11.2",
        "1.7",
    )
    answers = first["checkin_answers"].splitlines()
    assert (
        "not asked" in answers[0] and f"corrects {answers[0].split('(id ')[1][:26]}" in (answers[1])
    )
    assert first["checkin_notes"] == "24 h: better, less\n48 h: + puffy"
    assert (first["hold_rules"], first["hold_examined_by"]) == ("swelling", "Dr Lee, GP")
    assert first["hold_lift_reason"] == "'@scan clear"
    assert (back["soreness_after"], back["measure_test"], back["hold_lifted"]) == ("", "", "")
    sessions = json.loads(render_json(report))["sessions"]
    assert [s["soreness_after"] for s in sessions] == [2, 2, None]
    assert sessions[0]["checkin_answers"][1]["corrects"] == sessions[0]["checkin_answers"][0]["id"]


def test_an_empty_report(tmp_path: Path) -> None:
    assert render_csv(EMPTY) == defined_csv(EMPTY)
    assert render_json(EMPTY) == defined_json(EMPTY)


def test_a_stored_json_keeps_the_same_lines(tmp_path: Path) -> None:
    """What the stored report keeps of the JSON (every line but the dated ones) is the
    definition's, so a report read back from the store is the same text."""
    from iastm_coach.report.data import DATED_KEYS
    from iastm_coach.report.stored import render_keeping

    report = assorted_report(tmp_path)
    text, kept = render_keeping(report, "json")
    assert text == defined_json(report) and isinstance(kept, dict)
    defined = {key: defined_line(key, value()) for key, value in report_sections(report).items()}
    assert kept == {key: line for key, line in defined.items() if key not in DATED_KEYS}
    assert render_json(report, kept=kept) == text
    csv_text_, csv_kept = render_keeping(report, "csv")
    assert csv_text_ == csv_kept == defined_csv(report)


@pytest.mark.slow  # builds a 300-session journal: about two seconds
def test_a_benchmark_journal(tmp_path: Path) -> None:
    """The generated journal of `benchmarks/make_journal.py` (what the timings are taken on)."""
    from iastm_coach.report.context import make_report

    journal = benchmark_journal(tmp_path, 300)
    report = make_report(journal, since=None, now=datetime(2026, 2, 1, tzinfo=UTC))
    assert len(report.rows) >= 300 and report.notes and report.measures
    assert render_csv(report) == defined_csv(report)
    assert render_json(report) == defined_json(report)


ONE_ROW = SessionRow.from_record(
    Record(
        "session",
        "01A",
        T0,
        1,
        {
            "group": "g1",
            "region": "calf",
            "side": "left",
            "started": T0.astimezone(MINUS_5),
            "note": '=x, "y"',
            "soreness": -1,
            "complete": False,
        },
    ),
    soreness_by_hours={24: 3},
    flags=("swelling", "numbness"),
    checkin_answers=(CheckinAnswer("01B", 24, T0, 3, ("worse",), "01C"),),
    measure=SessionChange("01A", "calf", "left", "lunge", "cm", T0, 9.5, None),
)


def test_one_row_written_out() -> None:
    """The cells and keys in place, each written as it should be: what the comparisons above
    compare is itself right."""
    assert csv_line(ONE_ROW) == (
        "01A,g1,calf,left,,2026-03-02 13:00:00,,,,,,,0,0,false,100,,3,,,swelling;numbness,"
        '"\'=x, ""y""",,"24 h: 3/10 at 2026-03-02 18:00:00 (id 01B, corrects 01C; worse not '
        'asked)",,,lunge,cm,9.5,,,UTC-05:00,,,,'
    )
    assert session_json(ONE_ROW) == (
        '{"id": "01A", "group": "g1", "region": "calf", "side": "left", "source": "", '
        '"started": "2026-03-02T13:00:00-05:00", "ended": null, "protocol_id": "", '
        '"protocol_version": "", "protocol_source": "", "issued_by": "", '
        '"protocol_fingerprint": "", "planned_s": 0, "actual_s": 0, "complete": false, '
        '"dose_percent": 100, "soreness_after": null, "soreness_24h": 3, "soreness_48h": null, '
        '"soreness_72h": null, "flags": ["swelling", "numbness"], "note": "=x, \\"y\\"", '
        '"checkin_notes": [], "checkin_answers": [{"id": "01B", "hours": 24, '
        '"at": "2026-03-02T18:00:00+00:00", "soreness": 3, "not_asked": ["worse"], '
        '"corrects": "01C"}], "exercise_sets_done": null, "exercise_sets_planned": null, '
        '"measure_test": "lunge", "measure_unit": "cm", "measure_before": 9.5, '
        '"measure_after": null, "measure_change": null}'
    )
