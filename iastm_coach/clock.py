"""Time, injected: the real clock for people, a fake one for tests."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta
from functools import cache
from typing import Protocol

TIME_SCALE_ENV = "IASTM_COACH_TIME_SCALE"
NOW_ENV = "IASTM_COACH_NOW"


class Clock(Protocol):
    def now(self) -> datetime:
        """Time zone-aware local wall-clock time."""
        ...

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        start = _pretend_start()
        if start is None:
            return datetime.now().astimezone()
        pretend_at, real_at = start
        return pretend_at + timedelta(seconds=time.monotonic() - real_at)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


def time_scale() -> float:
    """`IASTM_COACH_TIME_SCALE`: a factor for every timed wait (default 1)."""
    from iastm_coach.errors import UsageError

    raw = os.environ.get(TIME_SCALE_ENV, "").strip()
    if not raw:
        return 1.0
    try:
        scale = float(raw)
    except ValueError:
        scale = -1.0
    if not 0.0001 <= scale <= 100:
        raise UsageError(f"{TIME_SCALE_ENV} must be a number between 0.0001 and 100 (got '{raw}')")
    return scale


def clock_is_set() -> bool:
    """True when `IASTM_COACH_NOW` sets the clock: records say so (`clock_set`), and the
    physio's report lists them as deviations (their times are not real)."""
    return _pretend_start() is not None


def clock_flag() -> dict[str, bool]:
    """What a session record adds about the clock: {"clock_set": True} under
    `IASTM_COACH_NOW`, nothing otherwise."""
    return {"clock_set": True} if clock_is_set() else {}


@cache
def _pretend_start() -> tuple[datetime, float] | None:
    """`IASTM_COACH_NOW`: pretend the program started at this moment (demos, tests).

    The clock still runs from there, so durations stay real.
    """
    from iastm_coach.errors import UsageError

    raw = os.environ.get(NOW_ENV, "").strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise UsageError(
            f"{NOW_ENV} must be a date and time with a UTC offset, "
            f"like 2026-03-02T18:30:00+01:00 (got '{raw}')"
        )
    return moment, time.monotonic()
