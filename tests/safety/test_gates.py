"""The rest period arithmetic, at its edges and across time zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from iastm_coach.safety.gates import describe_duration, ready_moment, rest_remaining

ENDED = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("hours_later", "expected"),
    [
        (0, timedelta(hours=46)),
        (45.5, timedelta(minutes=30)),
        (46, timedelta(0)),
        (47.9, timedelta(0)),
        (72, timedelta(0)),
    ],
)
def test_rest_remaining(hours_later: float, expected: timedelta) -> None:
    """48 h of rest with the 2 h routine tolerance: what is left, never negative."""
    assert rest_remaining(ENDED, 48, ENDED + timedelta(hours=hours_later)) == expected


def test_rest_remaining_across_time_zones() -> None:
    """A session ended in one zone and a check in another compare as instants."""
    tokyo = ENDED.astimezone(timezone(timedelta(hours=9))) + timedelta(hours=24)
    assert rest_remaining(ENDED, 48, tokyo) == timedelta(hours=22)


def test_no_previous_session_needs_no_rest() -> None:
    assert rest_remaining(None, 48, ENDED) == timedelta(0)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(hours=13, minutes=20), "13 h 20 min"),
        (timedelta(hours=2), "2 h"),
        (timedelta(minutes=5), "5 min"),
        (timedelta(seconds=20), "1 min"),
    ],
)
def test_describe_duration(delta: timedelta, text: str) -> None:
    """Durations read as people say them; under a minute rounds up to 1 min."""
    assert describe_duration(delta) == text


def test_refusal_names_one_rounding() -> None:
    """ "N min to go" and the clock time it names agree: at 18:00:40 with the rest over at
    18:04:10, it is 5 min to go, from 18:05 (not "3 min" and "18:04")."""
    now = datetime(2026, 3, 4, 18, 0, 40, tzinfo=UTC)
    ready, wait = ready_moment(now, timedelta(minutes=3, seconds=30))
    assert ready == datetime(2026, 3, 4, 18, 5, tzinfo=UTC)
    assert describe_duration(wait) == "5 min"
