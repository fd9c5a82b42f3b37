"""Property: any record round-trips exactly, through the TOML file and through the parse cache."""

from __future__ import annotations

import math
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iastm_coach.errors import DataFileError
from iastm_coach.journal.store import Journal, records
from tests.builders import example
from tests.strategies import DATA, KINDS, MOMENTS, TEXT, VALUES, near


def same(left: Any, right: Any) -> bool:
    """Equal, and of the same type; datetimes keep their offset; -0.0 is not 0.0."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return list(left) == list(right) and all(same(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(same, left, right))
    if isinstance(left, float):
        return left == right and math.copysign(1, left) == math.copysign(1, right)
    if isinstance(left, datetime):
        return left == right and left.utcoffset() == right.utcoffset()
    return bool(left == right)


@pytest.mark.slow  # 150 journals written and read back: about 2 s
@settings(max_examples=150, deadline=None)
@given(kind=KINDS, data=DATA, at=MOMENTS)
def test_any_record_round_trips_exactly(kind: str, data: dict[str, Any], at: datetime) -> None:
    """append → file → tomllib → Record, and again from the parse cache, gives the same record.

    The arbitrary values go in fields of their own, next to a valid record of the kind
    (the values of documented fields are checked when read: see the next test).
    """
    data = {**example(kind), **data}
    with tempfile.TemporaryDirectory() as temp:
        directory = Path(temp) / "journal"
        written = Journal(directory).append(kind, data, at=at)
        assert same(written.data, data)
        for reader in (Journal(directory), Journal(directory)):  # parsed, then cached
            found = reader.get(written.id)
            assert found is not None
            assert found.kind == kind
            assert same(found.at, at)
            assert same(dict(found.data), data)
            assert reader.recent() == [found]
        report = Journal(directory).check_report(now=at)
        assert report.errors == []
        assert all("unknown field" in p.message for p in report.warnings)
        assert len(report.warnings) == len(data) - len(example(kind))


@st.composite
def record_edits(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A kind and a record of it whose documented fields are edited: some set to values
    near their rules (or anything), some deleted."""
    kind = draw(KINDS)
    data = example(kind)
    for name, spec in records.FIELDS[kind].items():
        change = draw(st.sampled_from(["keep", "keep", "near", "anything", "delete"]))
        if change == "near":
            data[name] = draw(near(spec))
        elif change == "anything":
            data[name] = draw(VALUES)
        elif change == "delete":
            data.pop(name, None)
    return kind, data


@pytest.mark.slow  # 200 edited journals written, read and checked: a few seconds
@settings(max_examples=200, deadline=None)
@given(edit=record_edits())
def test_reading_and_check_accept_exactly_the_same_records(
    edit: tuple[str, dict[str, Any]],
) -> None:
    """One field table: for any value in any kind of field, and any field deleted, `journal
    check` reports as errors exactly what stops reading (exit 4, naming the file, the line
    of the field and `journal check`), and as warnings the absent fields every reader
    reads with their defaults. A record that reads back is the record written."""
    kind, data = edit
    wrong = records.problems_by_field(kind, data)
    stops = [p for p in wrong if p.stops_reading]
    at = datetime(2025, 5, 5, 12, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as temp:
        directory = Path(temp) / "journal"
        written = Journal(directory).append(kind, data, at=at)
        text = (directory / "2025-05.toml").read_text()
        report = Journal(directory).check_report(now=at)
        # (check lists them in line order, `problems_by_field` in the order of FIELDS)
        assert sorted(p.message for p in report.errors) == sorted(
            f"{kind} {written.id}: {problem.message}" for problem in stops
        )
        assert sorted(p.message for p in report.warnings if "is missing" in p.message) == sorted(
            f"{kind} {written.id}: {problem.message}; it is read without it"
            for problem in wrong
            if problem.missing
        )
        if not stops:
            assert report.records == 1
            for reader in (Journal(directory), Journal(directory)):  # parsed, then cached
                assert reader.recent() == [written]
                assert same(dict(reader.recent()[0].data), dict(written.data))
            return
        assert report.records == 0
        for reader in (Journal(directory), Journal(directory)):
            with pytest.raises(DataFileError) as caught:
                reader.recent()
            assert caught.value.exit_code == 4
            assert str(directory / "2025-05.toml") in caught.value.message
            assert stops[0].message in caught.value.message
            assert "journal check" in (caught.value.hint or "")
            [first] = [p for p in report.errors if p.message.endswith(stops[0].message)]
            line = first.line
            assert line is not None and f"line {line}," in caught.value.message
            if not stops[0].incomplete:
                assert text.split("\n")[line - 1].startswith(stops[0].field)


@settings(max_examples=30, deadline=None)
@given(notes=st.lists(TEXT, min_size=1, max_size=6))
def test_many_records_keep_their_order_and_values(notes: list[str]) -> None:
    """Several records in one month come back in time order with their own values."""
    base = datetime(2024, 6, 1, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as temp:
        journal = Journal(Path(temp) / "journal")
        for n, note in enumerate(notes):
            journal.append("checkin", {"note": note}, at=base + timedelta(minutes=n))
        assert [r.data["note"] for r in Journal(journal.directory).scan()] == notes
