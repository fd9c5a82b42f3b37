"""Outcome measures, pure: before/after pairs per session and side, weekly values, the change
over weeks, and the plain-language summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iastm_coach.history.outcomes import (
    CAVEAT,
    Measurement,
    build_series,
    changes_by_session,
    course_change,
    measurements_of,
    monday_of,
    overall_change,
    remembered_weeks,
    session_changes,
    signed,
    summary_line,
    weekly_values,
    with_unit,
)
from iastm_coach.journal.store import Record, new_record_id, records

# A Wednesday at noon UTC: any local time zone keeps it inside the same Monday-Sunday week.
WED = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
TEST = "Knee-to-wall lunge"


def measure(
    value: Any,
    *,
    at: datetime = WED,
    phase: str = "standalone",
    session: str = "",
    side: str = "left",
    region: str = "calf",
    test: str = TEST,
    unit: str = "cm",
) -> Record:
    data = {
        "region": region,
        "side": side,
        "test": test,
        "unit": unit,
        "value": value,
        "phase": phase,
        "session": session,
    }
    return Record(records.MEASURE, new_record_id(at), at, 1, data)


def m(value: float, **kwargs: Any) -> Measurement:
    found = Measurement.from_record(measure(value, **kwargs))
    assert found is not None
    return found


# --- reading records ------------------------------------------------------------------------------


def test_from_record_reads_fields() -> None:
    """A measure record becomes a Measurement; ints become floats."""
    item = m(9, phase="before", session="S1")
    assert (item.region, item.side, item.test, item.unit) == ("calf", "left", TEST, "cm")
    assert item.value == 9.0 and isinstance(item.value, float)
    assert (item.phase, item.session, item.rested) == ("before", "S1", True)
    assert not m(9, phase="after", session="S1").rested


@pytest.mark.parametrize("value", [True, "9", None, float("inf"), float("nan")])
def test_unusable_values_are_skipped(value: Any) -> None:
    """A hand-edited value that is not a finite number is left out, not a crash."""
    assert Measurement.from_record(measure(value)) is None


def test_unknown_phase_counts_as_standalone_and_other_kinds_skipped() -> None:
    """A phase this version does not know is treated as a value on its own."""
    assert m(3, phase="during").phase == "standalone"
    other = Record(records.CHECKIN, new_record_id(WED), WED, 1, {"value": 3})
    assert Measurement.from_record(other) is None


def test_measurements_of_orders_by_time() -> None:
    late = measure(2, at=WED + timedelta(hours=1))
    early = measure(1, at=WED)
    assert [x.value for x in measurements_of([late, early])] == [1.0, 2.0]


# --- before and after a session ---------------------------------------------------------------


def test_pairs_per_session_and_side() -> None:
    """Before and after of the same session and side pair up; each side is its own pair."""
    items = [
        m(9, phase="before", session="S1", side="left"),
        m(10, phase="before", session="S1", side="right", at=WED + timedelta(seconds=1)),
        m(10.5, phase="after", session="S1", side="left", at=WED + timedelta(minutes=20)),
        m(10.2, phase="after", session="S1", side="right", at=WED + timedelta(minutes=21)),
    ]
    changes = session_changes(items)
    assert [(c.side, c.before, c.after, c.change) for c in changes] == [
        ("left", 9.0, 10.5, 1.5),
        ("right", 10.0, 10.2, 0.2),
    ]
    assert changes[0].at == WED


def test_change_has_no_float_noise() -> None:
    """11.2 - 9.5 reads 1.7, not 1.6999999999999993."""
    changes = session_changes(
        [m(9.5, phase="before", session="S"), m(11.2, phase="after", session="S")]
    )
    assert changes[0].change == 1.7


def test_standalone_values_never_pair_and_half_pairs_kept() -> None:
    """Standalone values are not around a session; a lone before (or after) stays, half empty."""
    items = [
        m(8, phase="standalone"),
        m(9, phase="before", session="S1"),
        m(12, phase="after", session="S2", at=WED + timedelta(days=2)),
    ]
    changes = session_changes(items)
    assert [(c.session, c.before, c.after, c.change) for c in changes] == [
        ("S1", 9.0, None, None),
        ("S2", None, 12.0, None),
    ]


def test_repeated_phase_latest_wins() -> None:
    """A before value measured twice: the later one counts."""
    items = [
        m(9, phase="before", session="S1"),
        m(9.4, phase="before", session="S1", at=WED + timedelta(minutes=1)),
        m(10, phase="after", session="S1", at=WED + timedelta(minutes=30)),
    ]
    (change,) = session_changes(items)
    assert (change.before, change.after) == (9.4, 10.0)


def test_tests_and_units_pair_separately() -> None:
    """Two tests around one session are two pairs; the row shows one with both values."""
    items = [
        m(4, phase="before", session="S1", test="Pain on stairs", unit="0-10"),
        m(9, phase="before", session="S1"),
        m(10, phase="after", session="S1", at=WED + timedelta(minutes=30)),
    ]
    changes = session_changes(items)
    assert len(changes) == 2
    chosen = changes_by_session(changes)["S1"]
    assert (chosen.test, chosen.change) == (TEST, 1.0)


def test_session_without_measures_has_no_pair() -> None:
    assert session_changes([]) == []
    assert changes_by_session([]) == {}


# --- over weeks ----------------------------------------------------------------------------------


def test_weekly_values_use_rested_values_only() -> None:
    """Weekly median, lowest and highest of before and standalone values; after values left out."""
    items = [
        m(9, phase="before", session="S1"),
        m(14, phase="after", session="S1", at=WED + timedelta(minutes=20)),
        m(10, at=WED + timedelta(days=1)),
        m(12, at=WED + timedelta(days=2)),
        m(11, at=WED + timedelta(days=7)),
    ]
    weeks = weekly_values(items)
    assert [(w.monday, w.count, w.median, w.low, w.high) for w in weeks] == [
        (monday_of(WED), 3, 10.0, 9.0, 12.0),
        (monday_of(WED) + timedelta(days=7), 1, 11.0, 11.0, 11.0),
    ]


def test_no_overall_change_within_one_week() -> None:
    assert overall_change([m(9), m(10, at=WED + timedelta(days=1))]) is None
    assert overall_change([m(9, phase="after", session="S")]) is None


def test_overall_change_two_or_three_weeks_compares_one_week_each() -> None:
    """Fewer than four measured weeks: the first measured week against the last."""
    items = [m(8), m(10, at=WED + timedelta(days=1)), m(99, at=WED + timedelta(days=7))]
    items.append(m(12, at=WED + timedelta(days=21)))
    items.append(m(13, at=WED + timedelta(days=22)))
    overall = overall_change(items)
    assert overall is not None
    assert (overall.early, overall.late, overall.change, overall.edge_weeks) == (9.0, 12.5, 3.5, 1)
    assert overall.first_monday == monday_of(WED)
    assert overall.last_monday == monday_of(WED) + timedelta(days=21)


def test_overall_change_compares_first_two_and_last_two_weeks() -> None:
    """Four measured weeks or more: the median of the first two weeks against the last two;
    weeks without values are skipped, not counted as zero."""
    values = {0: [8, 9], 7: [10], 35: [11], 70: [12, 14]}  # days after WED
    items = [m(v, at=WED + timedelta(days=d)) for d, vs in values.items() for v in vs]
    items.append(m(30, phase="after", session="S", at=WED + timedelta(days=70, minutes=5)))
    overall = overall_change(items)
    assert overall is not None
    assert overall.edge_weeks == 2
    assert (overall.early, overall.late) == (9.0, 12.0)  # medians of [8, 9, 10] and [11, 12, 14]


# --- series and words ---------------------------------------------------------------------------


def test_series_per_side_sorted_with_direction() -> None:
    """One series per region, test and side; the protocol's direction found whatever the case."""
    items = [
        m(10, side="right"),
        m(9, side="left"),
        m(4, region="neck", side="none", test="Pain turning", unit="0-10"),
    ]
    series = build_series(
        items,
        higher_is_better={("calf", TEST.lower()): True, ("neck", "Pain turning"): False},
    )
    assert [(s.region, s.side) for s in series] == [
        ("calf", "left"),
        ("calf", "right"),
        ("neck", "none"),
    ]
    assert [s.higher_is_better for s in series] == [True, True, False]
    assert series[2].place() == "neck" and series[0].place() == "calf (left)"


def weekly(values: list[float], **kwargs: Any) -> list[Measurement]:
    return [m(v, at=WED + timedelta(days=7 * i), **kwargs) for i, v in enumerate(values)]


@pytest.mark.parametrize(
    ("values", "better", "expected"),
    [
        ([9, 9, 11, 11], True, "(+2 cm, in the better direction: higher is better)."),
        ([9, 9, 11, 11], False, "(+2 cm, in the worse direction: lower is better)."),
        ([11, 11, 9, 9], None, "(-2 cm)."),
        ([9, 9, 9, 9], True, "0 cm, no change"),
    ],
)
def test_summary_states_change_and_direction(
    values: list[float], better: bool | None, expected: str
) -> None:
    """The sentence names the first and last weeks' medians, the change and, where the
    protocol says which way is better, its direction; it never calls the change meaningful."""
    direction = None if better is None else {("calf", TEST): better}
    (series,) = build_series(weekly(values), higher_is_better=direction)
    line = summary_line(series)
    assert line.startswith(f"{TEST}, calf (left), values taken before a session or on their own: ")
    assert "in the first 2 weeks measured" in line
    assert expected in line, line


def test_summary_with_sessions_and_caveat_text() -> None:
    """Paired sessions add the average change right after; the caveat says the plain thing."""
    items = [
        m(9, phase="before", session="S1"),
        m(10, phase="after", session="S1", at=WED + timedelta(minutes=20)),
        m(9.5, phase="before", session="S2", at=WED + timedelta(days=7)),
        m(11.5, phase="after", session="S2", at=WED + timedelta(days=7, minutes=20)),
    ]
    (series,) = build_series(items)
    assert series.mean_session_change == 1.5
    assert len(series.paired) == 2
    line = summary_line(series)
    assert "Right after the strokes it changed by +1.5 cm on average (2 sessions" in line
    assert "9 cm in the first week measured, 9.5 cm in the last week (+0.5 cm" in line
    assert "changes are common and tell less about the long term" in CAVEAT
    assert "same time of day and the same way" in CAVEAT


def test_summary_one_week_and_after_only() -> None:
    (one_week,) = build_series([m(9), m(10, at=WED + timedelta(days=1))])
    assert "2 values so far, all in one week" in summary_line(one_week)
    (after_only,) = build_series([m(12, phase="after", session="S1")])
    assert "only values right after sessions so far" in summary_line(after_only)
    assert after_only.weeks == () and after_only.overall is None


def test_value_words() -> None:
    assert with_unit(9.5, "cm") == "9.5 cm"
    assert with_unit(4.0, "0-10") == "4/10"
    assert with_unit(1 / 3, "degrees") == "0.33 degrees"
    assert signed(1.5, "cm") == "+1.5 cm"
    assert signed(-1.0, "pain 0-10") == "-1 point"
    assert signed(-2.0, "0-10") == "-2 points"
    assert signed(0.0, "kg") == "0 kg"


# --- the change over the course -------------------------------------------------------------

# The tester's lunge over four weeks: a steady gain of 3.5 cm, measured 7 times.
STEADY = [(0, 9.5), (2, 11), (7, 11), (9, 11.5), (14, 12), (21, 12.5), (23, 13)]  # (day, cm)


def steady_series(minimal: float | None = 2.0) -> Any:
    items = [m(value, at=WED - timedelta(days=2) + timedelta(days=day)) for day, value in STEADY]
    errors = {("calf", TEST): minimal} if minimal is not None else {}
    [series] = build_series(items, higher_is_better={("calf", TEST): True}, minimal_change=errors)
    return series


def test_course_change_compares_the_first_two_values_with_the_last_two() -> None:
    """9.5 → 11 → 11 → 11.5 → 12 → 12.5 → 13 cm is +2.5 cm (10.25 → 12.75): weekly medians
    of the end weeks (+1.5 cm) pulled both ends to the middle and called it 'within
    measurement error'; the course change is stated against the 2 cm and as better."""
    series = steady_series()
    course = series.course
    assert (course.early, course.late, course.change, course.compared) == (10.25, 12.75, 2.5, 2)
    assert course.weeks == 3
    line = summary_line(series)
    assert (
        "10.25 cm → 12.75 cm (mean of the first 2 vs the last 2 values): +2.5 cm over 3 weeks, "
        "at least the measurement error (2 cm), better" in line
    )


def test_course_change_first_against_last_value_and_its_caveats() -> None:
    """Fewer than four values: the first against the last; one week: no change claimed; a
    change under the error says so; no error in the protocol says that too."""
    two = build_series([m(9.5), m(10.5, at=WED + timedelta(days=7))], minimal_change={})
    assert two[0].course is not None and two[0].course.compared == 1
    assert "9.5 cm → 10.5 cm (first vs last value): +1 cm over 1 week" in summary_line(two[0])
    assert "measurement error not given in the protocol" in summary_line(two[0])
    assert build_series([m(9.5), m(13, at=WED + timedelta(days=1))])[0].course is None
    small = steady_series(minimal=3.0)
    assert "+2.5 cm over 3 weeks, within measurement error (3 cm)" in summary_line(small)


@given(
    st.lists(
        st.tuples(
            st.integers(0, 24 * 60),  # hours after WED: ten weeks, every hour of the week
            st.sampled_from(["standalone", "before", "after"]),
            st.sampled_from([UTC, timezone(timedelta(hours=-11)), timezone(timedelta(hours=13))]),
        ),
        max_size=30,
    )
)
def test_each_value_s_week_worked_out_once_is_its_week(
    taken: list[tuple[int, str, timezone]],
) -> None:
    """`build_series` works each value's Monday out once for its weeks, overall change
    and course (`remembered_weeks`): the same as asking `monday_of` every time, the same
    instant written in two zones included."""
    values = [
        m(10 + n % 4, at=(WED + timedelta(hours=hours)).astimezone(zone), phase=phase)
        for n, (hours, phase, zone) in enumerate(taken)
    ]
    week_of = remembered_weeks()
    assert weekly_values(values, week_of=week_of) == weekly_values(values)
    assert overall_change(values, week_of=week_of) == overall_change(values)
    assert course_change(values, week_of=week_of) == course_change(values)
    assert [week_of(v.at) for v in values] == [monday_of(v.at) for v in values]
