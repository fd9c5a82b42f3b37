"""What commands get from outside: the clock. Tests pass their own through
`CliRunner.invoke(app, [...], obj=AppContext(clock=FakeClock()))`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from iastm_coach.clock import Clock, SystemClock


@dataclass(frozen=True)
class AppContext:
    clock: Clock = field(default_factory=SystemClock)


def app_context(obj: Any) -> AppContext:
    """The injected context, or the real one."""
    return obj if isinstance(obj, AppContext) else AppContext()
