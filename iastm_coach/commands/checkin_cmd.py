"""`iastm-coach checkin`: the 24 h, 48 h (72 h, and day 5-7) follow-ups of a session.

The rules (which follow-up, red flags, holds) live in `session/checkin.py`.
Only typer and the stdlib are imported at module level; the rest is imported
when the command runs (start-up time matters).
"""

from __future__ import annotations

from typing import Annotated

import typer

from iastm_coach.commands.common import check_note, check_soreness
from iastm_coach.vocabulary import SORENESS_ANCHORS


def cmd_checkin(
    ctx: typer.Context,
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
    """Follow up on recent sessions: soreness and warning signs at 24 h, 48 h and later.

    Without options it asks about every follow-up that is due: 24 h and 48 h after
    every session, 72 h and day 5-7 when the answers call for them. A red flag puts
    the region on hold.
    """
    from iastm_coach.context import app_context
    from iastm_coach.errors import UsageError
    from iastm_coach.session.checkin import (
        FOLLOW_UPS,
        FOLLOW_UPS_TEXT,
        CheckinAnswers,
        answer_hours,
        ask_and_record,
        ask_follow_ups,
        due_item,
        find_session,
        follow_ups_to_ask,
        record_checkin,
    )
    from iastm_coach.session.keys import stdin_is_terminal
    from iastm_coach.views.history import due_line
    from iastm_coach.views.recorded import checkin_recorded

    app = app_context(ctx.obj)
    check_note(note)  # before anything is asked or written
    if hours is not None and hours not in FOLLOW_UPS:
        raise UsageError(f"--hours must be {FOLLOW_UPS_TEXT} (got {hours})")
    if soreness is not None and session_id is None:
        raise UsageError(
            "--soreness needs a SESSION_ID",
            hint="Run `iastm-coach checkin` without options to be asked about each due follow-up.",
        )
    journal = app.journal()
    now = app.clock.now()
    journal.check_writable(now)  # before the first question, not after the last
    if soreness is not None and session_id is not None:
        given = {"bruising": bruising, "numbness": numbness, "swelling": swelling, "worse": worse}
        session = find_session(journal, session_id)
        if None in given.values() and stdin_is_terminal():
            # At a terminal, the warning signs not given as options are asked, not assumed.
            item = due_item(session, answer_hours(journal, session, hours, now))
            talk = app.talk()
            result = ask_and_record(
                journal,
                item,
                talk=talk,
                clock=app.clock,
                answers={"soreness": check_soreness(soreness), "note": note},
                given=given,
            )
        else:  # from a script: the signs not given are recorded as not asked
            answers = CheckinAnswers(
                check_soreness(soreness), bruising, numbness, swelling, worse, note
            )
            result = record_checkin(journal, session, answers, hours=hours, now=now)
        from iastm_coach.views.shown import render

        for shown in checkin_recorded(result):
            app.console().print(render(shown))
        return
    items = follow_ups_to_ask(journal, session_ref=session_id, hours=hours, now=now)
    if not items:
        if not journal.recent(kinds={"session"}, limit=1):  # first use: what to do
            app.console().print(
                "Nothing to check in yet: check-ins follow a session. Start with "
                "`iastm-coach session REGION` (`iastm-coach protocol list` shows the regions)."
            )
            return
        app.console().print("No check-ins are due. Follow-ups open 20 h after a session.")
        return
    talk = app.talk()
    ask_follow_ups(
        journal,
        items,
        talk=talk,
        clock=app.clock,
        asking=lambda item: talk.show(due_line(item)),
        recorded=lambda result: talk.show(*checkin_recorded(result)),
    )
