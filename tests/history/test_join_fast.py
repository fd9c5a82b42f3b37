"""Sessions joined with their check-ins, holds, exercises and measures, fast, are the rows
the straightforward join gives (`tests/straightforward.py`): from any journal, companions in
any order, sorted by the caller or not."""

from __future__ import annotations

from operator import attrgetter

from hypothesis import given, settings
from hypothesis import strategies as st

from iastm_coach.history.queries import (
    BY_TIME,
    CheckinAnswer,
    SessionRow,
    in_record_order,
    join_rows,
)
from iastm_coach.journal import records
from iastm_coach.journal.format import Record
from tests import straightforward
from tests.strategies import report_journals

COMPANIONS = {records.CHECKIN, records.HOLD, records.HOLD_CLEAR, records.EXERCISE, records.MEASURE}


@settings(max_examples=100)
@given(items=report_journals(), data=st.data())
def test_rows_are_the_straightforward_join(items: list[Record], data: st.DataObject) -> None:
    """The same rows, fields in the same order, whatever order the companions come in;
    a caller that sorted them (`in_order`) gets the same rows too."""
    sessions = [r for r in items if r.kind == records.SESSION]
    companions = data.draw(st.permutations([r for r in items if r.kind in COMPANIONS]))
    expected = straightforward.join_rows(sessions, companions)
    assert join_rows(sessions, companions) == expected
    ordered = in_record_order(list(companions))
    assert join_rows(sessions, ordered, in_order=True) == expected


@given(items=report_journals())
def test_a_row_and_an_answer_read_by_position_are_read_by_name(items: list[Record]) -> None:
    """`from_record` and `CheckinAnswer.of` pass their fields in order, not by keyword:
    each field lands where its name says (a swap of two texts would show here)."""
    for record in items:
        if record.kind == records.SESSION:
            assert SessionRow.from_record(record) == straightforward.session_row(record)
        elif record.kind == records.CHECKIN:
            assert CheckinAnswer.of(record) == straightforward.checkin_answer(record)


@given(items=report_journals(), data=st.data())
def test_record_order_is_sorting_by_time_then_id(items: list[Record], data: st.DataObject) -> None:
    """`in_record_order` leaves a list in order as it is and sorts any other, ties in the
    time (the same instant in another zone included) by id, as `sorted(key=BY_TIME)`."""
    shuffled = data.draw(st.permutations(items))
    by_time_only = sorted(shuffled, key=attrgetter("at"))  # ties in any order of ids
    for found in (shuffled, by_time_only, sorted(shuffled, key=BY_TIME)):
        expected = sorted(found, key=BY_TIME)
        result = in_record_order(found)
        assert result is found
        assert [id(r) for r in result] == [id(r) for r in expected]
