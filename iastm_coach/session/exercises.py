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
from iastm_coach.session.conversation import Conversation, EndOfInput
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


SET_KEYS = ("done", "skip", "quit")  # Enter = done; s = skip this exercise; q = stop
KEYS_HINT = "Enter = done · s = skip this exercise · q = stop the exercises"


class StopExercises(Exception):
    """`q` at a set: no more exercises today (what was done is kept)."""


class CutShort(Exception):
    """Ctrl-C or the end of input in the middle of an exercise: its sets done, and why."""

    def __init__(self, partial: ExerciseDone, cause: BaseException) -> None:
        super().__init__("exercise cut short")
        self.partial = partial
        self.cause = cause


def describe(exercise: Exercise, talk: Conversation, *, number: int = 0, of: int = 0) -> None:
    """The exercise's screen: which one of how many, its dose and how to do it."""
    counter = f"Exercise {number} of {of}: " if of else ""
    talk.show(
        line((counter + exercise.name, "strong"), f" - {dose_text(exercise)}. ", exercise.cue)
    )


def guide_exercise(
    exercise: Exercise, *, clock: Clock, time_scale: float, talk: Conversation
) -> ExerciseDone:
    """One exercise, one key per set: Enter (done, or start the hold), `s` skips the rest of
    this exercise, `q` stops the exercises (StopExercises, after recording this one)."""
    done = 0
    try:
        for number in range(1, exercise.sets + 1):
            label = f"Set {number} of {exercise.sets}"
            if exercise.hold_s is not None:
                question = f"{label}: Enter to start the {exercise.hold_s} s hold"
            else:
                question = f"{label}: {exercise.reps} reps, Enter when done"
            key = talk.ask_choice(question, SET_KEYS, default="done")
            if key == "quit":
                raise StopExercises(ExerciseDone(exercise.name, done, exercise.sets))
            if key == "skip":  # the rest of this exercise only: the guide goes on
                talk.show(line(f"  Skipped the rest of {exercise.name}.", tone="quiet"))
                break
            if exercise.hold_s is not None:
                hold(exercise.hold_s, clock=clock, time_scale=time_scale, talk=talk)
            done += 1
    except (KeyboardInterrupt, EndOfInput) as cut:  # the sets done so far still count
        raise CutShort(ExerciseDone(exercise.name, done, exercise.sets), cut) from None
    return ExerciseDone(exercise.name, done, exercise.sets)


def guide_exercises(
    exercises: Sequence[Exercise],
    *,
    clock: Clock,
    time_scale: float,
    talk: Conversation,
    done: list[ExerciseDone] | None = None,
) -> list[ExerciseDone]:
    """Each exercise on its own screen with a counter, one key per set (no "Do it now?"
    first: `s` at its first set skips it). Skipped ones are recorded with 0 sets done;
    after `q` the rest are recorded with 0 too.

    Results are appended to `done` as each exercise ends, so a caller that is
    interrupted still has the exercises finished before.
    """
    results: list[ExerciseDone] = [] if done is None else done
    talk.show(line(KEYS_HINT, tone="quiet"))
    stopped = False
    for number, exercise in enumerate(exercises, start=1):
        if stopped:
            results.append(ExerciseDone(exercise.name, 0, exercise.sets))
            continue
        describe(exercise, talk, number=number, of=len(exercises))
        try:
            results.append(guide_exercise(exercise, clock=clock, time_scale=time_scale, talk=talk))
        except CutShort as cut:
            results.append(cut.partial)
            raise cut.cause from None
        except StopExercises as stop:
            (partial,) = stop.args
            results.append(partial)
            stopped = True
            rest = len(exercises) - number
            if rest:
                talk.show(
                    line(
                        "Exercises stopped: "
                        + (
                            "the one after this one is"
                            if rest == 1
                            else f"the {rest} after this one are"
                        )
                        + " recorded as not done.",
                        tone="quiet",
                    )
                )
    return results


def with_not_done(
    done: Sequence[ExerciseDone], exercises: Sequence[Exercise]
) -> list[ExerciseDone]:
    """*done*, then every exercise not reached with 0 sets: a guide cut short records the
    whole prescription, so "0 of 9 sets" never reads as "none prescribed"."""
    offered = {item.name for item in done}
    return [*done, *(ExerciseDone(e.name, 0, e.sets) for e in exercises if e.name not in offered)]


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
    from iastm_coach.errors import Interrupted, UsageError
    from iastm_coach.journal import records

    protocol = loaded.protocol
    if not protocol.exercise:
        raise UsageError(
            f"the {protocol.region} protocol prescribes no exercises",
            hint="Ask your physio which exercises to do; they can add them to your protocol.",
        )
    done: list[ExerciseDone] = []
    started = clock.now()
    interrupted = False
    try:
        guide_exercises(protocol.exercise, clock=clock, time_scale=time_scale, talk=talk, done=done)
    except KeyboardInterrupt:
        interrupted = True  # recorded below, then said
    finally:
        saved = journal.append(
            records.EXERCISE,
            {
                "session": "",
                "group": f"x{started:%Y%m%d%H%M%S}",
                "region": protocol.region,
                "exercises": [item.fields() for item in with_not_done(done, protocol.exercise)],
                "source": "log",
            },
            at=clock.now(),
        )
    if interrupted:
        items = with_not_done(done, protocol.exercise)
        raise Interrupted(
            f"the exercises ended early (Ctrl-C); {sum(i.sets_done for i in items)} of "
            f"{sum(i.sets_planned for i in items)} sets are recorded in your journal as done, "
            "the rest as not done"
        )
    return saved
