"""`iastm-coach schedule [--ics] [--out FILE] [--weeks N] [--at HH:MM]`: the plan ahead,
for the terminal or as a calendar file with reminders.

Only typer and the stdlib are imported at module level; the rest is imported
when the command runs (start-up time matters).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    pass

CALENDAR_HEAD = b"BEGIN:VCALENDAR"


def cmd_schedule(
    ctx: typer.Context,
    ics: Annotated[
        bool, typer.Option("--ics", help="Print an iCalendar (.ics) file with reminders.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the calendar to this file (implies --ics)."),
    ] = None,
    weeks: Annotated[int, typer.Option("--weeks", help="How far ahead, 1 to 12 weeks.")] = 2,
    at: Annotated[
        str | None,
        typer.Option("--at", help="Time of day for sessions, HH:MM (default: your usual)."),
    ] = None,
) -> None:
    """Planned sessions and check-ins ahead, or a calendar of them with reminders.

    Sessions follow each region's prescription (sessions a week, course length) and rest
    period; regions on hold or whose course is over get none. Check-ins are the 24 h and
    48 h (and 72 h when needed) follow-ups not yet answered. Run it again after each
    session: the calendar keeps the same events (stable UIDs), so importing it again
    updates them instead of adding copies.
    """
    from iastm_coach.context import app_context
    from iastm_coach.plans.gather import schedule_plan
    from iastm_coach.plans.schedule import MAX_WEEKS

    if not 1 <= weeks <= MAX_WEEKS:
        from iastm_coach.errors import UsageError

        raise UsageError(f"--weeks must be a whole number from 1 to {MAX_WEEKS} (got {weeks})")
    app = app_context(ctx.obj)
    schedule = schedule_plan(
        app.journal(),
        app.clock.now(),
        protocols_dir=app.protocols_dir,
        weeks=weeks,
        time_of_day=parse_time(at),
    )
    if not ics and out is None:
        from iastm_coach.views.schedule import render_schedule

        app.console().print(render_schedule(schedule))
        return
    from iastm_coach.views.calendar import to_ics

    payload = to_ics(schedule)
    if out is None:
        typer.echo(payload, nl=False)
        return
    write_calendar(out, payload)
    count = len(schedule.sessions) + len(schedule.checkins)
    typer.echo(
        f"Wrote {count} event{'s' * (count != 1)} with reminders to {out}. "
        "Import it into your calendar; after each session, run this again and import "
        "it again to update the same events."
    )


def parse_time(value: str | None) -> dt.time | None:
    if value is None:
        return None
    from iastm_coach.errors import UsageError

    try:
        parsed = dt.datetime.strptime(value.strip(), "%H:%M").time()
    except ValueError:
        raise UsageError(
            f"--at must be a time of day as HH:MM, like 18:30 (got '{value}')"
        ) from None
    return parsed


def write_calendar(path: Path, payload: bytes) -> None:
    """Replace *path* with *payload*, private (0600), through a temporary file and a rename.

    Refused (exit 2): a symbolic link (never followed), anything but a regular file,
    and an existing file that is not a calendar (so a typo cannot overwrite a document).
    """
    from iastm_coach.errors import UsageError
    from iastm_coach.journal.files import replace_file
    from iastm_coach.paths import existing_output

    if existing_output(path) and not _is_calendar(path):
        raise UsageError(
            f"{path} exists and is not a calendar file; it was left as it is",
            hint="Choose another --out, or remove that file first.",
        )
    if not path.parent.is_dir():
        raise UsageError(f"cannot write {path} (its folder does not exist)")
    try:
        replace_file(path, payload)
    except OSError as error:
        raise UsageError(f"cannot write {path} ({error.strerror})") from None


def _is_calendar(path: Path) -> bool:
    from iastm_coach.paths import binary

    try:
        fd = os.open(path, binary(os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)))
    except OSError:
        return False
    try:
        return os.read(fd, len(CALENDAR_HEAD)) == CALENDAR_HEAD
    finally:
        os.close(fd)
