"""Argument helpers shared by the commands (`--json`, regions, days, the soreness scale), and the
quiet check-in reminder several commands end with.

Only typer and the stdlib are imported at module level; each helper imports
what it needs when it runs (start-up time matters).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from iastm_coach.context import AppContext
    from iastm_coach.journal.store import Journal

# `--json` on every command that has one; its fields and `*_version` are in the README.
JsonFlag = Annotated[
    bool, typer.Option("--json", help="Machine-readable output (fields in the README).")
]


def resolve_region(name: str) -> str:
    """A region's id from its name or an alias (installed regions included); UsageError
    otherwise."""
    from iastm_coach.protocols.library import region_index

    return region_index().resolve(name)


def since_moment(day: dt.datetime | None) -> dt.datetime | None:
    """`--since YYYY-MM-DD` as local midnight, time zone-aware."""
    from iastm_coach.history.queries import start_of_day

    return None if day is None else start_of_day(day.date())


def print_reminder(app: AppContext, journal: Journal, now: dt.datetime) -> None:
    """One dim line when follow-ups are due."""
    from iastm_coach.history.queries import checkin_reminder
    from iastm_coach.views.ui import literal

    line = checkin_reminder(journal, now)
    if line:
        app.console().print(literal(line, "dim"))


def say(app: AppContext, text: str, style: str = "") -> None:
    """Our own line on the context's standard output, shown literally (it may quote a
    file name or a protocol's text)."""
    from iastm_coach.views.ui import literal

    app.console().print(literal(text, style))


def check_note(note: str) -> str:
    """`--note` up to `safe_text.NOTE_MAX` characters; UsageError (exit 2) otherwise."""
    from iastm_coach.errors import UsageError
    from iastm_coach.safe_text import note_too_long

    problem = note_too_long(note)
    if problem is not None:
        raise UsageError(f"--note is too long: {problem}")
    return note


def check_soreness(value: int, option: str = "--soreness") -> int:
    from iastm_coach.errors import UsageError
    from iastm_coach.vocabulary import SORENESS_ANCHORS

    if not 0 <= value <= 10:
        raise UsageError(
            f"{option} must be a whole number from 0 to 10 (got {value})",
            hint=f"The scale: {SORENESS_ANCHORS}.",
        )
    return value


def complete_region(incomplete: str) -> list[str]:
    """Shell completion for region names and aliases (here, not with the protocol
    commands: every command with a region imports it, and start-up time counts)."""
    from iastm_coach.protocols.library import region_index

    index = region_index()
    names = list(index.regions) + sorted(index.aliases)
    return [name for name in names if name.startswith(incomplete)]
