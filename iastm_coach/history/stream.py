"""History of everything, streamed: rows newest first, made as the journal is read back.

`session_rows` joins a known set of sessions with everything written since the
oldest of them; for every session of ten years that means building all rows
before the first can be shown. `HistoryStream` reads the journal backwards in
blocks of months and hands out each session as soon as every record that can
belong to it has been read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

from iastm_coach.history.queries import (
    COMPANION_KINDS,
    SITTING_SPAN,
    SessionRow,
    between,
    join_rows,
    sitting_key,
)
from iastm_coach.journal import records
from iastm_coach.journal.records import session_start

if TYPE_CHECKING:
    from iastm_coach.journal.store import Journal, Record

MONTH_FILE: Final = re.compile(r"(\d{4})-(\d{2})\.toml")  # the journal's month files

SITTING_WAIT: Final = timedelta(days=1)  # a session logged later waits no longer for its sitting
BLOCK_MONTHS: Final = 16  # the most month files read before rows are handed out


class HistoryStream:
    """History rows newest first, made month by month as the journal is read backwards.

    The rows are those of `session_rows` (sessions of *region*, started since
    *since*), each joined with its check-ins, holds, exercises and measures by
    `join_rows`. A session is handed out once every month that can hold its
    companions has been read: check-ins and holds are written after it; the
    measures and exercises of its sitting from `SITTING_SPAN` before it started
    (at most `SITTING_WAIT` before it was written, for a session logged long
    after it happened). So the first rows come after reading a month or two,
    however large the journal, and reading everything costs time in proportion
    to its size. Companions are kept only until their session is handed out.

    `hold_records` are the hold and hold_clear records read so far (newest months
    first): fold them for the holds placed since a row.
    """

    def __init__(
        self,
        journal: Journal,
        *,
        region: str | None = None,
        since: datetime | None = None,
        measures: bool = True,
    ) -> None:
        self.journal = journal
        self.region = region
        self.since = since
        self.measures = measures  # False: rows without their outcome measures (`measure`)
        self.hold_records: list[Record] = []
        self._checkins: dict[str, list[Record]] = {}
        self._measures: dict[str, list[Record]] = {}
        self._holds_by_source: dict[str, list[Record]] = {}
        self._exercises_by_sitting: dict[tuple[str, str], list[Record]] = {}
        self._exercises_by_session: dict[str, list[Record]] = {}

    def __iter__(self) -> Iterator[SessionRow]:
        # Newest months first: on a first read, a helper fills the cache of the oldest.
        with self.journal.first_read(newest_first=True):
            yield from self._joined()

    def _joined(self) -> Iterator[SessionRow]:
        waiting: list[Record] = []  # sessions read, not yet handed out, newest first
        for month_start, month in self._months():  # newest first
            sessions = []
            for record in month:
                if record.kind == records.SESSION:
                    if self._wanted(record):
                        sessions.append(record)
                elif record.kind in COMPANION_KINDS:
                    self._keep(record)
            sessions.reverse()
            waiting.extend(sessions)
            ready = 0
            while ready < len(waiting) and self._complete(waiting[ready], month_start):
                ready += 1
            if ready:
                yield from self._rows(waiting[:ready])
                del waiting[:ready]
            if not waiting and self.since is not None and month_start <= self.since:
                return
        yield from self._rows(waiting)

    def _months(self) -> Iterator[tuple[datetime, list[Record]]]:
        """Records (oldest first) from a month start to the end of what was read before,
        newest first: one month, then two, four, ... up to `BLOCK_MONTHS` at a time, so
        the first rows come quickly and the journal lists its month files a few times
        only, not once a month."""
        starts: list[datetime] = []
        for path in self.journal.month_files():
            match = MONTH_FILE.fullmatch(path.name)
            if match is not None:
                starts.append(datetime(int(match.group(1)), int(match.group(2)), 1, tzinfo=UTC))
        end: datetime | None = None
        size = 1
        while starts:
            block, starts = starts[-size:], starts[:-size]
            start = block[0]
            found = (
                # The newest month is kept in memory: the next block reads on into it.
                list(self.journal.scan(kinds=ALL_KINDS, since=start, remember=True))
                if end is None
                else between(self.journal, start, end, ALL_KINDS)
            )
            yield start, found
            end = start
            size = min(size * 2, BLOCK_MONTHS)

    def _wanted(self, record: Record) -> bool:
        if self.region is not None and record.data.get("region") != self.region:
            return False
        if self.since is None:
            return True
        started = record.data.get("started")
        return record.at >= self.since and (
            not isinstance(started, datetime) or started >= self.since
        )

    @staticmethod
    def _complete(session: Record, read_back_to: datetime) -> bool:
        """Whether every companion *session* can have has been read."""
        earliest = min(session.at, session_start(session) - SITTING_SPAN)
        return max(earliest, session.at - SITTING_WAIT) >= read_back_to

    def _keep(self, record: Record) -> None:
        data = record.data
        kind = record.kind
        if kind == records.CHECKIN:
            self._checkins.setdefault(str(data.get("session", "")), []).append(record)
        elif kind == records.MEASURE:
            self._measures.setdefault(str(data.get("session", "")), []).append(record)
        elif kind == records.EXERCISE:
            key = (str(data.get("region", "")), str(data.get("group", "")))
            self._exercises_by_sitting.setdefault(key, []).append(record)
            self._exercises_by_session.setdefault(str(data.get("session", "")), []).append(record)
        elif kind == records.HOLD:
            self.hold_records.append(record)
            self._holds_by_source.setdefault(str(data.get("source", "")), []).append(record)
        elif kind == records.HOLD_CLEAR:
            self.hold_records.append(record)

    def _rows(self, sessions: Sequence[Record]) -> list[SessionRow]:
        """*sessions* joined with what was kept for them (handed over: forgotten here)."""
        if not sessions:
            return []
        companions: dict[str, Record] = {}
        for session in sessions:
            checkins = self._checkins.pop(session.id, [])
            for item in [session, *checkins]:
                for hold in self._holds_by_source.get(item.id, ()):
                    companions[hold.id] = hold
            measures = self._measures.pop(session.id, [])
            for item in checkins + (measures if self.measures else []):
                companions[item.id] = item
            for item in self._exercises_by_sitting.get(sitting_key(session), ()):
                companions[item.id] = item
            for item in self._exercises_by_session.get(session.id, ()):
                companions[item.id] = item
        return join_rows(sessions, companions.values())


ALL_KINDS: Final = frozenset({records.SESSION}) | COMPANION_KINDS
