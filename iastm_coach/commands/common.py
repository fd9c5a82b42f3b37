"""Helpers shared by the commands that read the journal back (history, checkin, log,
trend, report, hold).

Only typer and the stdlib are imported at module level; each helper imports
what it needs when it runs (start-up time matters).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from iastm_coach.journal.store import Journal, Record
    from iastm_coach.safety.redflags import RedFlag

SORENESS_ANCHORS = "0 none, 1-3 mild, 4-6 moderate, 7-10 severe"
SUFFIX_MIN = 4  # shortest id tail accepted by `checkin ID`


def open_journal() -> Journal:
    from iastm_coach.journal.store import Journal
    from iastm_coach.paths import journal_dir

    return Journal(journal_dir())


def resolve_region(name: str) -> str:
    from iastm_coach.protocols.library import region_index

    return region_index().resolve(name)


def since_moment(day: dt.datetime | None) -> dt.datetime | None:
    """`--since YYYY-MM-DD` as local midnight, time zone-aware."""
    from iastm_coach.history.queries import start_of_day

    return None if day is None else start_of_day(day.date())


def print_reminder(journal: Journal, now: dt.datetime) -> None:
    from iastm_coach.history.queries import checkin_reminder
    from iastm_coach.views.ui import say_literal

    line = checkin_reminder(journal, now)
    if line:
        say_literal(line, style="dim")


def show_flags(flags: list[RedFlag], region: str) -> None:
    """The same red-flag panel the session shows."""
    from iastm_coach.views.redflags import red_flag_panel
    from iastm_coach.views.ui import get_console

    get_console().print(red_flag_panel(flags, region))


def find_session(journal: Journal, reference: str) -> Record:
    """A session by full id, or by the unique tail of its id shown in `history`."""
    from iastm_coach.errors import UsageError
    from iastm_coach.journal import records

    ref = reference.strip().upper()
    record = journal.get(ref)
    if record is not None and record.kind == records.SESSION:
        return record
    if len(ref) >= SUFFIX_MIN:
        matches = [
            r for r in journal.recent(kinds={records.SESSION}, limit=500) if r.id.endswith(ref)
        ]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise UsageError(f"'{reference}' matches {len(matches)} sessions; give more of the id")
    raise UsageError(
        f"no session with id '{reference}'",
        hint="`iastm-coach history` shows the last characters of each session id; "
        "`iastm-coach history --json` shows whole ids.",
    )


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

    if not 0 <= value <= 10:
        raise UsageError(
            f"{option} must be a whole number from 0 to 10 (got {value})",
            hint=f"The scale: {SORENESS_ANCHORS}.",
        )
    return value
