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
    bruising: Annotated[bool, typer.Option("--bruising", help="Bruising beyond redness.")] = False,
    numbness: Annotated[bool, typer.Option("--numbness", help="Numbness or tingling.")] = False,
    swelling: Annotated[bool, typer.Option("--swelling", help="Swelling.")] = False,
    worse: Annotated[bool, typer.Option("--worse", help="Soreness getting worse.")] = False,
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
    from iastm_coach.context import app_context
    from iastm_coach.errors import UsageError
    from iastm_coach.session.checkin import (
        FOLLOW_UPS,
        FOLLOW_UPS_TEXT,
        CheckinAnswers,
        ask_follow_ups,
        find_session,
        follow_ups_to_ask,
        record_checkin,
    )
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
    if soreness is not None and session_id is not None:
        answers = CheckinAnswers(
            check_soreness(soreness), bruising, numbness, swelling, worse, note
        )
        session = find_session(journal, session_id)
        result = record_checkin(journal, session, answers, hours=hours, now=now)
        for shown in checkin_recorded(result):
            app.console().print(shown)
        return
    items = follow_ups_to_ask(journal, session_ref=session_id, hours=hours, now=now)
    if not items:
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
