"""The screening step of a session: ask today's checklist, record it, act on it.

The decisions themselves are pure functions in `checklist.py`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from iastm_coach.errors import SafetyStop
from iastm_coach.journal import records
from iastm_coach.protocols.files import LoadedProtocol
from iastm_coach.safety.checklist import (
    ScreeningResult,
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
from iastm_coach.session.conversation import Conversation
from iastm_coach.session.deps import SessionDeps
from iastm_coach.session.shown import line
from iastm_coach.vocabulary import NO_SIDE, SORENESS_ANCHORS, place_phrase

RECENT_SCREENINGS = 50  # how far back to look for a cleared screening (first use or not)


def screen(loaded: LoadedProtocol, deps: SessionDeps) -> ScreeningResult:
    """Ask today's checklist; record the outcome; raise SafetyStop on a stop answer."""
    checklist = load_checklist()
    region = loaded.protocol.region
    now = deps.clock.now()
    since = now - timedelta(days=checklist.recheck_days + 1)
    earlier = deps.journal.recent(kinds={records.SCREENING}, since=since)
    history = screening_history({**r.data, "at": r.at} for r in earlier)
    if history.first_use:
        # Nothing cleared lately: has any screening ever been cleared? (A refusal does
        # not count: whoever was stopped for a sharp tool is asked about it again.)
        latest = deps.journal.recent(kinds={records.SCREENING}, limit=RECENT_SCREENINGS)
        ever = any(r.data.get("outcome") == "cleared" for r in latest)
        history = replace(history, first_use=not ever)
    zone = loaded.protocol.access.zone
    questions = questions_for_today(checklist, history, now=now, region=region, zone=zone)
    talk = deps.talk
    result = ScreeningResult()
    talk.show(line("Safety check", tone="strong"), line("Answer y (yes) or n (no)."))
    if history.first_use:
        for note in checklist.first_use_note:
            talk.show(line(note.text))
    for question in questions.first_use:
        evaluate_first_use(result, question, talk.confirm(question.question), region=region)
        if result.stopped:
            break
        if question in result.recommendations:
            talk.show(line(question.advice, tone="caution"))
    if not result.stopped:
        for item in questions.items:
            present = talk.confirm(item.question)
            evaluate_answer(result, item, present, region=region, zone=zone)
            if result.stopped:
                break
            if not present:
                continue
            talk.show(line(item.advice_for(region, zone), tone="caution"))
            if item in result.cautions:
                cleared = talk.confirm(
                    f"Has {item.cleared_by_for(region, zone)} cleared you for IASTM on this area?"
                )
                evaluate_caution_clearance(result, item, cleared)
                if result.stopped:
                    break
    if not result.stopped:
        soreness = talk.ask_int(
            f"How sore is the {place_phrase(region, NO_SIDE)} right now, before you start? "
            f"0-10 ({SORENESS_ANCHORS})",
            low=0,
            high=10,
        )
        evaluate_soreness_before(result, soreness)
    deps.journal.append(records.SCREENING, screening_record(result, region=region), at=now)
    if result.stopped_by is not None:
        raise SafetyStop(
            "not today: the safety check says this session should not go ahead",
            hint=stop_advice(result.stopped_by, region=region, zone=zone),
        )
    return result


def choose_skips(
    loaded: LoadedProtocol, screening: ScreeningResult, talk: Conversation
) -> list[str]:
    """After a `local` answer, let the user skip areas that hold the spot."""
    if not screening.local:
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
