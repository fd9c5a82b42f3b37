"""The rest period arithmetic, at its edges and across time zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from iastm_coach.safety.gates import rest_remaining

ENDED = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("hours_later", "expected"),
    [
        (0, timedelta(hours=48)),
        (47.5, timedelta(minutes=30)),
        (48, timedelta(0)),
        (72, timedelta(0)),
    ],
)
def test_rest_remaining(hours_later: float, expected: timedelta) -> None:
    """48 h of rest: what is left, never negative."""
    assert rest_remaining(ENDED, 48, ENDED + timedelta(hours=hours_later)) == expected


def test_rest_remaining_across_time_zones() -> None:
    """A session ended in one zone and a check in another compare as instants."""
    tokyo = ENDED.astimezone(timezone(timedelta(hours=9))) + timedelta(hours=24)
    assert rest_remaining(ENDED, 48, tokyo) == timedelta(hours=24)


def test_no_previous_session_needs_no_rest() -> None:
    assert rest_remaining(None, 48, ENDED) == timedelta(0)
