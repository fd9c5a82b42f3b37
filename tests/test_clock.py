"""The real clock, and IASTM_COACH_NOW / IASTM_COACH_TIME_SCALE for demos and tests."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from iastm_coach.clock import SystemClock, _pretend_start, time_scale
from iastm_coach.errors import UsageError


@pytest.mark.real_clock
def test_system_clock_is_time_zone_aware() -> None:
    """now() always carries an offset; monotonic() never goes back."""
    clock = SystemClock()
    assert clock.now().tzinfo is not None
    assert clock.monotonic() <= clock.monotonic()


@pytest.mark.real_clock
def test_pretend_now_starts_the_clock_there(monkeypatch: pytest.MonkeyPatch) -> None:
    """IASTM_COACH_NOW moves the clock's start; time then runs as usual."""
    monkeypatch.setenv("IASTM_COACH_NOW", "2026-03-02T18:30:00+01:00")
    _pretend_start.cache_clear()
    now = SystemClock().now()
    start = datetime.fromisoformat("2026-03-02T18:30:00+01:00")
    assert start <= now < start + timedelta(seconds=5)


@pytest.mark.parametrize("raw", ["yesterday", "2026-03-02T18:30:00"])
@pytest.mark.real_clock
def test_pretend_now_needs_an_aware_iso_time(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    """A bad value is a usage error naming the variable."""
    monkeypatch.setenv("IASTM_COACH_NOW", raw)
    _pretend_start.cache_clear()
    with pytest.raises(UsageError, match="IASTM_COACH_NOW"):
        SystemClock().now()


@pytest.mark.parametrize(("raw", "expected"), [("", 1.0), ("0.01", 0.01), ("2", 2.0)])
def test_time_scale(monkeypatch: pytest.MonkeyPatch, raw: str, expected: float) -> None:
    """IASTM_COACH_TIME_SCALE is a positive factor, 1 by default."""
    monkeypatch.setenv("IASTM_COACH_TIME_SCALE", raw)
    assert time_scale() == expected


@pytest.mark.parametrize("raw", ["0", "-1", "fast", "1000"])
def test_time_scale_out_of_range(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("IASTM_COACH_TIME_SCALE", raw)
    with pytest.raises(UsageError):
        time_scale()
