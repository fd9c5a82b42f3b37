"""What a guided session needs from outside, and what it returns.

Kept apart so the session's parts (gates, screening, aftercare) share one
definition without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from iastm_coach.clock import Clock
from iastm_coach.journal.store import Journal, Record
from iastm_coach.safety.redflags import RedFlag
from iastm_coach.session.conversation import Conversation
from iastm_coach.session.timer import RunResult, Step

RunTimer = Callable[[list[Step]], RunResult]
AskCheckin = Callable[[Record, int], None]  # ask one follow-up (session, hours) and record it


@dataclass
class SessionDeps:
    clock: Clock
    journal: Journal
    talk: Conversation
    run_timer: RunTimer
    time_scale: float = 1.0  # for exercise holds, like the stroke timer
    # Asks an open follow-up before the session (the check-in's own questions); None:
    # the session refuses and says `iastm-coach checkin` instead.
    ask_checkin: AskCheckin | None = None


@dataclass(frozen=True)
class SessionOutcome:
    sessions: list[Record]
    result: RunResult
    flags: list[RedFlag]


@dataclass(frozen=True)
class SessionRequest:
    region: str | None
    protocol_file: Path | None = None
    side: str | None = None  # "left" | "right" | "both"; asked when None
    override_rest: bool = False
    clinician_said_sooner: bool = False  # answers the override's question without asking
    course_reviewed: bool = False  # answers the end-of-course question without asking
