"""`iastm-coach report`: a report for the physio (Markdown, HTML, CSV or JSON).

Only typer and the stdlib are imported at module level; the rest is imported
when the command runs (start-up time matters).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from iastm_coach.commands.common import open_journal, since_moment

if TYPE_CHECKING:
    from iastm_coach.journal.store import Journal


class ReportFormat(StrEnum):
    md = "md"
    html = "html"
    csv = "csv"
    json = "json"


def cmd_report(
    since: Annotated[
        dt.datetime | None,
        typer.Option("--since", formats=["%Y-%m-%d"], help="Only from this day on, YYYY-MM-DD."),
    ] = None,
    fmt: Annotated[
        ReportFormat, typer.Option("--format", help="md, html, csv or json.")
    ] = ReportFormat.md,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of the screen.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --out if it exists.")] = False,
) -> None:
    """A report for your physio: protocols, adherence and exercises, outcome measures,
    soreness, red flags, screening, notes."""
    import gc
    import sys

    from iastm_coach.clock import SystemClock
    from iastm_coach.errors import UsageError
    from iastm_coach.report.build import render

    if out is not None and out.exists() and not force:
        raise UsageError(f"{out} already exists", hint="Choose another --out, or add --force.")

    journal = open_journal()
    # Tens of thousands of small objects, none of them in reference cycles: the
    # cyclic garbage collector would rescan them over and over (about 40 % of the
    # time on a 10,000-session journal), so it is paused while the report is built.
    gc.disable()
    try:
        report = make_report(journal, since=since_moment(since), now=SystemClock().now())
        text = render(report, fmt.value)
    finally:
        gc.enable()
    if out is None:
        from iastm_coach.safe_text import terminal_safe

        # The notes in it were typed by people: no escape sequences reach a terminal.
        sys.stdout.write(terminal_safe(text))
        sys.stdout.flush()
        return
    from iastm_coach.paths import write_private_file

    write_private_file(out, text, overwrite=force)
    # Plain echo: importing Rich for one line would cost more than writing the file.
    typer.echo(f"Wrote the report ({len(report.rows)} sessions, {fmt.value}) to {out}.")


def make_report(journal: Journal, *, since: dt.datetime | None, now: dt.datetime) -> Any:
    """Scan the journal once and build the report model (protocols looked up by region)."""
    from iastm_coach.errors import CoachError
    from iastm_coach.paths import installed_protocols_dir
    from iastm_coach.protocols.files import load_protocol_file
    from iastm_coach.protocols.library import load_builtin, region_index
    from iastm_coach.protocols.model import TreatmentProtocol
    from iastm_coach.report.build import Prescribed, build_report, report_regions
    from iastm_coach.safety.holds import active_holds, fold_holds

    items = list(journal.scan(since=since))
    holds = fold_holds(items).active if since is None else active_holds(journal)
    # The patient's name comes from the protocols their physio issued (installed ones).
    installed: dict[str, TreatmentProtocol] = {}
    for path in sorted(installed_protocols_dir().glob("*.toml")):
        try:
            protocol = load_protocol_file(path, source="installed").protocol
        except CoachError:
            continue  # `protocol list` reports a broken file; the report goes on without it
        installed[protocol.region] = protocol
    patients = [p.issued.patient for p in installed.values() if p.issued and p.issued.patient]
    prescriptions: dict[str, Prescribed | None] = {}
    better: dict[tuple[str, str], bool] = {}
    known = region_index().regions
    for region in sorted(report_regions(items)):
        try:
            found = installed.get(region) or (
                load_builtin(region).protocol if region in known else None
            )
        except CoachError:
            found = None
        p = found.prescription if found else None
        prescriptions[region] = Prescribed(p.sessions_per_week, p.course_weeks) if p else None
        if found is not None and found.outcome is not None:
            better[(region, found.outcome.name)] = found.outcome.higher_is_better
    return build_report(
        items,
        now=now,
        since=since,
        prescriptions=prescriptions,
        patients=patients,
        active_holds=holds,
        caution_labels=caution_labels(),
        higher_is_better=better,
    )


def caution_labels() -> dict[str, str]:
    from iastm_coach.errors import CoachError

    try:
        from iastm_coach.safety.checklist import load_checklist

        return {item.id: item.question for item in load_checklist().item}
    except (CoachError, ImportError):
        return {}
