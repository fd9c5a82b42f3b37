"""Rendering protocols for people: the library table and the full protocol view."""

from __future__ import annotations

from typing import Any

from rich.box import HEAVY_HEAD
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from iastm_coach.protocols.files import LoadedProtocol
from iastm_coach.protocols.library import LibraryEntry
from iastm_coach.protocols.model import TreatmentProtocol, sides_a_sitting
from iastm_coach.session.issuer import provenance_lines
from iastm_coach.views.shown import line_text
from iastm_coach.views.ui import boxed, literal, table_box


def minutes(seconds: float) -> str:
    whole, rest = divmod(round(seconds), 60)
    return f"{whole}:{rest:02d}"


def sides_treated(protocol: TreatmentProtocol) -> int:
    """Sides a sitting treats: both for a sided region unless the plan names one."""
    return sides_a_sitting(protocol.access.sided, protocol.access.sides)


def library_table(entries: list[LibraryEntry]) -> Table:
    table = Table(title="Protocols", title_justify="left", box=table_box(HEAVY_HEAD))
    for column in ("Region", "Title", "Areas", "Minutes", "Source"):
        table.add_column(column, justify="right" if column in ("Areas", "Minutes") else "left")
    for entry in entries:
        active = entry.active
        if active is None:
            table.add_row(literal(entry.region), "", "", "", literal(f"REFUSED: {entry.problem}"))
            continue
        protocol = active.protocol
        sides = sides_treated(protocol)
        source = active.origin()
        if entry.installed is not None and entry.builtin is not None:
            source += " (replaces the built-in)"
        elif protocol.custom_region:
            source += " (custom region)"
        table.add_row(
            literal(protocol.region),
            literal(protocol.title),
            str(len(protocol.area)),
            minutes(protocol.planned_seconds(sides=sides)),
            literal(source),
        )
    return table


def _source_fields(loaded: LoadedProtocol) -> dict[str, Any]:
    issued = loaded.protocol.issued
    fields: dict[str, Any] = {
        "source": loaded.source,
        "issued_by": issued.label() if issued else None,
        "patient": issued.patient if issued else None,
        "signature": loaded.signature.state,
        "signed_by": loaded.signature.signer or None,
        "signing_key": loaded.signature.fingerprint or None,
        "pin": loaded.pin,
        "custom_region": loaded.protocol.custom_region,
        "fingerprint": loaded.fingerprint,
        "path": str(loaded.path),
    }
    return fields


def library_json(entries: list[LibraryEntry]) -> list[Any]:
    """`protocol list --json`: one object per region, for the protocol in use."""
    rows: list[dict[str, Any]] = []
    for entry in entries:
        active = entry.active
        if active is None:
            rows.append({"region": entry.region, "refused": entry.problem})
            continue
        protocol = active.protocol
        rows.append(
            {
                "region": protocol.region,
                "title": protocol.title,
                "areas": len(protocol.area),
                "seconds": protocol.planned_seconds(sides=sides_treated(protocol)),
                **_source_fields(active),
                "replaces_builtin": entry.installed is not None and entry.builtin is not None,
            }
        )
    return rows


def protocol_json(loaded: LoadedProtocol) -> dict[str, Any]:
    """`protocol show --json`: the protocol's fields plus where it came from."""
    return {**_source_fields(loaded), "protocol": loaded.protocol.model_dump(mode="json")}


def protocol_view(loaded: LoadedProtocol) -> RenderableType:
    """The whole protocol, readable top to bottom."""
    p = loaded.protocol
    parts: list[RenderableType] = []
    header = Text.assemble(
        literal(p.title, "bold"),
        f"  (region {p.region}, version {p.version})\n",
        "Source: ",
        literal(loaded.origin()),
        f"\nFingerprint: {loaded.short_fingerprint}  ",
        literal(f"({loaded.path})", "dim"),
    )
    parts.append(header)
    parts += [line_text(line) for line in provenance_lines(loaded)]
    if p.issued:
        issued = p.issued
        lines = [
            ("Issued by", issued.label()),
            ("For", issued.patient or ""),
            ("Issued on", str(issued.issued_on or "")),
            ("Review by", str(issued.review_by or "")),
        ]
        text = Text()
        for label, value in lines:
            if value:
                text.append(f"{label}: ")
                text.append_text(literal(value))
                text.append("\n")
        if issued.notes:
            text.append("Notes: ")
            text.append_text(literal(issued.notes))
        parts.append(boxed(text, title="Prescription"))
    parts.append(literal(p.summary))
    access = p.access
    if not access.self_reachable:
        reach = "You cannot reach this region well yourself: ask a partner to do the strokes."
    elif access.hard_to_reach_alone:
        reach = "This region is hard to reach on your own: a partner can help."
    else:
        reach = "You can reach this region yourself."
    sides = "Treat the left and right side in turn." if access.sided else "One side only."
    if access.sided and access.sides and len(access.sides) == 1:
        sides = f"The {access.sides[0]} side only (as prescribed)."
    settings = p.settings
    prep = Text()
    for label, value in (
        ("Reach", reach),
        ("Sides", sides),
        ("Position", access.position),
        ("Tool", settings.tool),
        ("Warm-up", settings.warm_up),
        ("Emollient", settings.emollient),
        ("Rest", f"at least {settings.rest_hours} h before treating this region again"),
        ("Limit", f"at most {settings.max_session_minutes} minutes a session"),
    ):
        prep.append(f"{label}: ", style="bold")
        prep.append_text(literal(value))
        prep.append("\n")
    if p.prescription:
        prep.append("Course: ", style="bold")
        prep.append(
            f"{p.prescription.sessions_per_week} sessions a week for "
            f"{p.prescription.course_weeks} weeks\n"
        )
    parts.append(boxed(prep, title="Before you start"))

    areas = Table(
        title="Areas, in order", title_justify="left", show_lines=True, box=table_box(HEAVY_HEAD)
    )
    # Seven columns (stroke, angle and pressure share one) leave the cues and danger zones
    # room at 80 columns; a word still too long wraps, never cut short with '…'.
    for column in ("#", "Area", "Time", "Stroke", "Direction", "Cues", "Avoid"):
        areas.add_column(column, overflow="fold")
    for number, area in enumerate(p.area, start=1):
        areas.add_row(
            str(number),
            literal(area.name),
            minutes(area.duration_s),
            f"{area.stroke}\n{area.angle_deg}°\n{area.pressure}",
            literal(area.direction),
            literal("\n".join(f"• {cue}" for cue in area.cues)),
            literal("\n".join(f"• {place}" for place in area.avoid) or "-"),
        )
    parts.append(areas)
    if p.exercise:
        exercises = Table(
            title="Exercises afterwards", title_justify="left", box=table_box(HEAVY_HEAD)
        )
        for column in ("Exercise", "Dose", "Cue"):
            exercises.add_column(column)
        for exercise in p.exercise:
            dose = (
                f"{exercise.sets} × {exercise.reps} reps"
                if exercise.reps
                else f"{exercise.sets} × {exercise.hold_s} s hold"
            )
            exercises.add_row(literal(exercise.name), dose, literal(exercise.cue))
        parts.append(exercises)
    if p.outcome:
        outcome = Text.assemble(
            ("Outcome test: ", "bold"),
            literal(p.outcome.name),
            f" ({p.outcome.unit}, {'higher' if p.outcome.higher_is_better else 'lower'}"
            " is better)\n",
            literal(p.outcome.how),
        )
        parts.append(outcome)
    if p.dose_rule:
        rules = Text("Dose rules:\n", style="bold")
        for rule in p.dose_rule:
            rules.append_text(literal(f"  - {rule.explain}\n"))
        parts.append(rules)
    parts.append(literal("References: " + "; ".join(p.references), "dim"))
    return Group(*parts)
