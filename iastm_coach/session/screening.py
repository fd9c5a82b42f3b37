"""The screening step of a session: ask today's checklist, record it, act on it.

The decisions themselves are pure functions in `checklist.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from iastm_coach.errors import SafetyStop
from iastm_coach.history.followups import above_usual_problem
from iastm_coach.journal import records
from iastm_coach.protocols.files import LoadedProtocol
from iastm_coach.safety.checklist import (
    ItemGroup,
    ScreeningHistory,
    ScreeningResult,
    SorenessStop,
    evaluate_age,
    evaluate_answer,
    evaluate_caution_clearance,
    evaluate_first_use,
    evaluate_soreness_before,
    load_checklist,
    questions_for_today,
    screening_history,
    screening_record,
    stop_advice,
)
from iastm_coach.safety.checklist_model import Checklist, ChecklistItem
from iastm_coach.safety.settling import current_baseline
from iastm_coach.session.conversation import Conversation
from iastm_coach.session.deps import SessionDeps
from iastm_coach.session.grouped import ask_grouped
from iastm_coach.session.shown import line
from iastm_coach.vocabulary import NO_SIDE, SORENESS_ANCHORS, is_are, place_phrase

if TYPE_CHECKING:
    from iastm_coach.journal.store import Record

RECENT_SCREENINGS = 50  # how far back to look for a cleared screening (first use or not)


def screen(
    loaded: LoadedProtocol,
    deps: SessionDeps,
    *,
    sides: Sequence[str] = (NO_SIDE,),
    soreness_now: int | None = None,
) -> ScreeningResult:
    """Ask today's checklist; record the outcome; raise SafetyStop on a stop answer.

    The order keeps the questions few: the soreness gate first (a person too sore
    today is asked nothing else), the tool's edge, first-use questions, "has anything
    changed?", then the items in a few grouped questions (`Questions.groups`).

    A stop answer whose item `places_hold` (a bruise left by an earlier session) puts the
    region on hold on *sides*, written with the screening in one append.
    """
    checklist = load_checklist()
    region = loaded.protocol.region
    zone = loaded.protocol.access.zone
    now = deps.clock.now()
    history = _history(deps, checklist.recheck_days)
    questions = questions_for_today(checklist, history, now=now, region=region, zone=zone)
    talk = deps.talk
    result = ScreeningResult()
    talk.show(line("Safety check", tone="strong"), line("Answer y (yes) or n (no)."))
    ask_soreness_before(deps, region, result, given=soreness_now)
    if history.first_use and not result.stopped:
        for note in checklist.first_use_note:
            talk.show(line(note.text))
    for question in questions.first_use:
        if result.stopped:
            break
        evaluate_first_use(result, question, talk.confirm(question.question), region=region)
        if question in result.recommendations:
            talk.show(line(question.advice, tone="caution"))
    if not result.stopped:
        ask_age_band(talk, checklist, history, result, asked=questions.ask_age)
    reopened = False
    if not result.stopped and questions.not_due:
        reopened = talk.confirm(CHANGED_QUESTION, default=False)
    place = place_phrase(region, NO_SIDE)
    for group in questions.groups(region, zone, place, reopened=reopened):
        if result.stopped:
            break
        said_yes = [item for item in group.items if history.said_yes_last(item, region)]
        ask_group(talk, group, result, region=region, zone=zone, said_yes=said_yes)
    screened = deps.journal.prepare(
        records.SCREENING, screening_record(result, region=region), at=now
    )
    held = screening_holds(deps, result, region=region, sides=sides, source_id=screened.id)
    deps.journal.append_all([*held, screened])  # one write: no refusal without its hold
    if held:
        assert isinstance(result.stopped_by, ChecklistItem)
        raise SafetyStop(
            f"not today: a yes to '{result.stopped_by.question}' puts the {region} on hold",
            hint=stop_advice(result.stopped_by, region=region, zone=zone)
            + f" Lift it after a clinician has looked at it: "
            f'iastm-coach hold clear {region} --examined-by WHO --reason "...".',
        )
    if result.stopped_by is not None:
        if result.stopped_by.id == ABOVE_USUAL:
            raise SafetyStop(
                f"not today: {result.stopped_by.advice}",
                hint="Let it settle back to your usual level first; if it does not, contact "
                "your clinician.",
            )
        raise SafetyStop(
            "not today: the safety check says this session should not go ahead",
            hint=stop_advice(result.stopped_by, region=region, zone=zone),
        )
    return result


def screening_holds(
    deps: SessionDeps,
    result: ScreeningResult,
    *,
    region: str,
    sides: Sequence[str],
    source_id: str,
) -> list[Record]:
    """The hold records (not yet written) of a stop answer whose item `places_hold`: one per
    side treated (a bruise on the left calf holds the left calf's chain)."""
    from iastm_coach.safety.holds import prepare_hold
    from iastm_coach.safety.redflags import RedFlag

    item = result.stopped_by
    if not isinstance(item, ChecklistItem) or item.places_hold is None:
        return []
    flag = RedFlag(item.places_hold, f"yes at screening to '{item.question}'")
    now = deps.clock.now()
    return [
        prepare_hold(deps.journal, region=region, flag=flag, source_id=source_id, at=now, side=side)
        for side in sides
    ]


CHANGED_QUESTION = "Has anything changed in your health or medicines since last time?"
ABOVE_USUAL = "soreness-above-usual"


def _history(deps: SessionDeps, recheck_days: int) -> ScreeningHistory:
    since = deps.clock.now() - timedelta(days=recheck_days + 1)
    earlier = deps.journal.recent(kinds={records.SCREENING}, since=since)
    history = screening_history({**r.data, "at": r.at} for r in earlier)
    if history.first_use or history.age_band is None:
        # Nothing cleared lately: has any screening ever been cleared? (A refusal does
        # not count: whoever was stopped for a sharp tool is asked about it again.)
        latest = deps.journal.recent(kinds={records.SCREENING}, limit=RECENT_SCREENINGS)
        ever = screening_history({**r.data, "at": r.at} for r in latest)
        history = replace(
            history,
            first_use=history.first_use and ever.first_use,
            age_band=history.age_band or ever.age_band,
        )
    return history


def ask_soreness_before(
    deps: SessionDeps, region: str, result: ScreeningResult, *, given: int | None = None
) -> None:
    """The pre-session soreness gate (§7): 4 or more, or more than 2 points above the
    person's usual level for the region, and nothing else is asked today. *given*: the
    answer of a follow-up of this region asked moments ago, not asked again."""
    if given is not None:
        soreness = given
        deps.talk.show(
            line(f"Soreness before you start: {given}/10, as you just said in the follow-up.")
        )
    else:
        soreness = deps.talk.ask_int(
            f"How sore {is_are(region)} your {place_phrase(region, NO_SIDE)} right now, before "
            "you start? "
            f"0-10 ({SORENESS_ANCHORS})",
            low=0,
            high=10,
        )
    evaluate_soreness_before(result, soreness)
    result.baseline = current_baseline(deps.journal, region, soreness, deps.clock.now())
    if result.stopped:
        return
    problem = above_usual_problem(soreness, result.baseline, region=region)
    if problem is not None:
        result.stopped_by = SorenessStop(id=ABOVE_USUAL, advice=problem)


def ask_age_band(
    talk: Conversation,
    checklist: Checklist,
    history: ScreeningHistory,
    result: ScreeningResult,
    *,
    asked: bool,
) -> None:
    """Age, asked once (first use); only its band is kept. A known band still applies."""
    if not asked:
        known = next((b for b in checklist.age_band if b.id == history.age_band), None)
        evaluate_age(result, known, new=False)
        return
    age = talk.ask_int("How old are you? (asked once; only the age band is kept)", low=0, high=120)
    band = checklist.age_band_for(age)
    evaluate_age(result, band, new=True)
    if band is not None and band.advice and band.outcome == "adjust":
        talk.show(line(band.advice, tone="caution"))


def ask_group(
    talk: Conversation,
    group: ItemGroup,
    result: ScreeningResult,
    *,
    region: str,
    zone: str | None,
    said_yes: Sequence[ChecklistItem] = (),
) -> None:
    """One grouped question (default no): each item picked is evaluated as a yes at
    once, with its advice and, for a caution, the clearance question; every item not
    picked is recorded as answered no, as if asked on its own.

    *said_yes* are its items answered yes last time (a cleared caution is asked every
    session): they are named, and the question has no default, so Enter alone never
    turns "I have diabetes" into "no" (and its light pressure into moderate)."""
    items = list(group.items)
    if said_yes:
        talk.show(line("Last time you answered yes to: " + "; ".join(i.question for i in said_yes)))

    def picked(index: int) -> bool:
        item = items[index]
        evaluate_answer(result, item, True, region=region, zone=zone)
        if result.stopped:
            return False
        talk.show(line(item.advice_for(region, zone), tone="caution"))
        if item in result.cautions:
            cleared = talk.confirm(
                f"Has {item.cleared_by_for(region, zone)} cleared you for IASTM on this area?"
            )
            evaluate_caution_clearance(result, item, cleared)
        return not result.stopped

    chosen = ask_grouped(
        talk,
        group.question,
        [item.question for item in items],
        on_pick=picked,
        default=None if said_yes else False,
    )
    if result.stopped:
        return
    for index, item in enumerate(items):
        if index not in chosen:
            evaluate_answer(result, item, False, region=region, zone=zone)


def choose_skips(
    loaded: LoadedProtocol,
    screening: ScreeningResult,
    talk: Conversation,
    *,
    site_bound: Sequence[str] = (),
) -> list[str]:
    """After a `local` answer, or a cleared caution bound to one place (a device, a
    scar: `site_bound`), let the user skip areas that hold the spot."""
    if not screening.local and not site_bound:
        return []
    talk.show(
        line(
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
