"""`iastm-coach today` (and `iastm-coach` alone): what should I do today?

Only typer and the stdlib are imported at module level; the rest is imported
when the command runs (start-up time matters).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from iastm_coach.history.today import RegionRules, TodayPlan
    from iastm_coach.protocols.files import LoadedProtocol
    from iastm_coach.safety.zones import RegionLinks

TODAY_JSON_VERSION = 1  # `today --json`: the fields of TodayPlan.to_json, after this one


def rules_for(region: str, loaded: LoadedProtocol | None = None) -> RegionRules:
    """A region's rules from its installed protocol, else the built-in one."""
    from iastm_coach.history.today import RegionRules
    from iastm_coach.protocols.library import load_for_region
    from iastm_coach.safety.zones import links_of

    protocol = (loaded or load_for_region(region)).protocol
    prescription = protocol.prescription
    return RegionRules(
        region=region,
        rest_hours=protocol.settings.rest_hours,
        sessions_per_week=prescription.sessions_per_week if prescription else None,
        links=links_of(protocol),
    )


def installed_regions() -> list[str]:
    from iastm_coach.paths import installed_protocols_dir

    directory = installed_protocols_dir()
    return sorted(path.stem for path in directory.glob("*.toml")) if directory.is_dir() else []


def build_plan(obj: Any) -> TodayPlan:
    from iastm_coach.context import app_context
    from iastm_coach.errors import CoachError
    from iastm_coach.history.today import gather_today
    from iastm_coach.journal.store import Journal
    from iastm_coach.paths import journal_dir
    from iastm_coach.protocols.library import load_for_region
    from iastm_coach.safety.course import course_facts, review_due
    from iastm_coach.safety.settling import waiting_reason
    from iastm_coach.safety.zones import links_of, remembered

    now = app_context(obj).clock.now()
    journal = Journal(journal_dir())
    protocols: dict[str, LoadedProtocol] = {}

    def protocol_of(region: str) -> LoadedProtocol:  # each protocol read once
        if region not in protocols:
            protocols[region] = load_for_region(region)
        return protocols[region]

    def links_for(region: str) -> RegionLinks | None:
        try:
            return links_of(protocol_of(region).protocol)
        except CoachError:
            return None

    linked = remembered(links_for)

    def review_for(region: str) -> str | None:
        loaded = protocol_of(region)
        return review_due(loaded.protocol, course_facts(journal, loaded, now), now)

    def waiting_for(region: str) -> str | None:
        return waiting_reason(journal, links_of(protocol_of(region).protocol), now, linked)

    return gather_today(
        journal,
        now,
        rules_for=lambda region: rules_for(region, protocol_of(region)),
        installed=installed_regions(),
        review_for=review_for,
        waiting_for=waiting_for,
    )


def run_today(obj: Any, *, json_output: bool) -> None:
    """Show today's plan (the root callback calls this when no command is given)."""
    plan = build_plan(obj)
    if json_output:
        from iastm_coach.views.json_doc import emit_json, versioned

        emit_json(versioned("today", TODAY_JSON_VERSION, plan.to_json()))
        return
    from iastm_coach.views.today import render_plan
    from iastm_coach.views.ui import get_console

    get_console().print(render_plan(plan))


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
