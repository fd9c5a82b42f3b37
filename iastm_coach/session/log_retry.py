"""A `log` typed twice is one session: retrying after an error never makes a duplicate.

A person who saw `log` fail (or was not sure it worked) runs the same command again.
Without `--when` the start is "now minus the minutes", so two runs a few seconds
apart differ only in their times. A logged session is the same as an earlier one when
every answer matches (region, sides, minutes, soreness, warning signs, note) and both
start within `RETRY_WINDOW` of each other: the earlier records are kept, nothing new
is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from iastm_coach.journal.store import Journal, Record

RETRY_WINDOW: Final = timedelta(minutes=2)
SAME_FIELDS: Final = ("region", "source", "actual_s", "soreness", "bruising", "numbness", "note")


def earlier_log(
    journal: Journal, planned: Sequence[Mapping[str, Any]], *, now: datetime
) -> list[Record]:
    """The records of an earlier `log` of the very same session (one per side, as in
    *planned*, the fields about to be written), or [] when there is none."""
    from iastm_coach.journal import records

    recent = journal.recent(kinds={records.SESSION}, since=now - RETRY_WINDOW * 2)
    found: list[Record] = []
    for fields in planned:
        match = next(
            (
                record
                for record in recent
                if record not in found
                and record.data.get("side") == fields["side"]
                and all(record.data.get(name) == fields[name] for name in SAME_FIELDS)
                and _close(record.data.get("started"), fields["started"])
            ),
            None,
        )
        if match is None:
            return []
        found.append(match)
    return found


def _close(earlier: object, started: datetime) -> bool:
    return isinstance(earlier, datetime) and abs(earlier - started) <= RETRY_WINDOW


def unfinished_holds(journal: Journal, region: str, *, now: datetime) -> list[Record]:
    """Holds on *region* placed in the last `RETRY_WINDOW` whose session is not in the
    journal: a `log` killed halfway through its write (holds are written first), so the
    retry finishes it — without being refused for the hold it placed itself."""
    from iastm_coach.journal import records

    recent = journal.recent(kinds={records.HOLD}, since=now - RETRY_WINDOW)
    return [
        hold
        for hold in recent
        if hold.data.get("region") == region
        and journal.get(str(hold.data.get("source", ""))) is None
    ]
