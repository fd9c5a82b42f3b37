"""`iastm-coach checkin`: the 24 h, 48 h (72 h, and day 5-7) follow-ups of a session.

Only typer and the stdlib are imported at module level; the rest is imported
when the command runs (start-up time matters).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import typer

from iastm_coach.commands.common import (
    SORENESS_ANCHORS,
    check_note,
    check_soreness,
    find_session,
    open_journal,
    show_flags,
)
from iastm_coach.safety.followups import WINDOWS

if TYPE_CHECKING:
    from iastm_coach.clock import Clock
    from iastm_coach.journal.store import Journal, Record
    from iastm_coach.session.conversation import Conversation


def cmd_checkin(
    session_id: Annotated[
        str | None,
        typer.Argument(
            metavar="SESSION_ID",
            help="Answer for this session (its id, or the last characters shown by history).",
        ),
    ] = None,
    soreness: Annotated[
        int | None,
        typer.Option(help=f"Soreness now, 0-10 ({SORENESS_ANCHORS}); answers without asking."),
    ] = None,
    bruising: Annotated[
        bool | None,
        typer.Option(
            "--bruising/--no-bruising", help="Bruising beyond redness.", show_default=False
        ),
    ] = None,
    numbness: Annotated[
        bool | None,
        typer.Option("--numbness/--no-numbness", help="Numbness or tingling.", show_default=False),
    ] = None,
    swelling: Annotated[
        bool | None, typer.Option("--swelling/--no-swelling", help="Swelling.", show_default=False)
    ] = None,
    worse: Annotated[
        bool | None,
        typer.Option("--worse/--no-worse", help="Soreness getting worse.", show_default=False),
    ] = None,
    hours: Annotated[
        int | None,
        typer.Option(
            "--hours", help="The follow-up answered: 24, 48, 72 or 120 (default: from the time)."
        ),
    ] = None,
    note: Annotated[str, typer.Option("--note", help="A note for your journal.")] = "",
) -> None:
    """Follow up on recent sessions: soreness and warning signs 24 h and 48 h later.

    Without options it asks about every follow-up that is due. A red flag puts
    the region on hold.
    """
    from iastm_coach.clock import SystemClock
    from iastm_coach.errors import UsageError
    from iastm_coach.history.queries import (
        checkins_of,
        due_checkins,
        follow_up_at,
        follow_up_due,
        session_end,
    )
    from iastm_coach.views.ui import say

    check_note(note)  # before anything is asked or written
    journal = open_journal()
    clock = SystemClock()
    now = clock.now()
    journal.check_writable(now)  # before the first question, not after the last
    if hours is not None and hours not in WINDOWS:
        raise UsageError(f"--hours must be 24, 48, 72 or 120 (got {hours})")
    if soreness is not None:
        if session_id is None:
            raise UsageError(
                "--soreness needs a SESSION_ID",
                hint="Run `iastm-coach checkin` without options to be asked about each "
                "due follow-up.",
            )
        check_soreness(soreness)
        session = find_session(journal, session_id)
        given = {"bruising": bruising, "numbness": numbness, "swelling": swelling, "worse": worse}
        answers: dict[str, Any] = {"soreness": soreness, "note": note}
        from iastm_coach.session.keys import stdin_is_terminal

        if any(answer is None for answer in given.values()) and stdin_is_terminal():
            # At a terminal, the warning signs not given as options are asked, not assumed.
            follow_up_hours(session, hours, now)  # refuse before asking, not after
            ask_and_record(
                journal,
                session,
                hours=hours,
                clock=clock,
                talk=line_conversation(),
                answers=answers,
                given=given,
                show_due=False,
            )
            return
        answers.update({sign: answer for sign, answer in given.items() if answer is not None})
        record_checkin(journal, session, answers, hours=hours, now=now)
        return
    if session_id is not None:
        session = find_session(journal, session_id)
        if hours is None:
            checkins = checkins_of(journal, session)
            due_item = follow_up_due(session, checkins, now)
            open_now = follow_up_at(session_end(session), now)
            answered = {checkin.data.get("hours") for checkin in checkins}
            if due_item is None and open_now is not None and open_now in answered:
                raise UsageError(
                    f"the {open_now} h follow-up of that session is already answered",
                    hint=f"Add --hours {open_now} to answer it again (the later answer counts).",
                )
            if due_item is None:
                raise UsageError(
                    "no follow-up of that session is open now",
                    hint="Follow-ups open 20 h after a session; one left unanswered stays "
                    "due for two weeks; add --hours to answer one anyway.",
                )
            hours = due_item.hours
        follow_up_hours(session, hours, now)  # refuse before asking, not after
        ask_all(journal, [(session, hours)], clock=clock)
        return
    due = due_checkins(journal, now)
    if not due:
        from iastm_coach.journal import records

        if not journal.recent(kinds={records.SESSION}, limit=1):  # first use: what to do
            say(
                "Nothing to check in yet: check-ins follow a session. Start with "
                "`iastm-coach session REGION` (`iastm-coach protocol list` shows the regions)."
            )
            return
        say("No check-ins are due. Follow-ups open 20 h after a session.")
        return
    ask_all(journal, [(item.session, item.hours) for item in due], clock=clock)


def ask_and_record(
    journal: Journal,
    session: Record,
    *,
    hours: int | None,
    clock: Clock,
    talk: Conversation,
    answers: dict[str, Any] | None = None,
    given: dict[str, bool | None] | None = None,
    show_due: bool = True,
) -> None:
    """Ask one follow-up's questions, then record it (at the time the answers were given).

    The questions go through *talk*, as in a session: a wrong answer is asked
    again, piped answers are echoed. Input that ends (Ctrl-D, a pipe: exit 2) or
    Ctrl-C (exit 130) keeps every answer given so far once the soreness is known,
    with its holds; the warning signs not reached are recorded as not asked.
    """
    from iastm_coach.errors import Interrupted
    from iastm_coach.history.queries import DueCheckin, session_end
    from iastm_coach.session.conversation import EndOfInput
    from iastm_coach.session.followup_answers import ask_answers
    from iastm_coach.views.history import due_line

    if show_due and hours is not None:
        ended = session_end(session)
        item = DueCheckin(
            session,
            hours,
            ended + dt.timedelta(hours=WINDOWS[hours][0]),
            ended + dt.timedelta(hours=WINDOWS[hours][1]),
        )
        talk.show(due_line(item))
    answers = {} if answers is None else answers
    try:
        ask_answers(talk, answers, given=given)
    except (KeyboardInterrupt, EndOfInput) as stopped:
        if "soreness" not in answers:
            raise
        record_checkin(journal, session, answers, hours=hours, now=clock.now())
        kept = (
            "Kept the answers given so far (the questions not reached are recorded as not asked)."
        )
        if isinstance(stopped, EndOfInput):
            raise EndOfInput(stopped.message, hint=kept) from None
        raise Interrupted("Interrupted.", hint=kept) from None
    record_checkin(journal, session, answers, hours=hours, now=clock.now())


def line_conversation() -> Conversation:
    """Questions on standard output, answers from standard input (a terminal or a pipe)."""
    import sys

    from iastm_coach.session.conversation import LineConversation
    from iastm_coach.views.ui import get_console

    return LineConversation(get_console(), sys.stdin)


def ask_all(journal: Journal, items: list[tuple[Record, int]], *, clock: Clock) -> None:
    """Ask about each (session, follow-up) in turn; each is recorded once answered."""
    from iastm_coach.session.conversation import EndOfInput

    talk = line_conversation()
    answered = 0
    try:
        for session, hours in items:
            ask_and_record(journal, session, hours=hours, clock=clock, talk=talk)
            answered += 1
    except EndOfInput as error:
        partly = error.hint is not None and error.hint.startswith("Kept")
        done = (
            f"{answered} check-in{'s' * (answered != 1)} answered before it "
            f"{'is' if answered == 1 else 'are'} recorded. "
        )
        raise EndOfInput(
            error.message,
            hint=(done if answered else "")
            + (f"{error.hint} " if partly else "")
            + "Run `iastm-coach checkin` in a terminal, pipe one answer per line, or give "
            "the answers as options: `iastm-coach checkin ID --soreness N`.",
        ) from None


def follow_up_hours(session: Record, hours: int | None, now: dt.datetime) -> int:
    """The follow-up a check-in at *now* answers: *hours* if given (not before its window
    opens; late is fine), else the window *now* falls in. UsageError otherwise."""
    from iastm_coach.errors import UsageError
    from iastm_coach.history.queries import follow_up_at, session_end

    ended = session_end(session)
    if hours is None:
        hours = follow_up_at(ended, now)
        if hours is None:
            elapsed = (now - ended) / dt.timedelta(hours=1)
            raise UsageError(
                f"no follow-up is open {elapsed:.0f} h after that session",
                hint="Follow-ups are answered from 20 h to two weeks after a session; add "
                "--hours 24, 48, 72 or 120 "
                "to record one you noted down at the time.",
            )
    opens = ended + dt.timedelta(hours=WINDOWS[hours][0])
    if now < opens:
        raise UsageError(
            f"too early for the {hours} h follow-up: it opens at "
            f"{opens.astimezone():%a %Y-%m-%d %H:%M}",
            hint="Follow-ups open 20 h (24 h), 40 h (48 h), 64 h (72 h) and 5 days (120 h) "
            "after the session.",
        )
    return hours


def record_checkin(
    journal: Journal,
    session: Record,
    answers: dict[str, Any],
    *,
    hours: int | None,
    now: dt.datetime,
) -> Record:
    """Validate the follow-up, then write the check-in and a hold for each red flag in one
    write. A second answer to the same follow-up is a new record naming the one it
    corrects (`corrects`): both are kept, the newest counts."""
    from iastm_coach.history.queries import (
        checkins_of,
        follow_up_due,
        place_label,
        session_baseline,
    )
    from iastm_coach.safety.followups import required_follow_ups
    from iastm_coach.safety.redflags import checkin_flags
    from iastm_coach.session.followup_answers import checkin_fields, not_asked_line, write_checkin
    from iastm_coach.views.ui import say_literal

    earlier = checkins_of(journal, session)
    if hours is None:  # the follow-up due now: the open one, or one left unanswered
        due = follow_up_due(session, earlier, now)
        hours = due.hours if due is not None else None
    hours = follow_up_hours(session, hours, now)
    same = [c for c in earlier if c.data.get("hours") == hours]
    data = checkin_fields(session.id, hours, answers, corrects=same[-1].id if same else None)
    region = str(session.data.get("region", ""))
    baseline = session_baseline(session)
    flags = checkin_flags(data, [c.data for c in earlier], baseline=baseline)
    saved = write_checkin(journal, session, data, flags, at=now)  # with its holds, in one write
    place = place_label(region, str(session.data.get("side", "none")))
    say_literal(f"Recorded the {hours} h check-in for {place}: soreness {data['soreness']}/10.")
    if same:
        before = same[-1]
        say_literal(
            f"It corrects the answer given {before.at.astimezone():%a %H:%M} "
            f"(soreness {before.data.get('soreness')}/10), which stays in the journal; "
            "the newest answer counts."
        )
    missing = not_asked_line(data)
    if missing:
        say_literal(missing)
    if flags:
        show_flags(flags, region)
    else:
        later = [
            h
            for h in required_follow_ups([*(c.data for c in earlier), data], baseline)
            if h > hours
        ]
        if later and later[0] > 48:
            when = "on day 5 to 7" if later[0] == 120 else f"at {later[0]} h"
            say_literal(
                f"Soreness is not back to your usual ({baseline}/10) yet: you will be asked "
                f"again {when}, and the next {region} session waits for that answer."
            )
    return saved
