"""`iastm-coach hold list` and `hold clear`: red-flag holds.

Only typer and the stdlib are imported at module level; the rest is imported
when the command runs (start-up time matters).
"""

from __future__ import annotations

from typing import Annotated

import typer

from iastm_coach.commands.common import JsonFlag, complete_region, resolve_region, say

hold_app = typer.Typer(help="Red-flag holds: list them, or lift one.", no_args_is_help=True)


@hold_app.command("clear")
def cmd_hold_clear(
    ctx: typer.Context,
    region: Annotated[
        str, typer.Argument(help="The region on hold, e.g. calf.", autocompletion=complete_region)
    ],
    reason: Annotated[
        str, typer.Option("--reason", help="Why it is safe to resume (recorded in the journal).")
    ],
    examined_by: Annotated[
        str,
        typer.Option(
            "--examined-by",
            help="The clinician who examined the area (required for a serious sign: "
            "numbness, weakness, swelling, bruising, broken skin or severe soreness; "
            "recorded).",
        ),
    ] = "",
) -> None:
    """Lift a red-flag hold after your clinician has seen the area."""
    from iastm_coach.context import app_context
    from iastm_coach.errors import CoachError
    from iastm_coach.protocols.library import load_for_region
    from iastm_coach.safety.holds import active_holds, clear_hold, serious_rules
    from iastm_coach.safety.redflags import RedFlag, advice_for

    app = app_context(ctx.obj)
    canonical = resolve_region(region)
    journal = app.journal()
    hold = active_holds(journal).get(canonical)
    if hold is not None and serious_rules(hold):
        # The urgent advice again, before the hold goes: it may be the last time it is read.
        flags = [RedFlag(rule, "") for rule in hold.all_rules]
        say(app, f"The {canonical} is on hold for: {hold.reason_text()}.", "red")
        say(app, advice_for(flags, region=canonical), "red")
    clear_hold(
        journal, region=canonical, reason=reason, at=app.clock.now(), examined_by=examined_by
    )
    try:
        percent = load_for_region(canonical).protocol.after_red_flag_percent
    except CoachError:
        percent = 50
    say(
        app,
        f"Lifted the hold on {canonical}; your reason is recorded in the journal. "
        f"The next session runs at {percent} % of the usual time. Stop again at any warning sign.",
    )


@hold_app.command("list")
def cmd_hold_list(
    ctx: typer.Context,
    as_json: JsonFlag = False,
) -> None:
    """Show every region on hold, with the red flag that put it there."""
    from iastm_coach.context import app_context
    from iastm_coach.safety.holds import active_holds, holds_json

    app = app_context(ctx.obj)
    holds = active_holds(app.journal())
    if as_json:
        from iastm_coach.views.json_doc import emit_json

        emit_json(holds_json(holds))
        return
    from iastm_coach.views.history import holds_text

    if not holds:
        app.console().print("No region is on hold.")
        return
    app.console().print(holds_text(holds))
