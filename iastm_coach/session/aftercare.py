"""After the strokes: how it feels, red flags and holds, measurements, exercises,
and what to do next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from iastm_coach.clock import Clock
from iastm_coach.history.measure import record_measure, value_bounds
from iastm_coach.journal import records
from iastm_coach.journal.store import Record
from iastm_coach.protocols.files import LoadedProtocol
from iastm_coach.protocols.model import TreatmentProtocol
from iastm_coach.safety.holds import prepare_hold
from iastm_coach.safety.redflags import (
    CHOSEN_REASONS,
    STOP_REASONS,
    RedFlag,
    aftercare_flags,
)
from iastm_coach.safety.rest import earliest_start, rest_ready_at, week_reopens
from iastm_coach.session.conversation import Conversation, EndOfInput
from iastm_coach.session.deps import SessionDeps, SessionOutcome
from iastm_coach.session.exercises import (
    ExerciseDone,
    dose_text,
    guide_exercises,
    with_not_done,
)
from iastm_coach.session.grouped import ask_grouped, numbered
from iastm_coach.session.shown import Line, line
from iastm_coach.vocabulary import (
    SORENESS_ANCHORS,
    Side,
    describe_end,
    describe_wait,
    is_body_side,
)

STOPPED_EARLY_ADVICE = (
    "If you stopped because of sharp, spreading or increasing pain, numbness, tingling, "
    "dizziness or swelling: do not carry on today, and contact your clinician if it does "
    "not settle. Tomorrow, record how it feels with `iastm-coach checkin`."
)
CHECKIN_REMINDER = (
    "Check in tomorrow and the day after (24 h and 48 h): run `iastm-coach checkin`. "
    "Mild soreness for a day or two is normal; if it gets worse, or you notice "
    "bruising, numbness, weakness or swelling, stop and contact your clinician."
)
STOPPED_REMINDER = (
    "Check in tomorrow and the day after (24 h and 48 h): run `iastm-coach checkin`. If "
    "it gets sore, or you notice bruising, numbness, weakness or swelling, do not treat "
    "it again and contact your clinician."
)


SHORT_TERM_CAVEAT = (
    "Right after a session, changes are common and say little about the long term: "
    "compare over weeks, measured the same way at the same time of day."
)


# The warning signs asked right after a session (clinical reference §3): Answers field,
# and the words in the grouped question.
SIGNS: tuple[tuple[str, str], ...] = (
    ("bruising", "Bruising (more than redness or small red dots)"),
    ("numbness", "Numbness or tingling in or below it"),
    ("weakness", "Weakness in or below it"),
    ("swelling", "Swelling"),
    ("skin_broken", "Broken or grazed skin"),
    ("dizziness", "Dizziness, light-headedness or feeling faint"),
)
# Asked on its own first for these: pressure near the neck can cause fainting (§4, §8d).
DIZZINESS_ON_ITS_OWN = frozenset({"neck", "upper-back"})


@dataclass
class Answers:
    """Aftercare answers for one side, filled in as they are given, so an answer given
    before Ctrl-C or the end of input still counts (a red flag is never lost)."""

    soreness: int = -1  # -1: not answered
    bruising: bool | None = None
    numbness: bool | None = None
    weakness: bool | None = None
    swelling: bool | None = None
    skin_broken: bool | None = None
    dizziness: bool | None = None
    stop_reason: str = ""  # why the session was stopped early (redflags.STOP_REASONS)

    @property
    def complete(self) -> bool:
        return self.soreness >= 0 and all(getattr(self, name) is not None for name, _ in SIGNS)

    def flags(self) -> list[RedFlag]:
        return aftercare_flags(
            soreness=self.soreness,
            bruising=bool(self.bruising),
            numbness=bool(self.numbness),
            weakness=bool(self.weakness),
            swelling=bool(self.swelling),
            skin_broken=bool(self.skin_broken),
            dizziness=bool(self.dizziness),
            stop_reason=self.stop_reason,
        )

    def fields(self) -> dict[str, bool]:
        """The signs for the session record (an unanswered one as false, with
        `aftercare_answered` false to say so)."""
        return {name: bool(getattr(self, name)) for name, _ in SIGNS}


# The signs as a list names them ("numbness not asked").
SIGN_WORDS: dict[str, str] = {
    "bruising": "bruising",
    "numbness": "numbness",
    "weakness": "weakness",
    "swelling": "swelling",
    "skin_broken": "broken skin",
    "dizziness": "dizziness",
}


def answers_kept(
    places: dict[Side, str],
    aftercare: dict[Side, Answers],
    *,
    strokes: str = "the strokes",
    later: Sequence[str] = (),
) -> str:
    """What an aftercare cut short (Ctrl-C, Ctrl-D) saved and did not ask, side by side:
    'Saved in your journal: the strokes; left calf soreness 2/10. Not asked (recorded as
    unanswered): the left calf's warning signs; the right calf's soreness and warning
    signs; the note.' *later* names what came after the aftercare (the note, exercises)."""
    saved = [strokes]
    missing: list[str] = []
    for side, answers in aftercare.items():
        place = places[side]
        if answers.soreness >= 0:
            saved.append(f"{place} soreness {answers.soreness}/10")
        given = [SIGN_WORDS[name] for name, _ in SIGNS if getattr(answers, name)]
        if given:
            saved.append(f"{place}: {', '.join(given)}")
        unasked = [SIGN_WORDS[name] for name, _ in SIGNS if getattr(answers, name) is None]
        signs = "warning signs" if len(unasked) == len(SIGNS) else ", ".join(unasked)
        if answers.soreness < 0:
            missing.append(f"the {place}'s soreness" + (f" and {signs}" if unasked else ""))
        elif unasked:
            missing.append(f"the {place}'s {signs}")
    missing += later
    text = f"Saved in your journal: {'; '.join(saved)}."
    if missing:
        text += f" Not asked (recorded as unanswered): {'; '.join(missing)}."
    return text


def aftercare_questions(
    talk: Conversation, place: str, answers: Answers, *, region: str = ""
) -> None:
    """Soreness now, then the warning signs in one grouped question (each needs a y or
    an n: no default). Dizziness is asked on its own first for the neck and upper back."""
    answers.soreness = talk.ask_int(
        f"Soreness now in the {place}, 0-10 ({SORENESS_ANCHORS})?", low=0, high=10
    )
    signs = list(SIGNS)
    if region in DIZZINESS_ON_ITS_OWN:
        answers.dizziness = talk.confirm(
            "Any dizziness, light-headedness or feeling faint since you started?"
        )
        signs = [sign for sign in signs if sign[0] != "dizziness"]

    def picked(index: int) -> bool:
        setattr(answers, signs[index][0], True)
        return True

    chosen = ask_grouped(
        talk,
        f"Any of these on the {place} now?",
        [label for _, label in signs],
        on_pick=picked,
        default=None,
    )
    for index, (name, _) in enumerate(signs):
        if index not in chosen:
            setattr(answers, name, False)


def ask_why_stopped(talk: Conversation) -> str:
    """Why the session was stopped early, by number (a `STOP_REASONS` id)."""
    labels = [STOP_REASONS[reason].label for reason in CHOSEN_REASONS]
    number = talk.ask_int(numbered("Why did you stop?", labels), low=1, high=len(labels))
    return CHOSEN_REASONS[number - 1]


Measured = dict[Side, tuple[float, datetime]]


def measure_outcome(
    protocol: TreatmentProtocol,
    sides: Sequence[Side],
    talk: Conversation,
    *,
    phase: str,
    clock: Clock,
) -> Measured:
    """Offer (never force) the protocol's outcome test, once per side."""
    outcome = protocol.outcome
    if outcome is None:
        return {}
    if phase == "before":
        question = f"Measure your {outcome.name} before you start (optional)?"
        if not talk.confirm(question, default=False):
            return {}
        talk.show(line(("How: ", "strong"), outcome.how))
    low, high = value_bounds(outcome.unit)
    values: Measured = {}
    for side in sides:
        where = f" ({side})" if is_body_side(side) else ""
        value = talk.ask_float(
            f"{outcome.name}{where} {phase} the strokes, in {outcome.unit}?", low=low, high=high
        )
        if value is not None:
            values[side] = (value, clock.now())
    return values


def follow_up(
    loaded: LoadedProtocol,
    outcome: SessionOutcome,
    deps: SessionDeps,
    *,
    before: Measured,
    group: str,
) -> list[ExerciseDone] | None:
    """After a session without red flags: the 'after' measurement and guided exercises.

    Each is written to the journal as soon as it is known, pointing at the session.
    Returns the exercises guided now (None when they were not), so the closing screen
    does not list them again. Ctrl-C here is Interrupted (exit 130) saying what is kept:
    the session, the measurements given, and the sets done (the rest as not done).
    """
    from iastm_coach.errors import Interrupted

    exercises: list[ExerciseDone] | None = None
    try:
        measure_after(loaded, outcome, deps, before=before)
        exercises = guided_exercises(loaded, outcome, deps, group=group)
    except KeyboardInterrupt:
        kept = "the session is kept in your journal as done"
        if before:
            kept += ", with the measurements given"
        raise Interrupted(f"stopped after the strokes (Ctrl-C); {kept}") from None
    except ExercisesInterrupted as stopped:
        sets = sum(item.sets_done for item in stopped.done)
        planned = sum(item.sets_planned for item in stopped.done)
        raise Interrupted(
            "the exercises ended early (Ctrl-C); the session is kept in your journal as done, "
            f"with {sets} of {planned} exercise sets done (the rest recorded as not done)"
        ) from None
    return exercises


class ExercisesInterrupted(Exception):
    """Ctrl-C in the exercise guide, after recording what was done (`done`, complete with
    the exercises not done)."""

    def __init__(self, done: list[ExerciseDone]) -> None:
        super().__init__("exercises interrupted")
        self.done = done


def measure_after(
    loaded: LoadedProtocol, outcome: SessionOutcome, deps: SessionDeps, *, before: Measured
) -> None:
    """The 'before' measurement recorded, then the 'after' one asked and recorded."""
    p = loaded.protocol
    if not before or p.outcome is None:
        return
    by_side = {record.data["side"]: record for record in outcome.sessions}
    talk = deps.talk
    outcome_test = p.outcome

    def keep(values: Measured, phase: str) -> None:
        for side, (value, at) in values.items():
            record_measure(
                deps.journal,
                region=p.region,
                side=side,
                test=outcome_test.name,
                unit=outcome_test.unit,
                value=value,
                phase=phase,
                session_id=by_side[side].id if side in by_side else "",
                at=at,
            )

    keep(before, "before")  # first: a measurement taken is never lost
    try:
        after = measure_outcome(p, list(before), talk, phase="after", clock=deps.clock)
    except EndOfInput:
        after = {}
    keep(after, "after")
    changes = [
        f"{'' if side == 'none' else side + ' '}{value - before[side][0]:+g} {outcome_test.unit}"
        for side, (value, _) in after.items()
        if side in before
    ]
    if changes:
        talk.show(
            line("Change: " + ", ".join(changes) + "."), line(SHORT_TERM_CAVEAT, tone="quiet")
        )


def guided_exercises(
    loaded: LoadedProtocol, outcome: SessionOutcome, deps: SessionDeps, *, group: str
) -> list[ExerciseDone] | None:
    """Offer the exercises with a guide; record them (declined, done, or cut short: the
    ones not reached with 0 sets) in one exercise record."""
    p = loaded.protocol
    talk = deps.talk
    try:
        wanted = bool(p.exercise) and talk.confirm(
            "Do the exercises now, with a guide?", default=True
        )
    except EndOfInput:
        return None  # a pipe that ends here simply skips the optional part

    def record(items: Sequence[ExerciseDone], **extra: bool) -> None:
        deps.journal.append(
            records.EXERCISE,
            {
                "session": outcome.sessions[0].id,
                "group": group,
                "region": p.region,
                "exercises": [item.fields() for item in items],
                **extra,
            },
            at=deps.clock.now(),
        )

    if not wanted:
        if p.exercise:
            # Declined: recorded as not done, so adherence counts this sitting honestly.
            record(with_not_done([], p.exercise), declined=True)
        return None
    done: list[ExerciseDone] = []
    try:
        guide_exercises(
            p.exercise, clock=deps.clock, time_scale=deps.time_scale, talk=talk, done=done
        )
    except EndOfInput:
        pass  # what was done so far is recorded below, the rest as not done
    except KeyboardInterrupt:
        record(with_not_done(done, p.exercise))
        raise ExercisesInterrupted(with_not_done(done, p.exercise)) from None
    done = with_not_done(done, p.exercise)
    record(done)
    return done


def holds_for_aftercare(
    deps: SessionDeps, region: str, saved: Sequence[Record], aftercare: dict[Side, Answers]
) -> tuple[list[RedFlag], list[Record]]:
    """The red flags in the answers given (complete or not) and the hold records they
    place, prepared to be written in one write with the session records (holds first)."""
    flags: list[RedFlag] = []
    holds: list[Record] = []
    for record in saved:
        side = str(record.data["side"])
        answers = aftercare.get(record.data["side"])
        for flag in answers.flags() if answers else []:
            # One hold per flag and side: the side decides which other regions it stops.
            holds.append(
                prepare_hold(
                    deps.journal,
                    region=region,
                    flag=flag,
                    source_id=record.id,
                    at=record.at,  # the session's moment: the same month file, one write
                    side=side,
                )
            )
            if all(flag.rule != seen.rule for seen in flags):
                flags.append(flag)
    return flags, holds


def aftercare_screen(
    loaded: LoadedProtocol,
    outcome: SessionOutcome,
    now: datetime,
    guided: Sequence[ExerciseDone] | None = None,
    *,
    sittings_this_week: int = 1,
) -> list[Line]:
    """What to do now, when to come back, and what to watch for.

    After a red flag the hold advice (shown just before) replaces all of this but
    the summary: no exercise list, no next date, no "mild soreness is normal".
    """
    p = loaded.protocol
    done = outcome.result.actual_s
    parts = [line(f"Session done: {done // 60} min {done % 60:02d} s of strokes.")]
    if outcome.flags:
        return parts
    if guided:  # just done with the guide: a count, not the list again
        sets = sum(item.sets_done for item in guided)
        planned = sum(item.sets_planned for item in guided)
        parts.append(line(f"Exercises: {sets} of {planned} sets done."))
    elif p.exercise:
        parts.append(line("This region's exercises, to keep doing as your physio advises:"))
        parts += [
            line(f"- {exercise.name}: {dose_text(exercise)}. {exercise.cue}")
            for exercise in p.exercise
        ]
        parts.append(line())  # the blank line that used to end the list
    parts.append(line(next_session_text(p, outcome, now, sittings_this_week=sittings_this_week)))
    parts.append(line(CHECKIN_REMINDER))
    return parts


def next_start(
    protocol: TreatmentProtocol, outcome: SessionOutcome, now: datetime, *, sittings_this_week: int
) -> datetime | None:
    """The earliest the region may be treated again after this session: the one rule of
    `rest.earliest_start`, as `today` and the session gate apply it."""
    ends = [r.data["ended"] for r in outcome.sessions if isinstance(r.data.get("ended"), datetime)]
    ended = max(ends, default=now)
    per_week = protocol.prescription.sessions_per_week if protocol.prescription else None
    return earliest_start(
        rest_ready_at(ended, protocol.settings.rest_hours),
        sittings_this_week=sittings_this_week,
        per_week=per_week,
        now=now,
    )


def next_session_text(
    protocol: TreatmentProtocol, outcome: SessionOutcome, now: datetime, *, sittings_this_week: int
) -> str:
    """'Next calf session: not before tomorrow 16:03 (48 h rest; a routine may start up to
    2 h early).' or '... not before Mon 7 Dec 00:00 (2 of 2 prescribed sessions this week).'
    In `describe_end`'s words, as `today` says it."""
    region = protocol.region
    moment = next_start(protocol, outcome, now, sittings_this_week=sittings_this_week)
    if moment is None:
        return f"Next {region} session: any time (no rest period is waiting)."
    per_week = protocol.prescription.sessions_per_week if protocol.prescription else None
    if week_reopens(now, sittings_this_week=sittings_this_week, per_week=per_week) == moment:
        why = f"{sittings_this_week} of {per_week} prescribed sessions this week"
    else:
        why = f"{protocol.settings.rest_hours} h rest{tolerance_note(protocol.settings.rest_hours)}"
    return f"Next {region} session: not before {describe_end(moment, now)} ({why})."


def tolerance_note(rest_hours: int) -> str:
    """'; a routine may start up to 2 h early' where the tolerance shortens this rest."""
    start = datetime(2000, 1, 3, tzinfo=UTC)
    early = start + timedelta(hours=rest_hours) - rest_ready_at(start, rest_hours)
    return (
        f"; a routine may start up to {describe_wait(early)} early" if early > timedelta(0) else ""
    )


def stopped_counts_text(
    protocol: TreatmentProtocol, outcome: SessionOutcome, now: datetime, *, sittings_this_week: int
) -> str:
    """What a session stopped early counts as, said when it stops (a 30 s quit starts the
    rest and uses one of the week's sittings, as the gate will count it): 'This counts as
    today's calf session: next one not before Thu 3 Dec 16:03; it counts toward this week's
    2 (1 of 2 done).'"""
    region = protocol.region
    moment = next_start(protocol, outcome, now, sittings_this_week=sittings_this_week)
    when = f"not before {describe_end(moment, now)}" if moment else "any time"
    text = f"This counts as today's {region} session: next one {when}"
    per_week = protocol.prescription.sessions_per_week if protocol.prescription else None
    if per_week is not None:
        text += (
            f"; it counts toward this week's {per_week} ({sittings_this_week} of {per_week} done)"
        )
    return text + "."
