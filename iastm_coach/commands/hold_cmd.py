"""`iastm-coach hold list` and `hold clear`: red-flag holds.

Only typer and the stdlib are imported at module level; the rest is imported
when the command runs (start-up time matters).
"""

from __future__ import annotations

from typing import Annotated

import typer

from iastm_coach.commands.common import resolve_region
from iastm_coach.commands.protocol_cmd import complete_region

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
) -> None:
    """Lift a red-flag hold, ideally after your clinician has seen the area."""
    from iastm_coach.context import app_context
    from iastm_coach.errors import CoachError
    from iastm_coach.protocols.library import load_for_region
    from iastm_coach.safety.holds import clear_hold
    from iastm_coach.views.ui import literal

    app = app_context(ctx.obj)
    canonical = resolve_region(region)
    clear_hold(app.journal(), region=canonical, reason=reason, at=app.clock.now())
    try:
        percent = load_for_region(canonical).protocol.after_red_flag_percent
    except CoachError:
        percent = 50
    app.console().print(
        literal(
            f"Lifted the hold on {canonical}; your reason is recorded in the journal. "
            f"The next session runs at {percent} % of the usual time. "
            "Stop again at any warning sign."
        )
    )


@hold_app.command("list")
def cmd_hold_list(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="Machine-readable output (fields in the README).")
    ] = False,
) -> None:
    """Show every region on hold, with the red flag that put it there."""
    from iastm_coach.context import app_context
    from iastm_coach.safety.holds import active_holds, holds_json

    app = app_context(ctx.obj)
    holds = active_holds(app.journal())
    if as_json:
        import json

        typer.echo(json.dumps(holds_json(holds), ensure_ascii=False, indent=1))
        return
    from iastm_coach.views.history import holds_text

    if not holds:
        app.console().print("No region is on hold.")
        return
    app.console().print(holds_text(holds))
