"""The guided session: safety gates, screening, preparation, timed strokes, aftercare.

`run_session` is the whole flow with its dependencies injected (clock, journal,
conversation, timer), so it runs in tests with scripted answers and a fake
clock. The CLI (`commands/session_cmd.py`) only builds those dependencies.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from rich.console import RenderableType
from rich.panel import Panel
from rich.text import Text

from iastm_coach.clock import clock_flag
from iastm_coach.errors import Interrupted, SafetyStop, UsageError
from iastm_coach.journal import records
from iastm_coach.journal.store import Journal
from iastm_coach.protocols.files import LoadedProtocol
from iastm_coach.protocols.library import (
    load_checked,
    load_for_region,
    region_index,
    require_intact,
)
from iastm_coach.protocols.model import TreatmentProtocol
from iastm_coach.safety.checklist import load_checklist
from iastm_coach.safety.course import REVIEW_RULE, course_facts, review_due
from iastm_coach.safety.dose import Dose, next_dose
from iastm_coach.safety.followups import above_usual_problem
from iastm_coach.safety.gates import GateResult, check_daily_cap, check_gates, check_own_hold
from iastm_coach.safety.holds import HoldState, hold_state
from iastm_coach.safety.running import locks_dir, running
from iastm_coach.safety.settling import current_baseline, settle_before_session
from iastm_coach.safety.zones import links_of
from iastm_coach.session.aftercare import (
    CHECKIN_REMINDER,
    STOPPED_EARLY_ADVICE,
    Answers,
    aftercare_questions,
    aftercare_screen,
    follow_up,
    holds_for_aftercare,
    measure_outcome,
    red_flag_panel,
)
from iastm_coach.session.conversation import Conversation
from iastm_coach.session.deps import SessionDeps, SessionOutcome, SessionRequest
from iastm_coach.session.issuer import confirm_patient, introduce
from iastm_coach.session.screening import choose_skips, screen
from iastm_coach.session.timer import RunResult, Side, Step, build_plan
from iastm_coach.views.ui import literal

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
        if request.side not in (None, "both"):
            raise UsageError(f"the {loaded.protocol.region} protocol has no left and right side")
        return ["none"]
    prescribed = loaded.protocol.access.sides
    if prescribed and len(prescribed) == 1:  # a one-side plan: that side, never the other
        if request.side not in (None, prescribed[0]):
            raise UsageError(
                f"this protocol is for the {prescribed[0]} side only (--side {request.side})",
                hint="Ask your clinician before treating the other side.",
            )
        return [prescribed[0]]
    side = request.side or talk.ask_choice("Which side?", ["left", "right", "both"], default="both")
    if side not in ("left", "right", "both"):
        raise UsageError(f"--side must be left, right or both (got '{side}')")
    return ["left", "right"] if side == "both" else [side]  # type: ignore[list-item]


def pressure_range(protocol: TreatmentProtocol) -> str:
    """Every area's pressure, not the first one's: 'light', or 'light to moderate (each
    area says which)'."""
    levels = [
        level
        for level in ("light", "moderate", "firm")
        if any(a.pressure == level for a in protocol.area)
    ]
    if len(levels) == 1:
        return levels[0]
    return f"{levels[0]} to {levels[-1]} (each area says which)"


def preparation(loaded: LoadedProtocol, dose: Dose, plan: Sequence[Step]) -> RenderableType:
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
        ("Pressure", f"{pressure_range(p)}; discomfort no more than 5 out of 10"),
    ):
        lines.append(f"{label}: ", style="bold")
        lines.append_text(literal(value))
        lines.append("\n")
    zones = sorted({zone for area in p.area for zone in area.avoid})
    if zones:
        lines.append("Never work over: ", style="bold red")
        lines.append_text(literal("; ".join(zones)))
        lines.append("\n")
    planned = sum(step.planned_s for step in plan)  # as timed: dose and skipped areas included
    lines.append(f"Time: about {planned // 60} min {planned % 60:02d} s of strokes")
    if dose.percent != 100:
        lines.append(f" ({dose.percent}% dose: ")
        lines.append_text(literal(dose.reason))
        lines.append(")")
    lines.append("\n\n")
    lines.append(NORMAL_RESPONSE + "\n", style="green")
    lines.append(WARNING_SIGNS, style="yellow")
    for warning in load_checklist().zone_warnings(p.access.zone):  # e.g. leg clot signs
        lines.append("\n")
        lines.append_text(literal(warning.text, "bold red"))
    return Panel(lines, title="Get ready", title_align="left")


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
    gates: GateResult,
    aftercare: Answers,
    baseline: int = 0,
    note: str,
) -> dict[str, Any]:
    """The journal fields of one side's session (records.SESSION)."""
    p = loaded.protocol
    steps = [step for step in result.steps if step.side == side]
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
        "protocol_signature": "" if loaded.source == "built-in" else loaded.signature.state,
        "signed_by": loaded.signature.signer,
        "started": started,
        "ended": ended,
        "planned_s": sum(step.planned_s for step in steps),
        "actual_s": sum(step.actual_s for step in steps),
        # An area skipped or ended early with `n` is the person's choice, not an
        # interruption: the session is complete; each area keeps its own status.
        "complete": result.ended_by == "finished",
        "dose_percent": dose.percent,
        "dose_reason": dose.reason,
        "rest_override": gates.rest_override,
        "areas": [
            {
                "name": step.area_name,
                "planned_s": step.planned_s,
                "actual_s": step.actual_s,
                "status": step.status,
            }
            for step in steps
        ],
        "aftercare_answered": aftercare.complete,
        "soreness": aftercare.soreness,
        "bruising": bool(aftercare.bruising),
        "numbness": bool(aftercare.numbness),
        "note": note,
        "overrides": [dict(item) for item in gates.overrides],
        "baseline": baseline,
    } | clock_flag()


def run_session(request: SessionRequest, deps: SessionDeps) -> SessionOutcome:
    """The whole guided session. Raises SafetyStop (exit 3) when it must not go ahead,
    Interrupted (exit 130) after recording a partial session."""
    talk = deps.talk
    loaded = choose_protocol(request)
    p = loaded.protocol
    introduce(loaded, talk)
    confirm_patient(loaded, talk, doing="session not started")
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

    holds = hold_state(deps.journal)  # read once: the gates and the dose both need it
    check_own_hold(p.region, holds.active, deps.clock.now())  # before asking anything
    sides = choose_sides(loaded, request, talk)
    where = locks_dir(deps.journal.directory)
    with running(where, p.region, sides, deps.clock.now()):  # one session per side at a time
        return treat(request, deps, loaded, holds, sides)


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
        deps,
        override_rest=request.override_rest,
        holds=holds.active,
        sides=sides,
        clinician_said_sooner=request.clinician_said_sooner,
    )
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
    elif p.access.hard_to_reach_alone:
        talk.show(
            Text(
                "This region is hard to reach on your own: a partner can help "
                "(`iastm-coach learn partner`).",
                style="yellow",
            )
        )
    gates = check_course(loaded, deps, gates, reviewed=request.course_reviewed)
    followed = settle_before_session(deps, links_of(p), sides, cleared=holds.last_clear)
    screening = screen(loaded, deps)
    baseline = current_baseline(deps.journal, p.region, screening.soreness_before, deps.clock.now())
    check_above_usual(deps, p.region, screening.soreness_before, baseline)
    skips = choose_skips(loaded, screening, talk)
    dose = next_dose(
        p, deps.journal, region=p.region, holds=holds, now=deps.clock.now(), followed=followed
    )
    if dose.percent != 100:
        talk.show(
            Text.assemble(("Today's dose: ", "bold"), f"{dose.percent}% - ", literal(dose.reason))
        )

    plan = build_plan(p, sides, dose_percent=dose.percent, skip=skips)
    check_daily_cap(deps.journal, sum(step.planned_s for step in plan), deps.clock.now())
    talk.show(preparation(loaded, dose, plan))
    if first_session_ever(deps.journal):
        talk.show(Text("New to scraping? `iastm-coach learn` has short pages on what is normal."))
    talk.pause("Press Enter when you are ready.")
    before = measure_outcome(p, sides, talk, phase="before", clock=deps.clock)
    started = deps.clock.now()
    result = deps.run_timer(plan)
    group = f"g{started:%Y%m%d%H%M%S}{secrets.token_hex(2)}"

    kept = saved_sides(sides, result)  # the sides that get a record
    aftercare = {side: Answers() for side in kept}
    note = ""
    cut_short: BaseException | None = None
    try:
        if result.ended_by != "interrupted" and result.actual_s > 0:
            talk.show(Text("How do you feel?", style="bold"))
            for side in kept:
                aftercare_questions(talk, _place(p.region, side), aftercare[side])
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
            ),
            at=ended,
        )
        for side in kept
    ]
    flags, new_holds = holds_for_aftercare(deps, p.region, saved, aftercare)
    deps.journal.append_all([*new_holds, *saved])  # one write: no session without its holds
    outcome = SessionOutcome(saved, result, flags)
    answered = all(answers.complete for answers in aftercare.values()) and cut_short is None
    if flags:
        talk.show(red_flag_panel(flags, p.region))
    elif not answered:
        talk.show(Text(STOPPED_EARLY_ADVICE, style="yellow"))
    if result.ended_by == "finished" and answered:
        guided = None if flags else follow_up(loaded, outcome, deps, before=before, group=group)
        talk.show(*aftercare_screen(loaded, outcome, deps.clock.now(), guided))
        return outcome
    if answered and not flags:
        talk.show(Text(CHECKIN_REMINDER))
    if isinstance(cut_short, UsageError):
        raise cut_short
    done = f"{result.actual_s // 60} min {result.actual_s % 60:02d} s"
    if result.ended_by == "finished":  # what the journal holds: strokes done, aftercare not
        raise Interrupted(
            f"stopped after the strokes; the session ({done} of strokes) is kept in your "
            "journal as done, with the questions not answered left empty"
        )
    raise Interrupted(
        f"the session ended early; {done} of strokes are kept in your journal, marked incomplete"
    )


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
    deps.talk.show(
        Text.assemble(
            ("Time to review with your clinician: ", "bold yellow"),
            literal(reason),
            ".",
        )
    )
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


def check_above_usual(
    deps: SessionDeps, region: str, soreness_before: int | None, baseline: int
) -> None:
    """The second half of the pre-session soreness gate (reference §7): more than 2
    points above the person's usual level for the region stops the session too."""
    if soreness_before is None:
        return
    problem = above_usual_problem(soreness_before, baseline, region=region)
    if problem is None:
        return
    deps.journal.append(
        records.SCREENING,
        {"region": region, "outcome": "stopped", "stopped_by": "soreness-above-usual"},
        at=deps.clock.now(),
    )
    raise SafetyStop(
        f"not today: {problem}",
        hint="Let it settle back to your usual level first; if it does not, contact your "
        "clinician.",
    )


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
