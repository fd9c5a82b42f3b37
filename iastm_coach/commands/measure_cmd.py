"""`iastm-coach measure REGION`: record the region's self-measured outcome test."""

from __future__ import annotations

from typing import Annotated

import typer

from iastm_coach.commands.common import complete_region
from iastm_coach.vocabulary import BODY_SIDES, MeasuredSide, is_body_side

CAVEAT = (
    "Measure at the same time of day and the same way each time. A change right after a "
    "session is common and says less about the long term than the trend over weeks."
)


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
        MeasuredSide | None,
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
    from iastm_coach.context import app_context
    from iastm_coach.errors import UsageError
    from iastm_coach.history.measure import describe_previous, format_value, value_bounds
    from iastm_coach.history.measuring import (
        earlier_values,
        outcome_of,
        record_standalone,
        side_to_measure,
    )
    from iastm_coach.protocols.library import load_for_region
    from iastm_coach.views.ui import literal

    app = app_context(ctx.obj)
    protocol = load_for_region(region).protocol
    canonical = protocol.region
    outcome = outcome_of(protocol)
    if value is None and json_output:
        raise UsageError(
            "--json needs --value (there is no one to answer the question)",
            hint=f"For example: iastm-coach measure {canonical} --value 9.5 --json",
        )
    chosen = side_to_measure(canonical, protocol.access.sided, side.value if side else None)
    if chosen is None and value is not None:
        raise UsageError(
            f"say which side of the {canonical} you measured",
            hint="Add --side left or --side right.",
        )
    journal = app.journal()
    journal.check_writable()  # before the first question, not after the answer
    test, unit = outcome.name, outcome.unit

    if value is None:  # asked, as in a session
        from iastm_coach.session.shown import line

        talk = app.talk()
        talk.show(
            line(f"Outcome test for the {canonical}: {test}", (f" ({unit})", ""), tone="strong"),
            line(outcome.how),
        )
        if chosen is None:
            chosen = talk.ask_choice("Which side did you measure?", list(BODY_SIDES))
        now = app.clock.now()
        previous = describe_previous(earlier_values(journal, protocol, side=chosen, now=now), now)
        if previous:
            talk.show(line("Last: " + " · ".join(previous), tone="quiet"))
        low, high = value_bounds(unit)
        answer = talk.ask_float(f"Your result ({unit})", low=low, high=high)
        if answer is None:
            talk.show(line("Nothing recorded."))
            return
        record_standalone(journal, protocol, side=chosen, value=answer, now=app.clock.now())
        talk.show(
            line(f"Recorded {test}{_side_text(chosen)}: {format_value(answer, unit)}."),
            line(CAVEAT, tone="quiet"),
        )
        return

    assert chosen is not None
    now = app.clock.now()
    measured = record_standalone(journal, protocol, side=chosen, value=value, now=now)
    if json_output:
        from iastm_coach.views.json_doc import emit_json

        emit_json({"measure_version": 1, **measured.to_json()})
        return
    console = app.console()
    recorded = measured.record.data["value"]
    console.print(literal(f"Recorded {test}{_side_text(chosen)}: {format_value(recorded, unit)}."))
    previous = describe_previous(measured.earlier, now)
    if previous:
        console.print(literal("Last: " + " · ".join(previous), "dim"))
    console.print(literal(CAVEAT, "dim"))


def _side_text(side: str) -> str:
    return f", {side}" if is_body_side(side) else ""
