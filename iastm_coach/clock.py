"""Time, injected: the real clock for people, a fake one for tests."""

from __future__ import annotations

import os
import time
from datetime import datetime
from typing import Protocol

TIME_SCALE_ENV = "IASTM_COACH_TIME_SCALE"


class Clock(Protocol):
    def now(self) -> datetime:
        """Time zone-aware local wall-clock time."""
        ...

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now().astimezone()

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
