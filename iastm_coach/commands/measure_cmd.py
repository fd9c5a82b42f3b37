"""`iastm-coach measure REGION`: record the region's self-measured outcome test."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from iastm_coach.commands.protocol_cmd import complete_region

if TYPE_CHECKING:
    from datetime import datetime

    from iastm_coach.journal.store import Record

CAVEAT = (
    "Measure at the same time of day and the same way each time. A change right after a "
    "session is common and says less about the long term than the trend over weeks."
)


class MeasureSide(StrEnum):
    left = "left"
    right = "right"
    none = "none"


def choose_side(region: str, sided: bool, given: str | None) -> str | None:
    """The side to record, None when it must be asked; UsageError when it cannot be right."""
    from iastm_coach.errors import UsageError

    if not sided:
        if given in ("left", "right"):
            raise UsageError(
                f"the {region} has no left or right side",
                hint="Leave out --side (or use --side none).",
            )
        return "none"
    if given == "none":
        raise UsageError(
            f"measure one side of the {region} at a time",
            hint="Use --side left or --side right (test both sides).",
        )
    return given


def cmd_measure(
    ctx: typer.Context,
    region: Annotated[
        str, typer.Argument(help="Body region, e.g. calf.", autocompletion=complete_region)
    ],
    value: Annotated[
        float | None,
        typer.Option("--value", help="The measured value; asked for when left out."),
    ] = None,
    side: Annotated[
        MeasureSide | None,
        typer.Option(help="Which side (none for a region without sides); asked when left out."),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the recorded measurement as JSON (needs --value).")
    ] = False,
) -> None:
    """Record a region's outcome test, such as the knee-to-wall lunge for the calf.

    Without --value, shows how to do the test and asks for the result. Values:
    -100 to 400 for cm and degrees, 0 to 10 for 0-10 scores.
    """
    import json

    from iastm_coach.context import app_context
    from iastm_coach.errors import UsageError
    from iastm_coach.history.measure import (
        check_value,
        describe_previous,
        format_value,
        recent_measures,
        record_measure,
        value_bounds,
    )
    from iastm_coach.journal.store import Journal
    from iastm_coach.paths import journal_dir
    from iastm_coach.protocols.library import load_for_region

    loaded = load_for_region(region)
    protocol = loaded.protocol
    canonical = protocol.region
    outcome = protocol.outcome
    if outcome is None:
        raise UsageError(
            f"the {canonical} protocol has no outcome test to measure",
            hint=(
                "Ask your physio to add an [outcome] table (name, unit, how) to the protocol "
                "file; `iastm-coach protocol schema` shows the format."
            ),
        )
    if value is None and json_output:
        raise UsageError(
            "--json needs --value (there is no one to answer the question)",
            hint=f"For example: iastm-coach measure {canonical} --value 9.5 --json",
        )
    chosen = choose_side(canonical, protocol.access.sided, side.value if side else None)
    if chosen is None and value is not None:
        raise UsageError(
            f"say which side of the {canonical} you measured",
            hint="Add --side left or --side right.",
        )
    if value is not None:
        value = check_value(value, outcome.unit)

    now = app_context(ctx.obj).clock.now()
    journal = Journal(journal_dir())
    journal.check_writable(now)  # before the first question, not after the answer
    test, unit = outcome.name, outcome.unit

    def record_standalone(value: float, side: str, at: datetime) -> Record:
        return record_measure(
            journal,
            region=canonical,
            side=side,
            test=test,
            unit=unit,
            value=value,
            phase="standalone",
            session_id="",
            at=at,
        )

    if value is None:
        from rich.text import Text

        from iastm_coach.session.conversation import LineConversation
        from iastm_coach.views.ui import get_console, literal

        console = get_console()
        talk = LineConversation(console, sys.stdin)
        talk.show(
            Text(f"Outcome test for the {canonical}: ", style="bold")
            + literal(test, "bold")
            + literal(f" ({unit})"),
            literal(outcome.how),
        )
        if chosen is None:
            chosen = talk.ask_choice("Which side did you measure?", ["left", "right"])
        previous = describe_previous(
            recent_measures(journal, region=canonical, test=test, now=now, side=chosen), now
        )
        if previous:
            talk.show(literal("Last: " + " · ".join(previous), "dim"))
        low, high = value_bounds(unit)
        value = talk.ask_float(f"Your result ({unit})", low=low, high=high)
        if value is None:
            talk.show(literal("Nothing recorded."))
            return
        now = app_context(ctx.obj).clock.now()
        record_standalone(value, chosen, now)
        talk.show(
            literal(f"Recorded {test}{_side_text(chosen)}: {format_value(value, unit)}."),
            literal(CAVEAT, "dim"),
        )
        return

    assert chosen is not None
    earlier = recent_measures(journal, region=canonical, test=test, now=now, side=chosen)
    record = record_standalone(value, chosen, now)
    if json_output:
        from iastm_coach.history.measure import measure_value

        payload = {
            "id": record.id,
            "at": record.at.isoformat(),
            **dict(record.data),
            "previous": [
                {
                    "id": r.id,
                    "at": r.at.isoformat(),
                    "side": str(r.data.get("side", "")),
                    "value": measure_value(r),
                    "unit": str(r.data.get("unit", "")),
                    "phase": str(r.data.get("phase", "")),
                }
                for r in earlier
            ],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    from iastm_coach.views.ui import say_literal

    say_literal(f"Recorded {test}{_side_text(chosen)}: {format_value(value, unit)}.")
    previous = describe_previous(earlier, now)
    if previous:
        say_literal("Last: " + " · ".join(previous), style="dim")
    say_literal(CAVEAT, style="dim")


def _side_text(side: str) -> str:
    return f", {side}" if side in ("left", "right") else ""
