"""The shared vocabulary: sides, places, moments and waits, the soreness scale, weeks.

The rounding story: a rest period ending at 23:30:30 is shown as ending at 23:31 (at
23:30 it has not ended), and the wait shown is the wait to that minute, so 'until'
and 'in' always agree, in `today`, in the rest gate and wherever else they appear.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iastm_coach.vocabulary import (
    SORENESS_ANCHORS,
    SideChoice,
    as_recorded,
    describe_end,
    describe_moment,
    describe_wait,
    moment_text,
    monday_of,
    place_label,
    place_phrase,
    places_label,
    sides_for,
    sides_phrase,
    soreness_band,
    until,
    up_to_minute,
    week_start,
    zone_note,
)

MONDAY = datetime(2026, 3, 2, 18, 30, tzinfo=UTC)


# --- sides and places -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "sided", "expected"),
    [
        (None, True, ["left", "right"]),
        ("both", True, ["left", "right"]),
        ("left", True, ["left"]),
        ("right", True, ["right"]),
        (None, False, ["none"]),
    ],
)
def test_sides_for(choice: str | None, sided: bool, expected: list[str]) -> None:
    """Both (or no choice) is left then right; a region without sides has the side 'none'."""
    assert sides_for(choice, sided=sided) == expected


def test_side_choices_are_the_option_values() -> None:
    assert [choice.value for choice in SideChoice] == ["left", "right", "both"]
    with pytest.raises(ValueError, match="not a side"):
        sides_for("middle", sided=True)


def test_places() -> None:
    """Lists put the region first; sentences read as people say them."""
    assert place_label("calf", "left") == "calf (left)"
    assert place_label("neck", "none") == "neck"
    assert place_phrase("calf", "right") == "right calf"
    assert place_phrase("lower-back", "none") == "lower back"
    assert place_phrase("forearm-extensors", "right") == "right forearm (extensors)"
    assert sides_phrase(["left", "right"]) == "left and right"
    assert sides_phrase(["none"]) == ""
    assert places_label("calf", ["right", "left"]) == "calf (left and right)"
    assert places_label("neck", ["none"]) == "neck"


# --- moments and waits ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (MONDAY.replace(hour=9, minute=5), "today 09:05"),
        (MONDAY + timedelta(days=1), "tomorrow 18:30"),
        (MONDAY - timedelta(days=1), "yesterday 18:30"),
        (MONDAY + timedelta(days=2), "Wed 4 Mar 18:30"),
        (MONDAY - timedelta(days=365), "Sun 2 Mar 2025 18:30"),
    ],
)
def test_describe_moment(moment: datetime, expected: str) -> None:
    """Times near now read as today/tomorrow/yesterday, others with a weekday and date."""
    assert expected == describe_moment(moment, MONDAY)


# Offsets of any size and sign, seconds included (older zones had them), and naive moments.
OFFSETS = st.builds(
    timezone, st.integers(min_value=-86_399, max_value=86_399).map(lambda s: timedelta(seconds=s))
)


@given(
    moment=st.datetimes(
        min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=OFFSETS
    )
    | st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1))
)
def test_moment_text_is_strftime_with_its_zone_note(moment: datetime) -> None:
    """The usual pattern written field by field is what strftime writes (years before
    1000 go to strftime itself), and the offset label, worked out once per offset,
    is the one the formula gives."""
    shown = as_recorded(moment)
    offset = shown.utcoffset()
    assert offset is not None
    if offset == shown.astimezone().utcoffset():
        note = ""
    else:
        minutes = int(offset.total_seconds() // 60)
        hours, rest = divmod(abs(minutes), 60)
        note = f" (UTC{'+' if minutes >= 0 else '-'}{hours:02d}:{rest:02d})"
    assert zone_note(moment) == note
    assert moment_text(moment) == f"{shown:%Y-%m-%d %H:%M}{note}"
    assert moment_text(moment, "%d.%m.%Y") == f"{shown:%d.%m.%Y}{note}"


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=20), "1 min"),
        (timedelta(0), "1 min"),
        (timedelta(hours=5, minutes=10), "5 h 10 min"),
        (timedelta(hours=5, minutes=9, seconds=1), "5 h 10 min"),
        (timedelta(hours=13, minutes=20), "13 h 20 min"),
        (timedelta(hours=5), "5 h"),
        (timedelta(days=1, hours=4, minutes=3), "1 day 4 h"),
        (timedelta(days=3), "3 days"),
    ],
)
def test_describe_wait(delta: timedelta, expected: str) -> None:
    """Waits in days and hours, or hours and minutes, rounded up; never '0 min'."""
    assert expected == describe_wait(delta)


def test_a_rest_end_is_shown_rounded_up_and_the_wait_agrees() -> None:
    """Rest ends 23:30:30; at 18:25:30 that reads 'until today 23:31 (in 5 h 6 min)'."""
    now = MONDAY.replace(hour=18, minute=25, second=30)
    end = MONDAY.replace(hour=23, minute=30, second=30)
    assert describe_end(end, now) == "today 23:31"
    assert describe_wait(until(end, now)) == "5 h 6 min"
    exact = MONDAY.replace(hour=23, minute=30)
    assert describe_end(exact, now) == "today 23:30"  # a whole minute stays as it is
    assert until(now - timedelta(hours=1), now) == timedelta(0)


@given(
    now=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    wait=st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=30)),
)
def test_now_shown_plus_the_wait_shown_is_the_end_shown(now: datetime, wait: timedelta) -> None:
    """For any moment and wait: the minute shown for now plus the wait is the minute shown
    for the end, never before the real end, and less than a minute after it."""
    end = now + wait
    shown_end = up_to_minute(end)
    assert now.replace(second=0, microsecond=0) + until(end, now) == shown_end
    assert end <= shown_end < end + timedelta(minutes=1)


# --- the soreness scale -----------------------------------------------------------------------


def test_soreness_scale_wording_and_bands() -> None:
    """One wording of the 0-10 anchors, and the band of every value."""
    assert SORENESS_ANCHORS == "0 none, 1-3 mild, 4-6 moderate, 7-10 severe"
    assert [soreness_band(n) for n in range(11)] == [
        "none",
        *["mild"] * 3,
        *["moderate"] * 3,
        *["severe"] * 4,
    ]
    with pytest.raises(ValueError):
        soreness_band(11)


# --- weeks ----------------------------------------------------------------------------------


def test_week_starts_on_monday_midnight_in_nows_zone() -> None:
    """Wednesday and Monday evening both belong to the week from Monday 00:00."""
    wednesday = datetime(2026, 3, 4, 9, 15, tzinfo=UTC)
    assert datetime(2026, 3, 2, tzinfo=UTC) == week_start(wednesday)
    assert datetime(2026, 3, 2, tzinfo=UTC) == week_start(MONDAY)
    sunday_night = datetime(2026, 3, 8, 23, 59, tzinfo=timezone(timedelta(hours=2)))
    assert week_start(sunday_night).date().isoformat() == "2026-03-02"


def test_monday_of_is_the_local_monday() -> None:
    """The Monday of a moment's local week (weeks run Monday to Sunday)."""
    local = datetime(2026, 3, 4, 12, 0).astimezone()
    assert monday_of(local).isoformat() == "2026-03-02"
    assert monday_of(local + timedelta(days=4)).isoformat() == "2026-03-02"  # Sunday
    assert monday_of(local + timedelta(days=5)).isoformat() == "2026-03-09"
