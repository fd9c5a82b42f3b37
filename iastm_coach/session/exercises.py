"""Guided exercises after the strokes: sets with a counter, holds with a timer.

Holds use the same clock and time scale as the stroke timer, with absolute
deadlines, so tests run them instantly with a fake clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from iastm_coach.clock import Clock
from iastm_coach.protocols.model import Exercise
from iastm_coach.session.conversation import Conversation
from iastm_coach.session.shown import line

if TYPE_CHECKING:
    from iastm_coach.journal.store import Journal, Record
    from iastm_coach.protocols.files import LoadedProtocol

ANNOUNCE_EVERY_S = 10  # a hold announces the time left this often (protocol seconds)


@dataclass(frozen=True)
class ExerciseDone:
    name: str
    sets_done: int
    sets_planned: int

    def fields(self) -> dict[str, Any]:
        return {"name": self.name, "sets_done": self.sets_done, "sets_planned": self.sets_planned}


def dose_text(exercise: Exercise) -> str:
    if exercise.reps is not None:
        return f"{exercise.sets} x {exercise.reps} reps"
    return f"{exercise.sets} x {exercise.hold_s} s hold"


def hold(seconds: int, *, clock: Clock, time_scale: float, talk: Conversation) -> None:
    """Count a hold down against one absolute deadline, announcing the time left."""
    start = clock.monotonic()
    for remaining in range(seconds, 0, -1):
        if remaining % ANNOUNCE_EVERY_S == 0 and remaining != seconds:
            talk.show(line(f"  {remaining} s left", tone="quiet"))
        deadline = start + (seconds - remaining + 1) * time_scale
        clock.sleep(deadline - clock.monotonic())
    talk.show(line("  Release.", tone="good"))


def describe(exercise: Exercise, talk: Conversation) -> None:
    talk.show(line((exercise.name, "strong"), f" - {dose_text(exercise)}. ", exercise.cue))


def guide_exercise(
    exercise: Exercise, *, clock: Clock, time_scale: float, talk: Conversation
) -> ExerciseDone:
    """One exercise, set by set; answering "no" at a set ends this exercise."""
    done = 0
    for number in range(1, exercise.sets + 1):
        label = f"Set {number} of {exercise.sets}"
        if exercise.hold_s is not None:
            if not talk.confirm(f"{label}: ready to hold for {exercise.hold_s} s?", default=True):
                break
            hold(exercise.hold_s, clock=clock, time_scale=time_scale, talk=talk)
        elif not talk.confirm(f"{label}: {exercise.reps} reps. Done?", default=True):
            break
        done += 1
    return ExerciseDone(exercise.name, done, exercise.sets)


def guide_exercises(
    exercises: Sequence[Exercise],
    *,
    clock: Clock,
    time_scale: float,
    talk: Conversation,
    done: list[ExerciseDone] | None = None,
) -> list[ExerciseDone]:
    """Offer each exercise in turn; skipped ones are recorded with 0 sets done.

    Results are appended to `done` as each exercise ends, so a caller that is
    interrupted still has the exercises finished before.
    """
    results: list[ExerciseDone] = [] if done is None else done
    for exercise in exercises:
        describe(exercise, talk)
        if talk.confirm(f"Do '{exercise.name}' now?", default=True):
            results.append(guide_exercise(exercise, clock=clock, time_scale=time_scale, talk=talk))
        else:
            results.append(ExerciseDone(exercise.name, 0, exercise.sets))
    return results


def exercise_day(
    loaded: LoadedProtocol,
    *,
    journal: Journal,
    clock: Clock,
    time_scale: float,
    talk: Conversation,
) -> Record:
    """The region's exercises on a day without scraping, guided as after a session and
    recorded as an `exercise` record with `source = "log"` (no session). Whatever was
    done is recorded, even when the answers stop or the person presses Ctrl-C."""
    from iastm_coach.errors import UsageError
    from iastm_coach.journal import records

    protocol = loaded.protocol
    if not protocol.exercise:
        raise UsageError(
            f"the {protocol.region} protocol prescribes no exercises",
            hint="Ask your physio which exercises to do; they can add them to your protocol.",
        )
    done: list[ExerciseDone] = []
    started = clock.now()
    try:
        guide_exercises(protocol.exercise, clock=clock, time_scale=time_scale, talk=talk, done=done)
    finally:
        offered = {item.name for item in done}
        missed = [
            ExerciseDone(e.name, 0, e.sets) for e in protocol.exercise if e.name not in offered
        ]
        saved = journal.append(
            records.EXERCISE,
            {
                "session": "",
                "group": f"x{started:%Y%m%d%H%M%S}",
                "region": protocol.region,
                "exercises": [item.fields() for item in [*done, *missed]],
                "source": "log",
            },
            at=clock.now(),
        )
    return saved
