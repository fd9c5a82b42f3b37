"""`iastm-coach session REGION`: the guided self-treatment session."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from iastm_coach.commands.common import complete_region
from iastm_coach.vocabulary import SideChoice

if TYPE_CHECKING:
    from iastm_coach.context import AppContext
    from iastm_coach.journal.store import Record


def use_plain_mode(plain: bool, app: AppContext) -> bool:
    """Plain line-by-line mode: asked for, NO_COLOR, or no terminal on either end."""
    from iastm_coach.views.ui import plain_requested

    if plain or plain_requested():
        return True
    try:
        return not (os.isatty(app.input.fileno()) and os.isatty(app.console().file.fileno()))
    except (OSError, ValueError, AttributeError):
        return True


def cmd_session(
    ctx: typer.Context,
    region: Annotated[
        str | None,
        typer.Argument(help="Body region, e.g. calf.", autocompletion=complete_region),
    ] = None,
    protocol: Annotated[
        Path | None,
        typer.Option("--protocol", help="Use this protocol file (validated first)."),
    ] = None,
    side: Annotated[
        SideChoice | None, typer.Option(help="Which side; asked when not given.")
    ] = None,
    plain: Annotated[
        bool, typer.Option("--plain", help="Line-by-line prompts, no live screen.")
    ] = False,
    bell: Annotated[bool, typer.Option(help="Ring the terminal bell between areas.")] = True,
    override_rest: Annotated[
        bool,
        typer.Option(
            "--override-rest",
            help="Treat before the rest period is over, when your clinician said so: at least "
            "24 h after the last session, once per rest period (recorded; never while on hold).",
        ),
    ] = False,
    clinician_said_sooner: Annotated[
        bool,
        typer.Option(
            "--clinician-said-sooner",
            help="With --override-rest: answers yes to 'Did your clinician tell you to treat "
            "this region sooner?' without asking (for scripts; recorded).",
        ),
    ] = False,
    course_reviewed: Annotated[
        bool,
        typer.Option(
            "--course-reviewed",
            help="When the course is over or nothing has improved: answers yes to 'Have you "
            "reviewed it with your clinician?' without asking (recorded).",
        ),
    ] = False,
) -> None:
    """Run a guided session: safety check, timed strokes, aftercare, journal.

    Keys during the timer: space pause/resume, n next area, q quit, ? help.
    """
    from iastm_coach.clock import time_scale
    from iastm_coach.context import app_context
    from iastm_coach.session.area_check import check_with_keys, check_with_line
    from iastm_coach.session.deps import SessionDeps, SessionRequest
    from iastm_coach.session.flow import run_session
    from iastm_coach.session.keys import NoKeys, open_keys
    from iastm_coach.session.timer import RunResult, Step, confirm_with_keys, run_plan
    from iastm_coach.views.timer import make_timer_view

    app = app_context(ctx.obj)
    plain_mode = use_plain_mode(plain, app)
    console = app.plain_console() if plain_mode else app.console()
    clock = app.clock
    scale = time_scale()

    def run_timer(plan: list[Step]) -> RunResult:
        # Plain mode keeps the keys when a person is at the keyboard (a screen reader,
        # `| cat`): pause, next and quit work, and typed keys never reach the next answer.
        with open_keys(clock, interactive=True, hide_cursor=not plain_mode) as keys:
            live_keys = not isinstance(keys, NoKeys)
            view = make_timer_view(
                console, plain=plain_mode, bell=bell, clock=clock, keys=live_keys
            )
            return run_plan(
                plan,
                clock=clock,
                keys=keys,
                view=view,
                time_scale=scale,
                bell=bell,
                confirm_quit=confirm_with_keys(keys, view),
                # The discomfort check at each area break: one key live, one line plain.
                check_between=check_with_keys(keys, view) if live_keys else check_with_line(talk),
            )

    journal = app.journal()
    journal.check_writable(clock.now())  # before the first question, not after the last
    talk = app.talk(plain=plain_mode)

    def ask_checkin(session: Record, hours: int) -> None:
        """An open follow-up, asked as `checkin` asks it, before the session goes on."""
        from iastm_coach.session.checkin import ask_and_record, due_item
        from iastm_coach.views.history import due_line
        from iastm_coach.views.recorded import checkin_recorded

        item = due_item(session, hours)
        talk.show(due_line(item))
        talk.show(*checkin_recorded(ask_and_record(journal, item, talk=talk, clock=clock)))

    deps = SessionDeps(
        clock=clock,
        journal=journal,
        talk=talk,
        run_timer=run_timer,
        time_scale=scale,
        ask_checkin=ask_checkin,
    )
    request = SessionRequest(
        region=region,
        protocol_file=protocol,
        side=side.value if side else None,
        override_rest=override_rest,
        clinician_said_sooner=clinician_said_sooner,
        course_reviewed=course_reviewed,
    )
    from iastm_coach.output_guard import output_cannot_stop_saving

    with output_cannot_stop_saving():  # `| tee log` and Ctrl-C: the session is still saved
        run_session(request, deps)
