"""Rest periods that suit a same-time-of-day routine, never below the 24 h floor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from iastm_coach.safety.rest import REST_FLOOR, ROUTINE_TOLERANCE, rest_ready_at

ENDED = datetime(2026, 3, 2, 18, 4, tzinfo=UTC)  # an 18:00 session, 4 minutes of strokes


def test_every_other_day_at_the_same_time_is_not_refused() -> None:
    """48 h of rest: the next 18:00 session, 4 minutes "early", is within the tolerance."""
    assert rest_ready_at(ENDED, 48) <= datetime(2026, 3, 4, 18, 0, tzinfo=UTC)


def test_more_than_two_hours_early_is_still_inside_the_rest() -> None:
    assert rest_ready_at(ENDED, 48) == ENDED + timedelta(hours=48) - ROUTINE_TOLERANCE
    assert rest_ready_at(ENDED, 48) > datetime(2026, 3, 4, 15, 59, tzinfo=UTC)


@pytest.mark.parametrize("rest_hours", [24, 25, 26, 48, 72, 336])
def test_never_below_the_floor(rest_hours: int) -> None:
    """However the rest is set, the tolerance never makes it shorter than 24 h."""
    ready = rest_ready_at(ENDED, rest_hours)
    assert ready - ENDED >= REST_FLOOR
    assert ready - ENDED >= timedelta(hours=rest_hours) - ROUTINE_TOLERANCE


def test_a_24_hour_rest_has_no_tolerance() -> None:
    """The floor wins: a daily protocol waits its full 24 h."""
    assert rest_ready_at(ENDED, 24) == ENDED + timedelta(hours=24)
