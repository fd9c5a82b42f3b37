"""`iastm-coach report`: a report for the physio (Markdown, HTML, CSV or JSON).

Only typer and the stdlib are imported at module level; the rest is imported
when the command runs (start-up time matters).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from iastm_coach.commands.common import since_moment


class ReportFormat(StrEnum):
    md = "md"
    html = "html"
    csv = "csv"
    json = "json"
    fhir = "fhir"


def cmd_report(
    ctx: typer.Context,
    since: Annotated[
        dt.datetime | None,
        typer.Option("--since", formats=["%Y-%m-%d"], help="Only from this day on, YYYY-MM-DD."),
    ] = None,
    fmt: Annotated[
        ReportFormat,
        typer.Option("--format", help="md, html, csv, json or fhir."),
    ] = ReportFormat.md,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of the screen.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --out if it exists.")] = False,
    schema: Annotated[
        bool, typer.Option("--schema", help="Print the JSON Schema of --format json and stop.")
    ] = False,
) -> None:
    """A report for your physio: deviations, protocols, adherence and exercises, outcome
    measures, soreness, red flags, screening, notes."""
    import gc

    from iastm_coach.context import app_context
    from iastm_coach.errors import UsageError
    from iastm_coach.report.stored import report_text

    app = app_context(ctx.obj)
    if schema:
        from iastm_coach.report.schema import report_schema
        from iastm_coach.views.json_doc import emit_json, versioned

        emit_json(versioned("schema", 1, report_schema()))
        return
    if out is not None and out.exists() and not force:
        raise UsageError(f"{out} already exists", hint="Choose another --out, or add --force.")

    journal = app.journal()
    now = app.clock.now()
    # Tens of thousands of small objects, none of them in reference cycles: the
    # cyclic garbage collector would rescan them over and over (about 40 % of the
    # time on a 10,000-session journal), so it is paused while the report is built.
    gc.disable()
    try:
        sessions, text = report_text(journal, since=since_moment(since), now=now, fmt=fmt.value)
    finally:
        gc.enable()
    if out is None:
        from iastm_coach.safe_text import terminal_safe

        # The notes in it were typed by people: no escape sequences reach a terminal.
        app.write(terminal_safe(text))
        return
    from iastm_coach.paths import write_private_file

    write_private_file(out, text, overwrite=force)
    # Plain echo: importing Rich for one line would cost more than writing the file.
    typer.echo(f"Wrote the report ({sessions} sessions, {fmt.value}) to {out}.")
