"""Check-ins: the 24 h, 48 h (72 h, and day 5-7) follow-ups of a session.

Answers become a `checkin` record; the red-flag rules (`safety/redflags.py`) read
them against the earlier answers, and every flag puts the region on hold. Nothing
here prints: each step returns what happened, for a view to show.

Which follow-ups a session needs, and when each is open, is the safety schedule's
(`history/followups.py`); a follow-up left unanswered stays due for two weeks. A
follow-up named explicitly (`--hours`) may be answered late, never early.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from iastm_coach.errors import UsageError
from iastm_coach.history.followups import WINDOWS, required_follow_ups, unsettled
from iastm_coach.history.queries import (
    DueCheckin,
    checkins_of,
    due_checkins,
    follow_up_at,
    follow_up_due,
    session_baseline,
)
from iastm_coach.journal import records
from iastm_coach.journal.records import session_end
from iastm_coach.safety.redflags import checkin_flags
from iastm_coach.session.followup_answers import (
    checkin_fields,
    fill_answers,
    write_checkin,
)
from iastm_coach.vocabulary import describe_end, place_label

if TYPE_CHECKING:
    from iastm_coach.clock import Clock
    from iastm_coach.journal.store import Journal, Record
    from iastm_coach.safety.redflags import RedFlag
    from iastm_coach.session.conversation import Conversation

FOLLOW_UPS: Final = tuple(WINDOWS)  # 24, 48, 72, 120
FOLLOW_UPS_TEXT: Final = "24, 48, 72 or 120"
SUFFIX_MIN: Final = 4  # the shortest id tail accepted for a session (`history` shows six)


@dataclass(frozen=True)
class CheckinAnswers:
    """What a person says at a follow-up."""

    soreness: int  # 0-10
    # None: not asked (an interrupted check-in, or options given away from a terminal):
    # recorded as unknown (`not_asked`), never as "no".
    bruising: bool | None = False
    numbness: bool | None = False
    swelling: bool | None = False
    worse: bool | None = False
    note: str = ""

    def fields(self, session_id: str, hours: int, *, corrects: str | None = None) -> dict[str, Any]:
        """The check-in record's fields (`records.CHECKIN_FIELDS`); *corrects*: the id of
        the earlier answer to the same follow-up that this one corrects."""
        return checkin_fields(session_id, hours, asdict(self), corrects=corrects)

    @classmethod
    def of(cls, answers: Mapping[str, Any]) -> CheckinAnswers:
        """From the answers given so far (which must hold the soreness); the rest unasked."""
        return cls(
            soreness=int(answers["soreness"]),
            bruising=answers.get("bruising"),
            numbness=answers.get("numbness"),
            swelling=answers.get("swelling"),
            worse=answers.get("worse"),
            note=str(answers.get("note") or ""),
        )


@dataclass(frozen=True)
class CheckinResult:
    """A recorded check-in and what the rules made of it."""

    record: Record
    session: Record
    hours: int
    soreness: int
    flags: list[RedFlag]  # each one put the region on hold
    asked_again_at: int | None  # a later follow-up the answers call for (72 or 120), if any
    baseline: int  # the person's usual soreness for the region when the session started
    corrected: Record | None = None  # the earlier answer to this follow-up (kept, not counted)
    waits: bool = False  # the answers have not settled: the region's next session waits

    @property
    def not_asked(self) -> list[str]:
        return [str(sign) for sign in self.record.data.get("not_asked") or []]

    @property
    def region(self) -> str:
        return str(self.session.data.get("region", ""))

    @property
    def place(self) -> str:
        return place_label(self.region, str(self.session.data.get("side", "none")))


# --- which session, which follow-up -----------------------------------------------------------


def find_session(journal: Journal, reference: str) -> Record:
    """A session by full id, or by the unique tail of its id shown in `history`."""
    ref = reference.strip().upper()
    record = journal.get(ref)
    if record is not None and record.kind == records.SESSION:
        return record
    if len(ref) >= SUFFIX_MIN:
        matches = [
            r for r in journal.recent(kinds={records.SESSION}, limit=500) if r.id.endswith(ref)
        ]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise UsageError(f"'{reference}' matches {len(matches)} sessions; give more of the id")
    raise UsageError(
        f"no session with id '{reference}'",
        hint="`iastm-coach history` shows the last characters of each session id; "
        "`iastm-coach history --json` shows whole ids.",
    )


def follow_up_hours(session: Record, hours: int | None, now: datetime) -> int:
    """The follow-up a check-in at *now* answers: *hours* if given (not before its window
    opens; late is fine), else the window *now* falls in. UsageError otherwise."""
    ended = session_end(session)
    if hours is None:
        hours = follow_up_at(ended, now)
        if hours is None:
            elapsed = (now - ended) / timedelta(hours=1)
            raise UsageError(
                f"no follow-up is open {elapsed:.0f} h after that session",
                hint="Follow-ups are answered from 20 h to two weeks after a session; add "
                f"--hours {FOLLOW_UPS_TEXT} to record one you noted down at the time.",
            )
    if hours not in WINDOWS:
        raise UsageError(f"--hours must be {FOLLOW_UPS_TEXT} (got {hours})")
    opens = ended + timedelta(hours=WINDOWS[hours][0])
    if now < opens:
        raise UsageError(
            f"too early for the {hours} h follow-up: it opens {describe_end(opens, now)}",
            hint="Follow-ups open 20 h (24 h), 40 h (48 h), 64 h (72 h) and 5 days (120 h) "
            "after the session.",
        )
    return hours


def open_follow_up(journal: Journal, session: Record, now: datetime) -> int:
    """The follow-up of *session* to answer now, unanswered; UsageError when there is none
    (saying so when it was answered already: `--hours` answers it again)."""
    checkins = checkins_of(journal, session)
    due = follow_up_due(session, checkins, now)
    if due is not None:
        return due.hours
    open_now = follow_up_at(session_end(session), now)
    answered = {checkin.data.get("hours") for checkin in checkins}
    if open_now is not None and open_now in answered:
        raise UsageError(
            f"the {open_now} h follow-up of that session is already answered",
            hint=f"Add --hours {open_now} to answer it again (the later answer counts).",
        )
    raise UsageError(
        "no follow-up of that session is open now",
        hint="Follow-ups open 20 h after a session; one left unanswered stays "
        "due for two weeks; add --hours to answer one anyway.",
    )


def follow_ups_to_ask(
    journal: Journal, *, session_ref: str | None, hours: int | None, now: datetime
) -> list[DueCheckin]:
    """What `checkin` asks about: every follow-up due now, or one session's (the one open
    now, or the one named by *hours*; refused now if it is not open, before any question)."""
    if session_ref is None:
        return due_checkins(journal, now)
    session = find_session(journal, session_ref)
    if hours is None:
        hours = open_follow_up(journal, session, now)
    return [due_item(session, follow_up_hours(session, hours, now))]


def due_item(session: Record, hours: int) -> DueCheckin:
    """One follow-up of *session* with its window."""
    ended = session_end(session)
    opens, closes = WINDOWS[hours]
    return DueCheckin(
        session, hours, ended + timedelta(hours=opens), ended + timedelta(hours=closes)
    )


# --- recording ------------------------------------------------------------------------------


def answer_hours(
    journal: Journal,
    session: Record,
    hours: int | None,
    now: datetime,
    *,
    earlier: Sequence[Record] | None = None,
) -> int:
    """The follow-up a check-in of *session* at *now* answers: *hours* if given, else the
    one due now (open, or left unanswered), else the window *now* falls in
    (`follow_up_hours`; UsageError when there is none)."""
    if hours is None:
        found = checkins_of(journal, session) if earlier is None else list(earlier)
        due = follow_up_due(session, found, now)
        hours = due.hours if due is not None else None
    return follow_up_hours(session, hours, now)


def record_checkin(
    journal: Journal,
    session: Record,
    answers: CheckinAnswers,
    *,
    hours: int | None,
    now: datetime,
) -> CheckinResult:
    """Check the follow-up (without *hours*: the one due now, open or left unanswered;
    `follow_up_hours`), write the check-in, and place a hold for every red flag the
    answers raise, judged against the person's usual soreness."""
    earlier = checkins_of(journal, session)
    hours = answer_hours(journal, session, hours, now, earlier=earlier)
    same = [c for c in earlier if c.data.get("hours") == hours]
    corrected = same[-1] if same else None  # answered again: a correction, both kept
    data = answers.fields(session.id, hours, corrects=corrected.id if corrected else None)
    baseline = session_baseline(session)
    flags = checkin_flags(data, [c.data for c in earlier], baseline=baseline)
    saved = write_checkin(journal, session, data, flags, at=now)  # with its holds, one write
    again = None
    answered = [*(c.data for c in earlier), data]
    if not flags:
        later = [h for h in required_follow_ups(answered, baseline) if h > hours]
        again = later[0] if later and later[0] > 48 else None
    waits = unsettled(answered, baseline) is not None  # the gate before a session (settling)
    return CheckinResult(
        saved, session, hours, data["soreness"], flags, again, baseline, corrected, waits
    )


# --- asking ---------------------------------------------------------------------------------


def ask_answers(
    talk: Conversation,
    answers: dict[str, Any] | None = None,
    *,
    given: Mapping[str, bool | None] | None = None,
) -> CheckinAnswers:
    """The follow-up questions, through *talk* as in a session: a wrong answer is asked
    again, piped answers are echoed. The warning signs have no default: each needs y or n.
    Each answer goes into *answers* as it is given (so an interruption keeps them); the
    signs in *given* (options) are not asked again."""
    answers = {} if answers is None else answers
    fill_answers(talk, answers, given=given)
    return CheckinAnswers.of(answers)


def ask_and_record(
    journal: Journal,
    item: DueCheckin,
    *,
    talk: Conversation,
    clock: Clock,
    answers: dict[str, Any] | None = None,
    given: Mapping[str, bool | None] | None = None,
) -> CheckinResult:
    """Ask one follow-up's questions (refused first if it is not open yet), then record it
    at the time the answers were given.

    Input that ends (Ctrl-D, a pipe: exit 2) or Ctrl-C (exit 130) keeps every answer given
    so far once the soreness is known, with the holds its red flags place; the warning signs
    not reached are recorded as not asked. The error then says what was kept."""
    from iastm_coach.errors import Interrupted
    from iastm_coach.session.conversation import EndOfInput

    follow_up_hours(item.session, item.hours, clock.now())  # refuse before asking
    answers = {} if answers is None else answers
    try:
        asked = ask_answers(talk, answers, given=given)
    except (KeyboardInterrupt, EndOfInput) as stopped:
        if "soreness" not in answers:
            raise
        kept = record_checkin(
            journal, item.session, CheckinAnswers.of(answers), hours=item.hours, now=clock.now()
        )
        hint = kept_hint(kept)
        if isinstance(stopped, EndOfInput):
            raise EndOfInput(stopped.message, hint=hint, at_terminal=stopped.at_terminal) from None
        raise Interrupted(INTERRUPTED, hint=hint) from None
    return record_checkin(journal, item.session, asked, hours=item.hours, now=clock.now())


def kept_hint(result: CheckinResult) -> str:
    """What an interrupted check-in kept: its answers, what was not asked, any hold."""
    text = (
        f"Kept the answers given so far: the {result.hours} h check-in for {result.place}, "
        f"soreness {result.soreness}/10"
    )
    if result.not_asked:
        text += (
            f" ({', '.join(result.not_asked)} not asked, recorded as unknown; run "
            "`iastm-coach checkin` again to answer them)"
        )
    text += "."
    if result.flags:
        text += f" The {result.region} is on hold: {'; '.join(f.reason for f in result.flags)}."
    return text


def ask_follow_ups(
    journal: Journal,
    items: Sequence[DueCheckin],
    *,
    talk: Conversation,
    clock: Clock,
    asking: Callable[[DueCheckin], None],
    recorded: Callable[[CheckinResult], None],
) -> list[CheckinResult]:
    """Ask about each follow-up in turn; each is recorded (at the time it was answered)
    as soon as it is answered, and handed to *recorded*.

    Input that ends (a pipe) is exit 2, saying how many were recorded; Ctrl-C is exit 130.
    """
    from iastm_coach.errors import Interrupted
    from iastm_coach.session.conversation import EndOfInput

    results: list[CheckinResult] = []
    try:
        for item in items:
            follow_up_hours(item.session, item.hours, clock.now())  # refuse before asking
            asking(item)
            result = ask_and_record(journal, item, talk=talk, clock=clock)
            results.append(result)
            recorded(result)
    except (EndOfInput, Interrupted, KeyboardInterrupt) as error:
        hint = stopped_hint(items, results, error)
        if isinstance(error, EndOfInput):
            if not error.at_terminal:
                hint += (
                    " Run `iastm-coach checkin` in a terminal, pipe one answer per line, or "
                    "give the answers as options: `iastm-coach checkin ID --soreness N`."
                )
            raise EndOfInput(error.message, hint=hint, at_terminal=error.at_terminal) from None
        raise Interrupted(INTERRUPTED, hint=hint) from None
    return results


INTERRUPTED = "the check-in was interrupted (Ctrl-C)"


def stopped_hint(
    items: Sequence[DueCheckin], results: Sequence[CheckinResult], error: BaseException
) -> str:
    """What check-ins cut short kept, and which were not answered: the ones recorded, the
    one answered in part (its `kept_hint`), and the follow-ups not reached."""
    count = len(results)
    parts = []
    if count:
        named = "; ".join(f"the {result.hours} h check-in for {result.place}" for result in results)
        parts.append(f"Recorded: {named}.")
    hint = getattr(error, "hint", None) or ""
    partly = hint.startswith("Kept")
    if partly:
        parts.append(hint)
    left = items[count + partly :]
    if left:
        named = "; ".join(f"the {item.hours} h check-in for {item.place}" for item in left)
        parts.append(f"Not answered yet: {named} (`iastm-coach checkin` asks again).")
    elif not parts:
        parts.append("Nothing was recorded.")
    return " ".join(parts)
