"""The guided session: safety gates, screening, preparation, timed strokes, aftercare.

`run_session` is the whole flow with its dependencies injected (clock, journal,
conversation, timer), so it runs in tests with scripted answers and a fake
clock. The CLI (`commands/session_cmd.py`) only builds those dependencies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from iastm_coach.clock import clock_is_set
from iastm_coach.errors import Interrupted, SafetyStop, UsageError
from iastm_coach.journal import records
from iastm_coach.journal.sessions import ProtocolStamp, new_group_id
from iastm_coach.journal.sessions import session_fields as session_record_fields
from iastm_coach.journal.store import Journal
from iastm_coach.protocols.files import LoadedProtocol
from iastm_coach.protocols.library import (
    load_checked,
    load_for_region,
    region_index,
    require_intact,
)
from iastm_coach.safety.adjust import PAIN_CUE, PlanAdjustments, plan_adjustments
from iastm_coach.safety.checklist import load_checklist
from iastm_coach.safety.course import REVIEW_RULE, course_facts, review_due
from iastm_coach.safety.dose import Dose, lowest, next_dose
from iastm_coach.safety.gates import (
    GateResult,
    check_daily_cap,
    check_gates,
    check_holds,
    check_own_hold,
    describe_duration,
    sittings_this_week,
)
from iastm_coach.safety.holds import HoldState, hold_state
from iastm_coach.safety.running import locks_dir, running
from iastm_coach.safety.settling import Followed, settle_before_session
from iastm_coach.safety.zones import links_of
from iastm_coach.session.aftercare import (
    CHECKIN_REMINDER,
    STOPPED_EARLY_ADVICE,
    STOPPED_REMINDER,
    Answers,
    aftercare_questions,
    aftercare_screen,
    answers_kept,
    ask_why_stopped,
    follow_up,
    holds_for_aftercare,
    measure_outcome,
    stopped_counts_text,
)
from iastm_coach.session.conversation import Conversation, EndOfInput
from iastm_coach.session.deps import AskCheckin, SessionDeps, SessionOutcome, SessionRequest
from iastm_coach.session.issuer import confirm_patient, introduce
from iastm_coach.session.screening import choose_skips, screen
from iastm_coach.session.shown import BLANK, Box, HoldNotice, Line, line
from iastm_coach.session.timer import REASSESS_S, RunResult, Step, build_plan, skin_check_cue
from iastm_coach.vocabulary import BOTH, NO_SIDE, Side, SideChoice, place_phrase, sides_for

if TYPE_CHECKING:
    from iastm_coach.history.queries import DueCheckin

NORMAL_RESPONSE = (
    "Normal: redness and warmth, pinpoint red spots that fade over a few days, and mild "
    "soreness for a day or two."
)


WARNING_SIGNS = (
    "Not normal - stop and contact your clinician: sharp, radiating or increasing pain; "
    "numbness, tingling or weakness; dizziness; swelling; bruising; soreness that lasts "
    "more than a couple of days or gets worse."
)


def choose_protocol(request: SessionRequest) -> LoadedProtocol:
    """`--protocol FILE` (validated first), else the installed or built-in one."""
    if request.protocol_file is not None:
        loaded = load_checked(request.protocol_file, source="file")
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
    return require_intact(load_for_region(request.region))


def choose_sides(loaded: LoadedProtocol, request: SessionRequest, talk: Conversation) -> list[Side]:
    if not loaded.protocol.access.sided:
        if request.side not in (None, BOTH):
            raise UsageError(f"the {loaded.protocol.region} protocol has no left and right side")
        return [NO_SIDE]
    prescribed = loaded.protocol.access.sides
    if prescribed and len(prescribed) == 1:  # a one-side plan: that side, never the other
        if request.side not in (None, prescribed[0]):
            raise UsageError(
                f"this protocol is for the {prescribed[0]} side only (--side {request.side})",
                hint="Ask your clinician before treating the other side.",
            )
        return [prescribed[0]]
    choices = [choice.value for choice in SideChoice]
    side = request.side or talk.ask_choice("Which side?", choices, default=BOTH)
    if side not in choices:
        raise UsageError(f"--side must be left, right or both (got '{side}')")
    return sides_for(side, sided=True)


def pressure_range(plan: Sequence[Step]) -> str:
    """Every area's pressure as planned today (after a cap), not the first one's:
    'light', or 'light to moderate (each area says which)'."""
    levels = [
        level for level in ("light", "moderate", "firm") if any(s.pressure == level for s in plan)
    ]
    if len(levels) == 1:
        return levels[0]
    return f"{levels[0]} to {levels[-1]} (each area says which)"


def brake(plan: Sequence[Step], adjust: PlanAdjustments) -> str:
    """What tells the person to ease off: the discomfort cue, or for people who cannot
    feel the area well or bruise easily, looking at the skin (§8e)."""
    if adjust.skin_check and plan:
        cue = skin_check_cue(plan[0].area)
        return cue[0].lower() + cue[1:]
    return PAIN_CUE


def reassess_words(plan: Sequence[Step]) -> str:
    """ "every 15 strokes (about 22 s) the timer pauses for 5 s: look at the skin; how is
    the discomfort?", from the plan itself, so the words and the timer agree."""
    timed = [step for step in plan if step.reassess_at]
    if not timed:
        return ""
    strokes = sorted({round(step.reassess_every_s / step.area.cadence_s) for step in timed})
    seconds = sorted({round(step.reassess_every_s) for step in timed})
    count = " or ".join(str(n) for n in strokes)
    about = " or ".join(str(n) for n in seconds)
    return (
        f"every {count} strokes (about {about} s) the timer pauses for {REASSESS_S:g} s: "
        "look at the skin; how is the discomfort?"
    )


def preparation(
    loaded: LoadedProtocol,
    dose: Dose,
    plan: Sequence[Step],
    adjust: PlanAdjustments | None = None,
) -> Box:
    """One screen: how to get ready, and what is normal and what is not. Shows today's
    plan: pressure, brake and danger zones after a cleared caution's consequences."""
    p = loaded.protocol
    adjust = adjust or PlanAdjustments()
    first = p.area[0]
    lines: list[Line] = []
    for label, value in (
        ("Warm up", p.settings.warm_up),
        ("Skin", p.settings.emollient),
        ("Position", p.access.position),
        ("Tool", p.settings.tool),
        ("Angle", f"about {first.angle_deg}° to the skin"),
        ("Pressure", f"{pressure_range(plan)}; {brake(plan, adjust)}"),
    ):
        lines.append(line((f"{label}: ", "strong"), value))
    pauses = reassess_words(plan)
    if pauses:
        lines.append(line(("Reassess: ", "strong"), pauses))
    for applied in adjust.applied:
        lines.append(line(("Adjusted for you: ", "caution"), applied))
    zones = sorted({zone for step in plan for zone in step.avoid})
    if zones:
        lines.append(line(("Never work over: ", "danger"), "; ".join(zones)))
    planned = sum(step.planned_s for step in plan)  # as timed: dose and skipped areas included
    time = f"Time: about {duration_words(planned)} of strokes{per_side_words(plan, p.access.zone)}"
    if dose.percent != 100:
        time += f" ({dose.percent} % dose: {dose.reason})"
    lines += [line(time), BLANK, line(NORMAL_RESPONSE, tone="good")]
    lines.append(line(WARNING_SIGNS, tone="caution"))
    for warning in load_checklist().zone_warnings(p.access.zone):  # e.g. leg clot signs
        lines.append(line(warning.text, tone="danger"))
    return Box("Get ready", tuple(lines))


def duration_words(seconds: int) -> str:
    """'4 min', '4 min 30 s', '45 s'."""
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min" + (f" {rest} s" if rest else "")


def per_side_words(plan: Sequence[Step], zone: str) -> str:
    """' (2 min per leg)' for both sides alike, ' (left 2 min, right 1 min 30 s)' when they
    differ, '' for one side: the total alone reads as if each leg got it."""
    by_side: dict[str, int] = {}
    for step in plan:
        by_side[step.side] = by_side.get(step.side, 0) + step.planned_s
    if len(by_side) < 2:
        return ""
    times = set(by_side.values())
    if len(times) == 1:
        limb = {"leg": "leg", "arm": "arm"}.get(zone, "side")
        return f" ({duration_words(times.pop())} per {limb})"
    return " (" + ", ".join(f"{side} {duration_words(s)}" for side, s in by_side.items()) + ")"


FIRST = ("bruising", "numbness")  # the signs every session record has had from the start


def session_fields(
    loaded: LoadedProtocol,
    *,
    side: Side,
    group: str,
    result: RunResult,
    started: datetime,
    ended: datetime,
    dose: Dose,
    gates: GateResult,
    aftercare: Answers,
    baseline: int = 0,
    note: str,
    adjustments: Sequence[str] = (),
) -> dict[str, Any]:
    """The journal fields of one side's session (records.SESSION)."""
    steps = [step for step in result.steps if step.side == side]
    return session_record_fields(
        region=loaded.protocol.region,
        side=side,
        group=group,
        source="timer",
        protocol=ProtocolStamp.of(loaded),
        started=started,
        ended=ended,
        planned_s=sum(step.planned_s for step in steps),
        actual_s=sum(step.actual_s for step in steps),
        # An area skipped or ended early with `n` is the person's choice, not an
        # interruption: the session is complete; each area keeps its own status.
        complete=result.ended_by == "finished",
        dose_percent=dose.percent,
        dose_reason=dose.reason,
        rest_override=gates.rest_override,
        areas=[
            {
                "name": step.area_name,
                "planned_s": step.planned_s,
                "actual_s": step.actual_s,
                "status": step.status,
            }
            for step in steps
        ],
        aftercare_answered=aftercare.complete,
        soreness=aftercare.soreness,
        bruising=bool(aftercare.bruising),
        numbness=bool(aftercare.numbness),
        note=note,
        overrides=[dict(item) for item in gates.overrides],
        baseline=baseline,
        clock_set=clock_is_set(),
        adjustments=adjustments,
        signs={name: value for name, value in aftercare.fields().items() if name not in FIRST},
        stop_reason=aftercare.stop_reason,
    )


def run_session(request: SessionRequest, deps: SessionDeps) -> SessionOutcome:
    """The whole guided session. Raises SafetyStop (exit 3) when it must not go ahead,
    Interrupted (exit 130) after recording a partial session."""
    talk = deps.talk
    loaded = choose_protocol(request)
    p = loaded.protocol
    introduce(loaded, talk)
    confirm_patient(loaded, talk, doing="session not started")
    if p.issued and p.issued.notes:
        talk.show(line(("Notes from your clinician: ", "strong"), p.issued.notes))
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

    holds = hold_state(deps.journal)  # read once: the gates and the dose both need it
    check_own_hold(p.region, holds.active, deps.clock.now())  # before asking anything
    refuse_before_asking_the_side(loaded, request, deps, holds)
    sides = choose_sides(loaded, request, talk)
    where = locks_dir(deps.journal.directory)
    with running(where, p.region, sides, deps.clock.now()):  # one session per side at a time
        return treat(request, deps, loaded, holds, sides)


def refuse_before_asking_the_side(
    loaded: LoadedProtocol, request: SessionRequest, deps: SessionDeps, holds: HoldState
) -> None:
    """When "Which side?" is to be asked but the gates refuse every side (the week's
    sessions, the rest, holds), refuse first, with each side's reason: no question whose
    answer cannot matter. With --override-rest the gates ask their own question later."""
    p = loaded.protocol
    single = p.access.sides and len(p.access.sides) == 1
    if request.side is not None or request.override_rest or not p.access.sided or single:
        return
    stops: list[tuple[Side, SafetyStop]] = []
    for side in sides_for(BOTH, sided=True):
        try:
            check_gates(
                loaded,
                deps.journal,
                deps.clock.now(),
                override_rest=False,
                holds=holds.active,
                sides=[side],
            )
        except SafetyStop as stop:
            stops.append((side, stop))
        else:
            return  # this side may go ahead: ask
    if len({stop.message for _, stop in stops}) == 1:
        raise stops[0][1]  # the same reason for both (the week, the rest): said once
    raise SafetyStop(
        "not today on either side: "
        + "; ".join(f"{place_phrase(p.region, side)}: {stop.message}" for side, stop in stops),
        hint=" ".join(dict.fromkeys(stop.hint for _, stop in stops if stop.hint)) or None,
    )


def treat(
    request: SessionRequest,
    deps: SessionDeps,
    loaded: LoadedProtocol,
    holds: HoldState,
    sides: list[Side],
) -> SessionOutcome:
    """The session once its sides are known: gates, screening, strokes, aftercare."""
    talk = deps.talk
    p = loaded.protocol
    gates = check_gates(
        loaded,
        deps.journal,
        deps.clock.now(),
        override_rest=request.override_rest,
        holds=holds.active,
        sides=sides,
        clinician_said_sooner=request.clinician_said_sooner,
        confirm=lambda question: talk.confirm(question, default=False),
    )
    if gates.rest_override:
        talk.show(
            line(
                f"Overriding the rest period: {describe_duration(gates.early_by)} early. "
                "This is recorded in your journal and shown in the report for your physio.",
                tone="caution",
            )
        )
    if not p.access.self_reachable:
        talk.show(
            line(
                "You cannot reach this region well on your own: a partner should do the "
                "strokes while you relax.",
                tone="caution",
            )
        )
        if not talk.confirm("Is a partner here to do the strokes?", default=False):
            raise SafetyStop(
                "session not started: this region needs a partner",
                hint="Try again when someone can help, or ask your clinician.",
            )
    elif p.access.hard_to_reach_alone:
        talk.show(
            line(
                "This region is hard to reach on your own: a partner can help "
                "(`iastm-coach learn partner`).",
                tone="caution",
            )
        )
    gates = check_course(loaded, deps, gates, reviewed=request.course_reviewed)
    asked_first: list[DueCheckin] = []
    followed = settle_before_session(
        deps.journal,
        deps.clock,
        links_of(p),
        sides,
        ask_first=None
        if deps.ask_checkin is None
        else ask_open_follow_up(talk, deps.ask_checkin, asked_first),
        cleared=holds.last_clear,
    )
    if asked_first:  # a follow-up just answered may have placed a hold that reaches here
        holds = hold_state(deps.journal)
        check_holds(p, holds.active, sides, deps.clock.now())
    # the soreness gate first (a follow-up just answered for every side treated now has
    # given it: not asked twice), then the grouped questions
    screening = screen(
        loaded,
        deps,
        sides=sides,
        soreness_now=soreness_just_given(followed, asked_first, p.region, sides),
    )
    baseline = screening.baseline
    adjust = plan_adjustments(load_checklist(), screening)  # a cleared caution, the age
    skips = choose_skips(loaded, screening, talk, site_bound=adjust.site_bound)
    dose = next_dose(
        p,
        deps.journal,
        region=p.region,
        holds=holds,
        now=deps.clock.now(),
        followed=followed,
        sides=sides,
    )
    dose = lowest(dose, adjust.dose())  # with the other dose rules: the lowest wins
    if dose.percent != 100:
        talk.show(line(("Today's dose: ", "strong"), f"{dose.percent} % - ", dose.reason))

    plan = build_plan(
        p,
        sides,
        dose_percent=dose.percent,
        skip=skips,
        pressure_cap=adjust.pressure_cap,
        skin_check=adjust.skin_check,
        avoid=adjust.avoid,
        reassess=True,  # a pause every N strokes, as the cues and get-ready screen say
    )
    check_daily_cap(deps.journal, sum(step.planned_s for step in plan), deps.clock.now())
    # The "before" measurement comes before the warm-up and the lotion, so that it measures
    # the day's starting point and the hands are still dry.
    before = measure_outcome(p, sides, talk, phase="before", clock=deps.clock)
    talk.show(preparation(loaded, dose, plan, adjust))
    if first_session_ever(deps.journal):
        talk.show(line("New to scraping? `iastm-coach learn` has short pages on what is normal."))
    talk.pause("Press Enter when you are ready.")
    started = deps.clock.now()
    result = deps.run_timer(plan)
    group = new_group_id(started)

    kept_sides = saved_sides(sides, result)  # the sides that get a record
    aftercare = {side: Answers() for side in kept_sides}
    note = ""
    cut_short: BaseException | None = None
    try:
        stop_reason = result.stop_reason  # a symptom said at an area break
        if not stop_reason and result.ended_by != "finished" and result.actual_s > 0:
            stop_reason = ask_why_stopped(talk)  # q or Ctrl-C: a symptom places a hold
        for side in kept_sides:
            aftercare[side].stop_reason = stop_reason
        if result.ended_by != "interrupted" and result.actual_s > 0:
            talk.show(line("How do you feel?", tone="strong"))
            for side in kept_sides:
                aftercare_questions(
                    talk, place_phrase(p.region, side), aftercare[side], region=p.region
                )
            note = talk.ask_text("A note for your journal?")
    except (KeyboardInterrupt, UsageError) as error:
        cut_short = error  # keep what was done: it is recorded first, then we stop
    ended = deps.clock.now()
    saved = [
        deps.journal.prepare(
            records.SESSION,
            session_fields(
                loaded,
                side=side,
                group=group,
                result=result,
                started=started,
                ended=ended,
                dose=dose,
                gates=gates,
                baseline=baseline,
                aftercare=aftercare[side],
                note=note,
                adjustments=adjust.applied,
            ),
            at=ended,
        )
        for side in kept_sides
    ]
    flags, new_holds = holds_for_aftercare(deps, p.region, saved, aftercare)
    deps.journal.append_all([*new_holds, *saved])  # one write: no session without its holds
    outcome = SessionOutcome(saved, result, flags)
    answered = all(answers.complete for answers in aftercare.values()) and cut_short is None
    if flags:
        talk.show(HoldNotice.of(flags, p.region))
    elif not answered and result.ended_by == "finished":  # cut short in the aftercare
        talk.show(line(WARNING_SIGNS, tone="caution"), line(CHECKIN_REMINDER))
    elif not answered:
        talk.show(line(STOPPED_EARLY_ADVICE, tone="caution"))
    if result.ended_by == "finished" and answered:
        try:
            guided = None if flags else follow_up(loaded, outcome, deps, before=before, group=group)
        except Interrupted:
            talk.show(BLANK, line(CHECKIN_REMINDER))  # after the ^C: the reminder still
            raise
        week = sittings_this_week(deps.journal, p.region, deps.clock.now())
        talk.show(
            *aftercare_screen(loaded, outcome, deps.clock.now(), guided, sittings_this_week=week)
        )
        return outcome
    if answered and not flags:
        talk.show(line(STOPPED_REMINDER))  # stopped early: not "mild soreness is normal"
    if saved and not flags:  # it starts the rest and uses one of the week's sittings: say so
        now = deps.clock.now()
        week = sittings_this_week(deps.journal, p.region, now)
        talk.show(line(stopped_counts_text(p, outcome, now, sittings_this_week=week)))
    kept = ""
    if cut_short is not None:
        later = ["the note"]
        if result.ended_by == "finished" and p.exercise and not flags:
            later.append("the exercises")
        places = {side: place_phrase(p.region, side) for side in kept_sides}
        strokes = f"the strokes ({result.actual_s // 60} min {result.actual_s % 60:02d} s)"
        kept = answers_kept(places, aftercare, strokes=strokes, later=later)
    if isinstance(cut_short, EndOfInput):
        if cut_short.at_terminal:
            raise EndOfInput(cut_short.message, hint=kept, at_terminal=True)
        raise EndOfInput(cut_short.message, hint=f"{kept} {cut_short.hint or ''}".strip())
    if isinstance(cut_short, UsageError):
        raise cut_short
    done = f"{result.actual_s // 60} min {result.actual_s % 60:02d} s"
    if result.ended_by == "finished":  # what the journal holds: strokes done, aftercare not
        raise Interrupted(
            f"stopped after the strokes; the session ({done} of strokes) is kept in your "
            "journal as done, with the questions not answered left empty",
            hint=kept or None,
        )
    raise Interrupted(
        f"the session ended early; {done} of strokes are kept in your journal, marked incomplete",
        hint=kept or None,
    )


def soreness_just_given(
    followed: Sequence[Followed],
    asked: Sequence[DueCheckin],
    region: str,
    sides: Sequence[Side],
) -> int | None:
    """The soreness given in the follow-ups of *region* this session asked first (*asked*),
    when they cover every side treated now: the highest. Such a follow-up asked "soreness
    of the treated area now", the pre-session question for that region and side (another
    region's follow-up, or one side of two, does not answer it)."""
    wanted = {(due.session.id, due.hours) for due in asked}
    given: dict[str, int] = {}
    for item in followed:
        if item.session.data.get("region") != region:
            continue
        side = str(item.session.data.get("side", NO_SIDE))
        for checkin in item.checkins:  # oldest first: the last one is the answer just given
            soreness = checkin.data.get("soreness")
            if (item.session.id, checkin.data.get("hours")) in wanted and isinstance(soreness, int):
                given[side] = soreness
    if not sides or any(side not in given for side in sides):
        return None
    return max(given[side] for side in sides)


def ask_open_follow_up(
    talk: Conversation, ask_checkin: AskCheckin, asked: list[DueCheckin]
) -> Callable[[DueCheckin], None]:
    """Asks the follow-up the settling rule found open, before this session's questions
    (each one asked is added to *asked*)."""

    def ask(due: DueCheckin) -> None:
        asked.append(due)
        talk.show(
            line(
                f"First, how did the last {due.place} session settle? "
                f"(its {due.hours} h check-in is open)"
            )
        )
        ask_checkin(due.session, due.hours)

    return ask


def check_course(
    loaded: LoadedProtocol, deps: SessionDeps, gates: GateResult, *, reviewed: bool
) -> GateResult:
    """End of course: time to review with a clinician. Going on needs a renewed protocol
    or the person's word that they have reviewed it (asked, default no; recorded)."""
    reason = review_due(
        loaded.protocol, course_facts(deps.journal, loaded, deps.clock.now()), deps.clock.now()
    )
    if reason is None:
        return gates
    deps.talk.show(line(("Time to review with your clinician: ", "caution"), reason, "."))
    how = "given with --course-reviewed"
    if not reviewed:
        how = "answered yes when asked"
        if not deps.talk.confirm(
            "Have you reviewed it with your clinician, and did they say to carry on with "
            "this protocol?",
            default=False,
        ):
            raise SafetyStop(
                f"time to review with your clinician: {reason}",
                hint="Book a review. If they renew or change the plan, install the new "
                "protocol (`iastm-coach protocol install FILE`); if they say to carry on, "
                "answer yes next time (it is recorded for them).",
            )
    detail = f"{reason}; carried on after a review with the clinician ({how})"
    return replace(gates, overrides=(*gates.overrides, {"rule": REVIEW_RULE, "detail": detail}))


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
