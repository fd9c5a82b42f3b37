"""The CSV in a spreadsheet: dates and times it reads as such, text it keeps as text, and no
cell it would run as a formula."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from iastm_coach.report.build import render_csv
from iastm_coach.report.data import csv_text
from tests.builders import MINUS_5, T0, add_session, journal_report, make_journal

NOW = T0 + timedelta(days=3)


def rows_of(tmp_path: Path, **session: object) -> list[dict[str, str]]:
    journal = make_journal(tmp_path)
    add_session(journal, **session)  # type: ignore[arg-type]
    report = journal_report(journal, now=NOW)
    return list(csv.DictReader(io.StringIO(render_csv(report), newline="")))


def test_dates_and_times_a_spreadsheet_parses(tmp_path: Path) -> None:
    """'YYYY-MM-DD HH:MM:SS' as recorded, with its offset in a text column beside it."""
    row = rows_of(tmp_path, started=T0.astimezone(MINUS_5))[0]
    assert row["started"] == "2026-03-02 13:00:00"
    assert datetime.strptime(row["ended"], "%Y-%m-%d %H:%M:%S") == datetime(2026, 3, 2, 13, 6)
    assert row["utc_offset"] == "UTC-05:00"


def test_a_version_stays_text(tmp_path: Path) -> None:
    """Version "1.0" would become the number 1: it is marked as text."""
    row = rows_of(tmp_path, protocol_version="1.0", protocol_id="2026")[0]
    assert row["protocol_version"] == "'1.0" and row["protocol_id"] == "'2026"
    assert row["region"] == "calf" and row["soreness_after"] == "2"  # numbers stay numbers


def test_formula_spellings_are_defused(tmp_path: Path) -> None:
    """Leading spaces or line breaks, full-width signs and separators do not sneak through."""
    for text in (" =1+2", "\n=cmd", "＝1+2", "＋1", ";=1", "|calc", "@SUM(A1)", "-2+3"):
        assert csv_text(text) == "'" + text
    for text in ("calf (left)", "felt good - less tight", "v1.0", ""):
        assert csv_text(text) == text


@given(st.text(max_size=40))
def test_any_text_is_kept_or_marked(text: str) -> None:
    """Whatever the text, the cell is the text or an apostrophe before it, and never starts
    like a formula once a spreadsheet trims it."""
    cell = csv_text(text)
    assert cell in (text, "'" + text)
    trimmed = cell.lstrip()
    assert not trimmed or trimmed[0] not in "=+-@;|\uff1d\uff0b\uff0d\uff20"


@given(st.datetimes(min_value=datetime(1, 1, 1, 0, 0), timezones=st.timezones() | st.just(None)))
def test_csv_times_read_as_strftime_writes_them(moment: datetime) -> None:
    """The CSV's date-time and offset cells (written the fast way, for 10,000-row reports)
    are exactly what strftime gives, for any year and any offset, seconds included."""
    from iastm_coach.report.data import csv_moment, utc_offset

    assert csv_moment(moment) == moment.strftime("%Y-%m-%d %H:%M:%S")
    offset = moment.strftime("%z")
    assert utc_offset(moment) == (f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC")
