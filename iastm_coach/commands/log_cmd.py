"""`iastm-coach log REGION`: record a session done without the timer.

The recording and its red-flag rules live in `session/log.py`.
Only typer and the stdlib are imported at module level; the rest is imported
when the command runs (start-up time matters).
"""

from __future__ import annotations

from typing import Annotated

import typer

from iastm_coach.commands.common import check_note, check_soreness, complete_region, print_reminder
from iastm_coach.vocabulary import SORENESS_ANCHORS, SideChoice


def cmd_log(
    ctx: typer.Context,
    region: Annotated[
        str, typer.Argument(help="Body region, e.g. calf.", autocompletion=complete_region)
    ],
    soreness: Annotated[
        int, typer.Option(help=f"Soreness right after, 0-10 ({SORENESS_ANCHORS}).")
    ],
    minutes: Annotated[
        float | None,
        typer.Option(help="Treatment minutes, all sides together (default: the protocol's time)."),
    ] = None,
    when: Annotated[
        str | None,
        typer.Option(help="When it started, e.g. '2026-03-02 18:30' (default: now)."),
    ] = None,
    side: Annotated[
        SideChoice | None,
        typer.Option(
            help="left, right or both (default both, or the side a one-side plan prescribes; "
            "only for regions with sides)."
        ),
    ] = None,
    bruising: Annotated[bool, typer.Option("--bruising", help="Bruising beyond redness.")] = False,
    numbness: Annotated[bool, typer.Option("--numbness", help="Numbness or tingling.")] = False,
    note: Annotated[str, typer.Option(help="A note for your journal.")] = "",
    override_hold: Annotated[
        bool,
        typer.Option(
            "--override-hold",
            help="Record a session done while the region was on hold (a clinician treated "
            "it, say). Recorded, and shown to your physio as a deviation.",
        ),
    ] = False,
) -> None:
    """Record a session done without the timer (at a clinic, say).

    Sided regions record both sides (a one-side plan: its side) unless --side says
    otherwise.
    """
    from iastm_coach.context import app_context
    from iastm_coach.protocols.library import load_for_region
    from iastm_coach.session.log import LogRequest, log_session, parse_when
    from iastm_coach.views.recorded import session_logged

    app = app_context(ctx.obj)
    check_note(note)  # before anything is asked or written
    check_soreness(soreness)
    now = app.clock.now()
    request = LogRequest(
        soreness=soreness,
        minutes=minutes,
        started=parse_when(when, now) if when else None,
        side=side.value if side else None,
        bruising=bruising,
        numbness=numbness,
        note=note,
        override_hold=override_hold,
    )
    journal = app.journal()
    logged = log_session(journal, load_for_region(region), request, now=now)
    for shown in session_logged(logged):
        app.console().print(shown)
    print_reminder(app, journal, now)
