"""The guided session: safety gates, screening, preparation, timed strokes, aftercare.

`run_session` is the whole flow with its dependencies injected (clock, journal,
conversation, timer), so it runs in tests with scripted answers and a fake
clock. The CLI (`commands/session_cmd.py`) only builds those dependencies.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from iastm_coach import records
from iastm_coach.checklist import (
    ScreeningResult,
    evaluate_answer,
    evaluate_caution_clearance,
    evaluate_first_use,
    load_checklist,
    questions_for_today,
    screening_history,
    screening_record,
)
from iastm_coach.clock import Clock
from iastm_coach.conversation import Conversation, EndOfInput
from iastm_coach.dose import Dose, next_dose
from iastm_coach.errors import Interrupted, SafetyStop, UsageError
from iastm_coach.exercises import ExerciseDone, guide_exercises
from iastm_coach.history import last_session
from iastm_coach.holds import active_holds, place_hold
from iastm_coach.journal import Journal, Record
from iastm_coach.library import load_for_region, region_index
from iastm_coach.measure import record_measure, value_bounds
from iastm_coach.protocol_io import LoadedProtocol, load_protocol_file
from iastm_coach.protocol_model import TreatmentProtocol
from iastm_coach.redflags import RedFlag, advice_for, aftercare_flags
from iastm_coach.timer import RunResult, Side, Step, build_plan
from iastm_coach.ui import literal

RunTimer = Callable[[list[Step]], RunResult]

NORMAL_RESPONSE = (
    "Normal: redness and warmth, pinpoint red spots that fade over a few days, and mild "
    "soreness for a day or two."
)
WARNING_SIGNS = (
    "Not normal - stop and contact your clinician: sharp, radiating or increasing pain; "
    "numbness, tingling or weakness; dizziness; swelling; bruising; soreness that lasts "
    "more than a couple of days or gets worse."
)
SORENESS_ANCHORS = "0 = none, 1-3 mild, 4-6 moderate, 7-10 severe"
CHECKIN_REMINDER = (
    "Check in tomorrow and the day after (24 h and 48 h): run `iastm-coach checkin`. "
    "Mild soreness for a day or two is normal; if it gets worse, or you notice "
    "bruising, numbness or swelling, stop and contact your clinician."
)
SHORT_TERM_CAVEAT = (
    "(right after a session, changes are common and say little about the long term; "
    "compare over weeks, measured the same way at the same time of day)"
)


@dataclass(frozen=True)
class SessionRequest:
    region: str | None
    protocol_file: Path | None = None
    side: str | None = None  # "left" | "right" | "both"; asked when None
    override_rest: bool = False


@dataclass
class SessionDeps:
    clock: Clock
    journal: Journal
    talk: Conversation
    run_timer: RunTimer
    time_scale: float = 1.0  # for exercise holds, like the stroke timer


@dataclass(frozen=True)
class SessionOutcome:
    sessions: list[Record]
    result: RunResult
    flags: list[RedFlag]

    @property
    def interrupted(self) -> bool:
        return self.result.ended_by != "finished"


def choose_protocol(request: SessionRequest) -> LoadedProtocol:
    """`--protocol FILE` (validated first), else the installed or built-in one."""
    if request.protocol_file is not None:
        loaded = load_protocol_file(request.protocol_file, source="file")
        if request.region is not None:
            wanted = region_index().resolve(request.region)
            if wanted != loaded.protocol.region:
                raise UsageError(
                    f"{request.protocol_file} is a protocol for '{loaded.protocol.region}', "
                    f"not '{wanted}'"
                )
        return loaded
    if request.region is None:
        raise UsageError("name a region (e.g. `iastm-coach session calf`) or give --protocol FILE")
    return load_for_region(request.region)


def rest_remaining(last_ended: datetime | None, rest_hours: int, now: datetime) -> timedelta:
    """How long until the region has rested `rest_hours` (zero when it has)."""
    if last_ended is None:
        return timedelta(0)
    return max(timedelta(0), last_ended + timedelta(hours=rest_hours) - now)


def describe_duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{max(minutes, 1)} min"


def _ended_at(record: Record) -> datetime:
    ended = record.data.get("ended")
    return ended if isinstance(ended, datetime) else record.at


def check_gates(loaded: LoadedProtocol, deps: SessionDeps, *, override_rest: bool) -> bool:
    """Holds and the rest period. Returns True when the rest period is overridden."""
    region = loaded.protocol.region
    now = deps.clock.now()
    hold = active_holds(deps.journal).get(region)
    if hold is not None:
        since = hold.since.astimezone(now.tzinfo)
        raise SafetyStop(
            f"the {region} is on hold since {since:%Y-%m-%d %H:%M}: {hold.reason}",
            hint=(
                f"Do not treat this region until you have seen your clinician. When they say "
                f'it is fine, lift the hold with: iastm-coach hold clear {region} --reason "..."'
            ),
        )
    last = last_session(deps.journal, region)
    rest_hours = loaded.protocol.settings.rest_hours
    remaining = rest_remaining(_ended_at(last) if last else None, rest_hours, now)
    if remaining <= timedelta(0):
        return False
    ready = now + remaining
    if not override_rest:
        raise SafetyStop(
            f"the {region} needs {rest_hours} h of rest between sessions; "
            f"{describe_duration(remaining)} to go (from {ready:%a %d %b %H:%M})",
            hint="Tissue recovers between sessions. If your clinician told you otherwise, "
            "use --override-rest (it is recorded).",
        )
    deps.talk.show(
        Text(
            f"Overriding the rest period: {describe_duration(remaining)} early. "
            "This is recorded in your journal.",
            style="yellow",
        )
    )
    return True


def choose_sides(loaded: LoadedProtocol, request: SessionRequest, talk: Conversation) -> list[Side]:
    if not loaded.protocol.access.sided:
        if request.side not in (None, "both"):
            raise UsageError(f"the {loaded.protocol.region} protocol has no left and right side")
        return ["none"]
    side = request.side or talk.ask_choice("Which side?", ["left", "right", "both"], default="both")
    if side not in ("left", "right", "both"):
        raise UsageError(f"--side must be left, right or both (got '{side}')")
    return ["left", "right"] if side == "both" else [side]  # type: ignore[list-item]


def screen(loaded: LoadedProtocol, deps: SessionDeps) -> ScreeningResult:
    """Ask today's checklist; record the outcome; raise SafetyStop on a stop answer."""
    checklist = load_checklist()
    region = loaded.protocol.region
    now = deps.clock.now()
    since = now - timedelta(days=checklist.recheck_days + 1)
    earlier = deps.journal.recent(kinds={records.SCREENING}, since=since)
    first_ever = not earlier and not deps.journal.recent(kinds={records.SCREENING}, limit=1)
    history = screening_history({**r.data, "at": r.at} for r in earlier)
    if first_ever:
        history = type(history)(first_use=True, confirmed_at=history.confirmed_at)
    elif not any(r.data.get("outcome") == "cleared" for r in earlier):
        history = type(history)(first_use=False, confirmed_at={})
    questions = questions_for_today(checklist, history, now=now)
    talk = deps.talk
    result = ScreeningResult()
    talk.show(Text("Safety check", style="bold"), Text("Answer y (yes) or n (no)."))
    for question in questions.first_use:
        evaluate_first_use(result, question, talk.confirm(question.question))
        if result.stopped:
            break
        if question in result.recommendations:
            talk.show(literal(question.advice, "yellow"))
    if not result.stopped:
        for item in questions.items:
            present = talk.confirm(item.question)
            evaluate_answer(result, item, present, region=region)
            if result.stopped:
                break
            if not present:
                continue
            talk.show(literal(item.advice, "yellow"))
            if item in result.cautions:
                cleared = talk.confirm(
                    "Has a clinician who knows about this cleared you for IASTM on this area?"
                )
                evaluate_caution_clearance(result, item, cleared)
                if result.stopped:
                    break
    deps.journal.append(records.SCREENING, screening_record(result, region=region), at=now)
    if result.stopped_by is not None:
        raise SafetyStop(
            "not today: the safety check says this session should not go ahead",
            hint=result.stopped_by.advice,
        )
    return result


def choose_skips(
    loaded: LoadedProtocol, screening: ScreeningResult, talk: Conversation
) -> list[str]:
    """After a `local` answer, let the user skip areas that hold the spot."""
    if not screening.local:
        return []
    talk.show(
        Text(
            "Work around that spot, never over it. If it lies inside one of these areas, "
            "skip that area today."
        )
    )
    skips = [
        area.name
        for area in loaded.protocol.area
        if talk.confirm(f"Skip '{area.name}'?", default=False)
    ]
    if len(skips) == len(loaded.protocol.area):
        raise SafetyStop(
            "every area was skipped, so there is nothing to treat today",
            hint="Let the spot heal first; your clinician can advise on when to restart.",
        )
    return skips


def preparation(loaded: LoadedProtocol, dose: Dose, sides: Sequence[Side]) -> RenderableType:
    """One screen: how to get ready, and what is normal and what is not."""
    p = loaded.protocol
    first = p.area[0]
    lines = Text()
    for label, value in (
        ("Warm up", p.settings.warm_up),
        ("Skin", p.settings.emollient),
        ("Position", p.access.position),
        ("Tool", p.settings.tool),
        ("Angle", f"about {first.angle_deg}° to the skin"),
        ("Pressure", f"{first.pressure}; discomfort no more than 5 out of 10"),
    ):
        lines.append(f"{label}: ", style="bold")
        lines.append_text(literal(value))
        lines.append("\n")
    zones = sorted({zone for area in p.area for zone in area.avoid})
    if zones:
        lines.append("Never work over: ", style="bold red")
        lines.append_text(literal("; ".join(zones)))
        lines.append("\n")
    planned = p.planned_seconds(sides=len(sides)) * dose.percent // 100
    lines.append(f"Time: about {planned // 60} min {planned % 60:02d} s of strokes")
    if dose.percent != 100:
        lines.append(f" ({dose.percent}% dose: ")
        lines.append_text(literal(dose.reason))
        lines.append(")")
    lines.append("\n\n")
    lines.append(NORMAL_RESPONSE + "\n", style="green")
    lines.append(WARNING_SIGNS, style="yellow")
    return Panel(lines, title="Get ready", title_align="left")


def aftercare_questions(talk: Conversation, place: str) -> tuple[int, bool, bool]:
    soreness = talk.ask_int(
        f"Soreness now in the {place}, 0-10 ({SORENESS_ANCHORS})?", low=0, high=10
    )
    bruising = talk.confirm(f"Any bruising on the {place} (more than redness or small red dots)?")
    numbness = talk.confirm(f"Any numbness or tingling in or below the {place}?")
    return soreness, bruising, numbness


def _place(region: str, side: Side) -> str:
    name = region.replace("-", " ")
    return name if side == "none" else f"{side} {name}"


def session_fields(
    loaded: LoadedProtocol,
    *,
    side: Side,
    group: str,
    result: RunResult,
    started: datetime,
    ended: datetime,
    dose: Dose,
    rest_override: bool,
    aftercare: tuple[int, bool, bool] | None,
    note: str,
) -> dict[str, Any]:
    """The journal fields of one side's session (records.SESSION)."""
    p = loaded.protocol
    steps = [step for step in result.steps if step.side == side]
    soreness, bruising, numbness = aftercare if aftercare else (-1, False, False)
    return {
        "region": p.region,
        "side": side,
        "group": group,
        "source": "timer",
        "protocol_id": p.id,
        "protocol_version": p.version,
        "protocol_source": loaded.source,
        "protocol_fingerprint": loaded.fingerprint,
        "issued_by": loaded.protocol.issued.label() if loaded.protocol.issued else "",
        "started": started,
        "ended": ended,
        "planned_s": sum(step.planned_s for step in steps),
        "actual_s": sum(step.actual_s for step in steps),
        "complete": result.ended_by == "finished" and all(step.status == "done" for step in steps),
        "dose_percent": dose.percent,
        "dose_reason": dose.reason,
        "rest_override": rest_override,
        "areas": [
            {
                "name": step.area_name,
                "planned_s": step.planned_s,
                "actual_s": step.actual_s,
                "status": step.status,
            }
            for step in steps
        ],
        "soreness": soreness,
        "bruising": bruising,
        "numbness": numbness,
        "note": note,
    }


def run_session(request: SessionRequest, deps: SessionDeps) -> SessionOutcome:
    """The whole guided session. Raises SafetyStop (exit 3) when it must not go ahead,
    Interrupted (exit 130) after recording a partial session."""
    talk = deps.talk
    loaded = choose_protocol(request)
    p = loaded.protocol
    talk.show(
        Text.assemble(
            literal(p.title, "bold"),
            " - ",
            literal(loaded.origin()),
            f" (fingerprint {loaded.short_fingerprint})",
        )
    )
    if p.issued and p.issued.notes:
        talk.show(Text.assemble(("Notes from your clinician: ", "bold"), literal(p.issued.notes)))
    today = deps.clock.now().date()
    if (
        p.issued
        and p.issued.review_by
        and p.issued.review_by < today
        and not talk.confirm(
            f"This protocol was due for review on {p.issued.review_by}. Your clinician may "
            "want to update it. Continue with it anyway?",
            default=False,
        )
    ):
        raise SafetyStop(
            "session not started: the protocol is past its review date",
            hint="Ask your clinician for an updated protocol.",
        )

    rest_override = check_gates(loaded, deps, override_rest=request.override_rest)
    if not p.access.self_reachable:
        talk.show(
            Text(
                "You cannot reach this region well on your own: a partner should do the "
                "strokes while you relax.",
                style="yellow",
            )
        )
        if not talk.confirm("Is a partner here to do the strokes?", default=True):
            raise SafetyStop(
                "session not started: this region needs a partner",
                hint="Try again when someone can help, or ask your clinician.",
            )
    sides = choose_sides(loaded, request, talk)
    screening = screen(loaded, deps)
    skips = choose_skips(loaded, screening, talk)
    dose = next_dose(p, deps.journal, region=p.region)
    if dose.percent != 100:
        talk.show(
            Text.assemble(("Today's dose: ", "bold"), f"{dose.percent}% - ", literal(dose.reason))
        )

    talk.show(preparation(loaded, dose, sides))
    if first_session_ever(deps.journal):
        talk.show(Text("New to scraping? `iastm-coach learn` has short pages on what is normal."))
    talk.pause("Press Enter when you are ready.")
    before = measure_outcome(p, sides, talk, phase="before", clock=deps.clock)
    plan = build_plan(p, sides, dose_percent=dose.percent, skip=skips)
    started = deps.clock.now()
    result = deps.run_timer(plan)
    group = f"g{started:%Y%m%d%H%M%S}{secrets.token_hex(2)}"

    aftercare: dict[Side, tuple[int, bool, bool]] = {}
    note = ""
    try:
        if result.ended_by != "interrupted" and result.actual_s > 0:
            talk.show(Text("How do you feel?", style="bold"))
            for side in sides:
                aftercare[side] = aftercare_questions(talk, _place(p.region, side))
            note = talk.ask_text("A note for your journal?")
    except (KeyboardInterrupt, UsageError):
        pass  # keep what was done; it is recorded below
    ended = deps.clock.now()
    saved = [
        deps.journal.append(
            records.SESSION,
            session_fields(
                loaded,
                side=side,
                group=group,
                result=result,
                started=started,
                ended=ended,
                dose=dose,
                rest_override=rest_override,
                aftercare=aftercare.get(side),
                note=note,
            ),
            at=ended,
        )
        for side in saved_sides(sides, result)
    ]
    flags = place_holds_for_aftercare(deps, p.region, saved, aftercare)
    outcome = SessionOutcome(saved, result, flags)
    complete = result.ended_by == "finished" and len(aftercare) == len(sides)
    if flags:
        talk.show(red_flag_panel(flags, p.region))
    elif complete:
        follow_up(loaded, outcome, deps, before=before, group=group)
    if not complete:
        if aftercare:
            talk.show(Text(CHECKIN_REMINDER))
        done = f"{result.actual_s // 60} min {result.actual_s % 60:02d} s"
        raise Interrupted(
            f"the session ended early; {done} of strokes are kept in your journal, "
            "marked incomplete"
        )
    talk.show(*aftercare_screen(loaded, outcome, deps.clock.now()))
    return outcome


def saved_sides(sides: Sequence[Side], result: RunResult) -> list[Side]:
    """Sides with a record: every side of a finished session; only sides begun otherwise."""
    if result.ended_by == "finished":
        return list(sides)
    begun = [
        side
        for side in sides
        if any(step.side == side and step.status != "not-started" for step in result.steps)
    ]
    return begun or list(sides[:1])


def first_session_ever(journal: Journal) -> bool:
    return not journal.recent(kinds={records.SESSION}, limit=1)


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
        talk.show(Text.assemble(("How: ", "bold"), literal(outcome.how)))
    low, high = value_bounds(outcome.unit)
    values: Measured = {}
    for side in sides:
        where = "" if side == "none" else f" ({side})"
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
) -> None:
    """After a session without red flags: the 'after' measurement and guided exercises.

    Each is written to the journal as soon as it is known, pointing at the session.
    """
    p = loaded.protocol
    by_side = {record.data["side"]: record for record in outcome.sessions}
    talk = deps.talk
    if before and p.outcome is not None:
        after = measure_outcome(p, list(before), talk, phase="after", clock=deps.clock)
        for phase, values in (("before", before), ("after", after)):
            for side, (value, at) in values.items():
                record_measure(
                    deps.journal,
                    region=p.region,
                    side=side,
                    test=p.outcome.name,
                    unit=p.outcome.unit,
                    value=value,
                    phase=phase,
                    session_id=by_side[side].id if side in by_side else "",
                    at=at,
                )
        for side, (value, _) in after.items():
            if side in before:
                change = value - before[side][0]
                where = "" if side == "none" else f" {side}"
                talk.show(Text(f"Change{where}: {change:+g} {p.outcome.unit} " + SHORT_TERM_CAVEAT))
    try:
        wanted = bool(p.exercise) and talk.confirm(
            "Do the exercises now, with a guide?", default=True
        )
    except EndOfInput:
        return  # a pipe that ends here simply skips the optional part
    if wanted:
        done: list[ExerciseDone] = []
        try:
            done = guide_exercises(
                p.exercise, clock=deps.clock, time_scale=deps.time_scale, talk=talk
            )
        except EndOfInput:
            pass
        finally:
            deps.journal.append(
                records.EXERCISE,
                {
                    "session": outcome.sessions[0].id,
                    "group": group,
                    "region": p.region,
                    "exercises": [item.fields() for item in done],
                },
                at=deps.clock.now(),
            )


def place_holds_for_aftercare(
    deps: SessionDeps,
    region: str,
    saved: Sequence[Record],
    aftercare: dict[Side, tuple[int, bool, bool]],
) -> list[RedFlag]:
    flags: list[RedFlag] = []
    for record in saved:
        answers = aftercare.get(record.data["side"])
        if answers is None:
            continue
        soreness, bruising, numbness = answers
        for flag in aftercare_flags(soreness=soreness, bruising=bruising, numbness=numbness):
            if all(flag.rule != seen.rule for seen in flags):
                flags.append(flag)
                place_hold(
                    deps.journal, region=region, flag=flag, source_id=record.id, at=deps.clock.now()
                )
    return flags


def red_flag_panel(flags: Sequence[RedFlag], region: str) -> RenderableType:
    text = Text()
    for flag in flags:
        text.append_text(literal(f"- {flag.reason}\n"))
    text.append_text(literal(advice_for(flags, region=region)))
    return Panel(text, title=f"Stop: the {region} is now on hold", style="red", title_align="left")


def aftercare_screen(
    loaded: LoadedProtocol, outcome: SessionOutcome, now: datetime
) -> list[RenderableType]:
    """What to do now, when to come back, and what to watch for."""
    p = loaded.protocol
    parts: list[RenderableType] = []
    if outcome.flags:
        parts.append(red_flag_panel(outcome.flags, p.region))
    done = outcome.result.actual_s
    finished = "Session done" if outcome.result.ended_by == "finished" else "Session ended early"
    parts.append(Text(f"{finished}: {done // 60} min {done % 60:02d} s of strokes."))
    if p.exercise:
        exercises = Text("Exercises for this region (daily is fine):\n", style="bold")
        for exercise in p.exercise:
            dose = (
                f"{exercise.sets} x {exercise.reps} reps"
                if exercise.reps
                else f"{exercise.sets} x {exercise.hold_s} s hold"
            )
            exercises.append_text(literal(f"- {exercise.name}: {dose}. {exercise.cue}\n"))
        parts.append(exercises)
    if not outcome.flags:
        next_time = now + timedelta(hours=p.settings.rest_hours)
        parts.append(
            Text(
                f"Next {p.region} session: not before {next_time:%a %d %b %H:%M} "
                f"({p.settings.rest_hours} h rest)."
            )
        )
    parts.append(Text(CHECKIN_REMINDER))
    return [Group(*parts)]
