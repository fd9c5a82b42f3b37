"""A follow-up's answers, kept however the asking ends.

Answers are gathered into a dict as they are given, so a Ctrl-C or Ctrl-D halfway
through still leaves every answer given so far for `checkin_fields` to record (once
the soreness is known): a "Swelling? y" is never thrown away, and it places its hold.
A warning sign that was not asked is left out of the record and named in `not_asked`
— unknown, which is not the same as "no".
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, Final

from iastm_coach.vocabulary import SORENESS_ANCHORS

if TYPE_CHECKING:
    from datetime import datetime

    from iastm_coach.journal.store import Journal, Record
    from iastm_coach.safety.redflags import RedFlag
    from iastm_coach.session.conversation import Conversation

SORENESS_QUESTION: Final = f"Soreness of the treated area now ({SORENESS_ANCHORS})?"
WARNING_SIGNS: Final = {
    "bruising": "Bruising beyond redness (blue, purple or spreading)?",
    "numbness": "Numbness or tingling?",
    "swelling": "Swelling?",
    "worse": "Is the soreness getting worse?",
}
NOTE_QUESTION: Final = "A note for your journal?"


def fill_answers(
    talk: Conversation,
    answers: MutableMapping[str, Any],
    *,
    given: Mapping[str, bool | None] | None = None,
) -> None:
    """Ask what *answers* does not hold yet, storing each answer as soon as it is given.

    *given* holds warning signs already answered as options (True/False; None = not
    given, so asked). The warning signs have no default: each needs a y or an n.
    """
    for sign, answer in (given or {}).items():
        if answer is not None:
            answers.setdefault(sign, answer)
    if "soreness" not in answers:
        answers["soreness"] = talk.ask_int(SORENESS_QUESTION, low=0, high=10)
    for sign, question in WARNING_SIGNS.items():
        if sign not in answers:
            answers[sign] = talk.confirm(question)
    if "note" not in answers:
        answers["note"] = talk.ask_text(NOTE_QUESTION)


def checkin_fields(
    session_id: str, hours: int, answers: Mapping[str, Any], *, corrects: str | None = None
) -> dict[str, Any]:
    """The check-in record's fields from *answers* (which must hold the soreness): every
    warning sign answered, and `not_asked` naming the others."""
    data: dict[str, Any] = {
        "session": session_id,
        "hours": hours,
        "soreness": int(answers["soreness"]),
    }
    missing = []
    for sign in WARNING_SIGNS:
        if answers.get(sign) is None:
            missing.append(sign)
        else:
            data[sign] = bool(answers[sign])
    data["note"] = str(answers.get("note") or "")
    if missing:
        data["not_asked"] = missing
    if corrects:
        data["corrects"] = corrects
    return data


def write_checkin(
    journal: Journal,
    session: Record,
    data: Mapping[str, Any],
    flags: list[RedFlag],
    *,
    at: datetime,
) -> Record:
    """Write the check-in and a hold for each flag in one write (holds first): no crash,
    kill or full disk keeps a red flag without its hold."""
    from iastm_coach.journal import records
    from iastm_coach.safety.holds import prepare_hold

    checkin = journal.prepare(records.CHECKIN, data, at=at)
    region = str(session.data.get("region", ""))
    side = session.data.get("side")
    holds = [
        prepare_hold(
            journal,
            region=region,
            flag=flag,
            source_id=checkin.id,
            at=at,
            side=side if isinstance(side, str) and side else None,
        )
        for flag in flags
    ]
    journal.append_all([*holds, checkin])
    return checkin
