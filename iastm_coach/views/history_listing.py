"""`iastm-coach history`: the table (or JSON) written session by session as it is read.

Rich is not imported: the lines come from `views.history_table` and go out
through `views.output` (styles, pager, closed pipes), so the first screen
shows at once and the whole listing costs time in proportion to the journal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain, islice
from typing import TYPE_CHECKING, Final

from iastm_coach.history.queries import checkin_reminder, row_dict
from iastm_coach.history.stream import HistoryStream
from iastm_coach.journal.cache import paused_gc
from iastm_coach.views.history_table import (
    HistoryTable,
    holds_lines,
    literal,
    ours,
    wrap,
)
from iastm_coach.views.output import Listing, listing, terminal_width
from iastm_coach.views.runs import Line
from iastm_coach.vocabulary import day_text

if TYPE_CHECKING:
    from iastm_coach.history.queries import SessionRow
    from iastm_coach.journal.store import Journal
    from iastm_coach.plans.deviations import RowMarker
    from iastm_coach.safety.holds import Hold

FIRST_PAGE: Final = 50  # rows that choose the column widths, and are written at once
BATCH: Final = 200  # rows per write after that
LATEST: Final = datetime.max.replace(tzinfo=UTC)
EMPTY: Final = (
    "No sessions recorded yet. Record one with `iastm-coach session REGION`, or "
    "`iastm-coach log REGION --soreness N` for one done without the timer."
)


class HoldsSoFar:
    """The holds placed since the rows shown so far (folded again only when the stream
    has read more hold records)."""

    def __init__(self, stream: HistoryStream, region: str | None) -> None:
        self.stream = stream
        self.region = region
        self._seen = -1
        self._active: dict[str, Hold] = {}

    def active(self, *, since: datetime | None = None) -> dict[str, Hold]:
        if not self.stream.hold_records:
            return {}
        from iastm_coach.safety.holds import fold_holds

        if since is not None:
            found = fold_holds(r for r in self.stream.hold_records if r.at >= since).active
        else:
            if self._seen != len(self.stream.hold_records):
                self._seen = len(self.stream.hold_records)
                self._active = fold_holds(self.stream.hold_records).active
            found = self._active
        if self.region is not None:
            return {r: h for r, h in found.items() if r == self.region}
        return found


def show_history(
    journal: Journal,
    *,
    region: str | None,
    last: int | None,
    since: datetime | None,
    as_json: bool,
    page: bool,
    now: datetime,
) -> None:
    """Write the newest *last* sessions (every one when None), newest first.

    *page*: through the pager when standard output is a terminal. Holds placed
    since the oldest session shown are listed after the table (every hold with
    *last* None and no *since*); holds still in force from before them follow,
    introduced as such, only when there are some.
    """
    # The table shows no outcome measures: only JSON rows carry them.
    stream = HistoryStream(journal, region=region, since=since, measures=as_json)
    rows: Iterator[SessionRow] = iter(stream) if last is None else islice(stream, last)
    # Tens of thousands of small objects, none in a reference cycle: the collector would
    # only scan them again and again (5-7 % of listing a long journal).
    with paused_gc(), listing(page=page) as out:
        if as_json:
            write_json(out, rows)
            return
        holds = HoldsSoFar(stream, region)
        width = terminal_width()
        marker = deviation_marker(stream)
        rows = marker.rows(rows)
        first = list(islice(rows, FIRST_PAGE))
        shown = Shown()
        if not first:
            out.write(wrap(ours(EMPTY), width))
        else:
            table = HistoryTable(first, holds=holds.active(), width=width)
            out.write(table.head())
            shown = write_rows(out, table, first, rows, holds)
        footer = marker.footer()
        marker.remember_facts(journal.directory)
        if footer:
            out.write(wrap(literal(footer, "red"), width))
        everything = last is None and since is None
        # Holds placed since the oldest session shown, minus those lifted since: the
        # history of the last few sessions reads only the last months of the journal.
        # (`hold list` and `iastm-coach today` read every hold.)
        active = holds.active(since=None if everything else shown.oldest_at)
        if active:
            out.write(holds_lines(active, width))
        older_may_exist = last is not None and shown.count >= last
        if shown.count and (older_may_exist or since is not None):
            # Older sessions exist or may: a hold placed before them is not folded in
            # above. Say so only when there is one (every hold is read only here).
            from iastm_coach.safety.holds import hold_state

            older = {
                r: h
                for r, h in hold_state(journal).active.items()
                if r not in active and (region is None or r == region)
            }
            if older:
                oldest = shown.oldest_started
                out.write(
                    wrap(
                        ours(f"Placed before {day_text(oldest)}, still in force:", "dim"),
                        width,
                    )
                )
                out.write(holds_lines(older, width))
        reminder = checkin_reminder(journal, now)
        if reminder:
            out.write(wrap(literal(reminder, "dim"), width))


def deviation_marker(stream: HistoryStream) -> RowMarker:
    """A '!' per row that deviates from the plan (the report's rules), against the facts
    of the protocol files on disk (each read when a row needs it)."""
    from iastm_coach.plans.deviations import (
        RowMarker,
        plan_facts_on_disk,
        remembered_plan_facts,
    )

    known = remembered_plan_facts(stream.journal.directory)
    return RowMarker(stream.hold_records, plan_facts_on_disk(known))


@dataclass
class Shown:
    """What the table showed: how many sessions, and the oldest."""

    count: int = 0
    oldest_at: datetime | None = None
    oldest_started: datetime = LATEST


def write_rows(
    out: Listing,
    table: HistoryTable,
    first: list[SessionRow],
    rest: Iterator[SessionRow],
    holds: HoldsSoFar,
) -> Shown:
    """Write the first page at once, then the rest in batches."""
    # Counted in local names, not on `Shown`: this loop runs once per session shown.
    count, oldest_started, last = 0, LATEST, None
    lines: list[Line] = []
    for last in chain(first, rest):
        lines += table.row(last, holds.active() if last.flags else {}, first=count == 0)
        count += 1
        if last.started < oldest_started:
            oldest_started = last.started
        if count == len(first) or count % BATCH == 0:
            out.write(lines)
            out.flush()  # the first screen shows while the rest is read
            lines = []
    out.write(lines)
    # Newest first: the last row written is the oldest.
    return Shown(count, None if last is None else last.record.at, oldest_started)


def write_json(out: Listing, rows: Iterator[SessionRow]) -> None:
    """`{"history_version": 1, "sessions": [...]}` exactly as the one JSON emitter writes
    it (views/json_doc.py), one session at a time."""
    from iastm_coach.views.json_doc import json_chunks

    sessions = (row_dict(row) for row in rows)
    for count, chunk in enumerate(json_chunks({"history_version": 1}, "sessions", sessions)):
        out.text(chunk)
        if count == FIRST_PAGE:
            out.flush()
