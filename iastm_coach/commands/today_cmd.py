"""`iastm-coach today` (and `iastm-coach` alone): what should I do today?

Only typer and the stdlib are imported at module level; the rest is imported
when the command runs (start-up time matters).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    pass

TODAY_JSON_VERSION = 1  # `today --json`: the fields of TodayPlan.to_json, after this one


def run_today(obj: Any, *, json_output: bool) -> None:
    """Show today's plan (the root callback calls this when no command is given)."""
    from iastm_coach.context import app_context
    from iastm_coach.plans.gather import today_plan

    app = app_context(obj)
    plan = today_plan(app.journal(), app.clock.now(), protocols_dir=app.protocols_dir)
    if json_output:
        from iastm_coach.views.json_doc import emit_json, versioned

        emit_json(versioned("today", TODAY_JSON_VERSION, plan.to_json()))
        return
    from iastm_coach.views.today import render_plan

    app.console().print(render_plan(plan))


def cmd_today(
    ctx: typer.Context,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the plan as JSON (fields above).")
    ] = False,
) -> None:
    """Today's plan: which regions are due, resting (until when), on hold (and why),
    which check-ins are due, and the command that starts the next session.

    Running `iastm-coach` with no command shows the same screen.

    \b
    Exit status: 0 whenever the plan is shown, whatever it says (2: bad option;
    4: the journal is damaged). Scripts and shell prompts should read --json:
      due            [{region, command, note, last_session, sessions_this_week,
                      sessions_per_week}]
      resting        [{region, until, last_session, sessions_this_week, sessions_per_week}]
      on_hold        [{region, reason, since, rule, reasons, rules, held_region, note}]
      done_for_week  [{region, last_session, sessions_this_week, sessions_per_week}]
      checkins_due   [{session_id, region, side, hours, closes}]
      problems       [{region, message}]
      review         [{region, reason, last_session, sessions_this_week, sessions_per_week}]
      waiting        [{region, reason, last_session, sessions_this_week, sessions_per_week}]
      next_command   the command for the next due session, or null
      next_due_at    when nothing is due: when the next region has rested, or null
      now, week_start, new_user
    """
    run_today(ctx.obj, json_output=json_output)
