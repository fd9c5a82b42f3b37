"""Queries over the journal: sessions joined with their check-ins, and due follow-ups.

Everything here reads through `Journal.recent`, whose cost depends on how far
back it has to look, not on the size of the journal: history of the last N
sessions, due check-ins (at most four days back) and the reminder line stay
fast after ten years of sessions. Full scans belong to `report`.

Follow-up windows (hours after the session ended; contiguous up to 96 h, so any moment
belongs to at most one follow-up):

    24 h follow-up: from 20 h to 40 h
    48 h follow-up: from 40 h to 64 h
    72 h follow-up: from 64 h to 96 h, when the latest answer up to 48 h is above the
                    person's usual soreness for the region (or "getting worse")
    120 h "has it settled?": from day 5 to day 7, when the 72 h answer is above usual

A needed follow-up never expires silently: when its window has passed unanswered and no
later one is open, it stays due (a late answer: how it is now) for 14 days
(`history/followups.py` has the schedule); a check-in given late inside its window
still answers that follow-up.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import compress, count, islice
from operator import attrgetter, ge
from typing import TYPE_CHECKING, Any, Final

from iastm_coach.history.followups import (
    FOLLOW_UP_HORIZON,
    WINDOWS,
    answered_hours,
    follow_up_to_ask,
    required_follow_ups,
    window_at,
)
from iastm_coach.journal import records
from iastm_coach.journal.records import session_end as session_end  # re-exported
from iastm_coach.journal.records import session_start
from iastm_coach.vocabulary import place_label as place_label  # re-exported

if TYPE_CHECKING:
    from iastm_coach.history.outcomes import SessionChange
    from iastm_coach.journal.store import Journal, Record

LOOK_BACK: Final = FOLLOW_UP_HORIZON + timedelta(hours=1)  # follow-ups stay due this long
CHECKIN_HORIZON: Final = timedelta(days=14)  # dose and rules ignore check-ins written later
SITTING_SPAN: Final = timedelta(hours=2)  # the sides of one sitting are written together
BY_TIME: Final = attrgetter("at", "id")  # record order: time written, then id


def in_record_order(found: list[Record]) -> list[Record]:
    """*found* in record order (`BY_TIME`), sorted in place when it is not. A journal read
    in order almost always is: when the times rise (ties in id order), which one pass
    over them checks, there is nothing to sort (25,000 records: 2 ms to check, 7 to sort)."""
    times = [record.at for record in found]
    for i in compress(count(), map(ge, times, islice(times, 1, None))):  # where not rising
        if not (times[i] == times[i + 1] and found[i].id <= found[i + 1].id):
            found.sort(key=BY_TIME)
            break
    return found


# --- one session, joined with its follow-ups ---------------------------------------------


@dataclass(frozen=True)
class CheckinNote:
    """A note written with a check-in: the follow-up it answered, and when it was written."""

    hours: int
    note: str
    at: datetime | None = None


@dataclass(slots=True)  # not frozen: see `SessionRow`
class CheckinAnswer:
    """One answer to a follow-up, corrected ones included (`corrects`: the id of the
    answer this one corrects); `not_asked`: the warning signs left unknown."""

    id: str
    hours: int
    at: datetime
    soreness: int | None
    not_asked: tuple[str, ...] = ()
    corrects: str = ""

    @classmethod
    def of(cls, record: Record) -> CheckinAnswer:
        data = record.data
        soreness = data.get("soreness")
        not_asked = data.get("not_asked")  # rarely there: no tuple built for nothing
        # In field order, not by keyword: a report makes 20,000 (keywords cost 40 % more).
        return cls(
            record.id,  # id
            int(data.get("hours", 0)),  # hours
            record.at,  # at
            soreness if isinstance(soreness, int) and soreness >= 0 else None,  # soreness
            tuple(map(str, not_asked)) if not_asked else (),  # not_asked
            str(data.get("corrects", "") or ""),  # corrects
        )


@dataclass(frozen=True, slots=True)
class ExerciseSets:
    """The guided exercises of one sitting of one region: sets done of sets planned."""

    done: int
    planned: int
    exercises: int  # how many exercises were offered (skipped ones count, with 0 sets)

    def sets(self) -> str:
        """'6/9 sets'."""
        return f"{self.done}/{self.planned} sets"

    def text(self) -> str:
        """'ex 6/9 sets'."""
        return f"ex {self.sets()}"


@dataclass(slots=True)
class SessionRow:
    """A session record with what its check-ins, holds, exercises and measures added later.

    The fields people see are read from the record once (`from_record`):
    reports touch them many times for thousands of sessions.

    Treat a row as read-only (derive another with `dataclasses.replace`). It is not
    `frozen` only because a frozen dataclass sets each field through
    `object.__setattr__`: for the 10,000 rows and 20,000 check-in answers of a ten-year
    report that was a fifth of joining them (28 ms).
    """

    record: Record
    id: str
    region: str
    side: str
    group: str
    started: datetime
    ended: datetime
    complete: bool
    planned_s: int
    actual_s: int
    soreness_after: int | None
    note: str
    fingerprint: str
    dose_percent: int
    soreness_by_hours: Mapping[int, int] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    checkin_notes: tuple[CheckinNote, ...] = ()
    exercise: ExerciseSets | None = None  # the sitting's exercises (the same on each side)
    checkin_answers: tuple[CheckinAnswer, ...] = ()  # every answer, oldest first
    measure: SessionChange | None = None  # the outcome test before and after this side

    @classmethod
    def from_record(
        cls,
        record: Record,
        *,
        soreness_by_hours: Mapping[int, int] | None = None,
        flags: tuple[str, ...] = (),
        checkin_notes: tuple[CheckinNote, ...] = (),
        exercise: ExerciseSets | None = None,
        measure: SessionChange | None = None,
        checkin_answers: tuple[CheckinAnswer, ...] = (),
    ) -> SessionRow:
        get = record.data.get  # a report reads 10,000 of these: one lookup, not fourteen
        started = get("started")
        soreness = get("soreness", -1)
        # In field order, not by keyword: keywords made this a third slower. The tests
        # check it against the same row built by keyword.
        return cls(
            record,  # record
            record.id,  # id
            str(get("region", "")),  # region
            str(get("side", "none")),  # side
            str(get("group", "")) or record.id,  # group
            started if isinstance(started, datetime) else record.at,  # started
            session_end(record),  # ended
            bool(get("complete", True)),  # complete
            int(get("planned_s", 0)),  # planned_s
            int(get("actual_s", 0)),  # actual_s
            soreness if isinstance(soreness, int) and soreness >= 0 else None,  # soreness_after
            str(get("note", "")),  # note
            str(get("protocol_fingerprint", "")),  # fingerprint
            int(get("dose_percent", 100)),  # dose_percent
            soreness_by_hours or {},  # soreness_by_hours
            flags,  # flags
            checkin_notes,  # checkin_notes
            exercise,  # exercise
            checkin_answers,  # checkin_answers
            measure,  # measure
        )

    @property
    def data(self) -> Mapping[str, Any]:
        return self.record.data

    def soreness_at(self, hours: int) -> int | None:
        return self.soreness_by_hours.get(hours)

    def answers_at(self, hours: int) -> list[CheckinAnswer]:
        """Every answer to the *hours* follow-up, oldest first (the last one counts)."""
        return [answer for answer in self.checkin_answers if answer.hours == hours]

    def place(self) -> str:
        """'calf (left)', or just 'calf' for a region without sides."""
        return place_label(self.region, self.side)

    def protocol_label(self) -> str:
        """'built-in', 'issued by Dr X', or the protocol's source."""
        return protocol_label(self.data)

    def status(self, *, dose: bool = True) -> str:
        """'complete' or 'interrupted', then ', logged' for a session recorded with `log`,
        then (with *dose*) the dose when it was scaled: 'interrupted, 70 % dose'."""
        text = "complete" if self.complete else "interrupted"
        if self.complete:  # what the person chose with `n`, as the timer said it
            areas = [a for a in self.data.get("areas") or [] if isinstance(a, dict)]
            for status, said in (("skipped", "skipped"), ("partial", "ended early")):
                count = sum(1 for area in areas if area.get("status") == status)
                if count:
                    text += f", {count} area{'s' * (count != 1)} {said}"
        if self.data.get("source") == "log":
            text += ", logged"
        if dose and self.dose_percent != 100:
            text += f", {self.dose_percent} % dose"
        return text


def protocol_label(data: Mapping[str, Any]) -> str:
    source = str(data.get("protocol_source", ""))
    issued_by = str(data.get("issued_by", ""))
    if source == "built-in":
        return "built-in"
    signature = str(data.get("protocol_signature", ""))
    signed_by = str(data.get("signed_by", ""))
    signed = {
        "trusted": f", signed by a trusted clinician ({signed_by})",
        "unknown-key": ", signed with an untrusted key",
        "unsigned": ", unsigned",
    }.get(signature, "")  # older records say nothing about signatures
    if key := str(data.get("signing_key", "")):
        signed += f" with key {key[:19]}"  # a physio tells their key from one made in their name
    if issued_by:
        return f"issued by {issued_by}{signed}"
    return (source or "unknown") + signed


def join_rows(
    sessions: Iterable[Record],
    companions: Iterable[Record],
    *,
    measure_changes: Mapping[str, SessionChange] | None = None,
    in_order: bool = False,
) -> list[SessionRow]:
    """Attach check-ins (latest answer per follow-up wins), hold rules, exercises and
    outcome measures to sessions.

    *companions* are check-in, hold, exercise and measure records in any order
    (other kinds are ignored); holds are matched to a session through their
    `source` (the session or one of its check-ins), exercises to every side of
    the sitting (region and `group`, or the session they name), measures to
    the session they name. A caller that has already paired the measures
    passes them as *measure_changes* (session id → change) instead, and one
    that has sorted the companions by `BY_TIME` says so with *in_order* (sorting
    the 25,000 companions of a ten-year report costs 7 ms, even in order).
    """
    session_list = list(sessions)
    wanted = {record.id for record in session_list}
    checkins: dict[str, list[Record]] = {}
    holds: list[Record] = []
    exercise_records: list[Record] = []
    measure_records: list[Record] = []
    for record in companions if in_order else sorted(companions, key=BY_TIME):
        kind = record.kind
        if kind == records.CHECKIN:
            session_id = str(record.data.get("session", ""))
            if session_id in wanted:
                found = checkins.get(session_id)
                if found is None:
                    checkins[session_id] = [record]
                else:
                    found.append(record)
        elif kind == records.HOLD:
            holds.append(record)
        elif kind == records.EXERCISE:
            exercise_records.append(record)
        elif kind == records.MEASURE and record.data.get("session") in wanted:
            measure_records.append(record)
    flags = hold_rules(holds, wanted, checkins) if holds else {}
    exercises = exercise_sets(session_list, exercise_records) if exercise_records else {}
    measures: Mapping[str, SessionChange] = measure_changes or {}
    if measure_records and measure_changes is None:
        from iastm_coach.history.outcomes import (
            changes_by_session,
            measurements_of,
            session_changes,
        )

        measures = changes_by_session(session_changes(measurements_of(measure_records)))
    rows = []
    no_checkins: list[Record] = []
    for record in session_list:
        soreness: dict[int, int] = {}
        notes: list[CheckinNote] = []
        answers: list[CheckinAnswer] = []
        # One pass over the session's check-ins, oldest first: the latest answer wins.
        for item in checkins.get(record.id, no_checkins):
            answer = CheckinAnswer.of(item)
            answers.append(answer)
            data = item.data
            value = data.get("soreness")
            if isinstance(value, int):
                soreness[answer.hours] = value
            note = str(data.get("note", ""))
            if note:
                notes.append(CheckinNote(answer.hours, note, item.at))
        rows.append(
            SessionRow.from_record(
                record,
                soreness_by_hours=soreness,
                flags=tuple(flags[record.id]) if record.id in flags else (),
                checkin_notes=tuple(notes),
                exercise=exercises.get(sitting_key(record)) if exercises else None,
                measure=measures.get(record.id),
                checkin_answers=tuple(answers),
            )
        )
    return rows


def hold_rules(
    holds: Iterable[Record], sessions: Collection[str], checkins: Mapping[str, Sequence[Record]]
) -> dict[str, list[str]]:
    """Session id -> the rules of the holds it placed (each once, oldest first): a hold's
    `source` is one of *sessions*, or a check-in of one (*checkins*, by session)."""
    owner: dict[str, str] = {session_id: session_id for session_id in sessions}
    for session_id, items in checkins.items():
        for item in items:
            owner[item.id] = session_id
    flags: dict[str, list[str]] = {}
    for hold in holds:
        owner_id = owner.get(str(hold.data.get("source", "")))
        if owner_id is not None:
            rules = flags.setdefault(owner_id, [])
            rule = str(hold.data.get("rule", ""))
            if rule not in rules:
                rules.append(rule)
    return flags


def sitting_key(record: Record) -> tuple[str, str]:
    """(region, group) of a session: the sitting its exercises belong to."""
    return (str(record.data.get("region", "")), str(record.data.get("group", "")) or record.id)


def exercise_sets(
    sessions: Sequence[Record], exercise_records: Iterable[Record]
) -> dict[tuple[str, str], ExerciseSets]:
    """Sets done and planned per sitting (region, group).

    An exercise record belongs to the sitting of its region and `group`; a
    record missing either takes it from the session it names (one of
    *sessions*). Several records for one sitting add up. Sittings of no
    session in *sessions* may appear; nobody looks them up.
    """
    by_id: dict[str, Record] | None = None
    totals: dict[tuple[str, str], list[int]] = {}
    for item in exercise_records:
        data = item.data
        group = data.get("group")
        region = data.get("region")
        if not (group and region and isinstance(group, str) and isinstance(region, str)):
            if by_id is None:
                by_id = {record.id: record for record in sessions}
            named = by_id.get(str(data.get("session", "")))
            if named is None:
                continue
            named_region, named_group = sitting_key(named)
            region = region if region and isinstance(region, str) else named_region
            group = group if group and isinstance(group, str) else named_group
        total = totals.setdefault((region, group), [0, 0, 0])
        for exercise in data.get("exercises", []) or []:
            if not isinstance(exercise, dict | Mapping):  # a dict is told at once
                continue
            total[0] += whole(exercise.get("sets_done"))
            total[1] += whole(exercise.get("sets_planned"))
            total[2] += 1
    return {key: ExerciseSets(*values) for key, values in totals.items()}


def whole(value: object) -> int:
    """A non-negative int from a hand-editable field (anything else counts as 0)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


# --- history --------------------------------------------------------------------------------


def start_of_day(day: date) -> datetime:
    """Local midnight at the start of *day*, time zone-aware."""
    return datetime.combine(day, time()).astimezone()


def recent_sessions(
    journal: Journal,
    *,
    region: str | None = None,
    last: int | None = 20,
    since: datetime | None = None,
) -> list[Record]:
    """The newest *last* sessions (of *region*, started at or after *since*), newest first.

    Reads only as far back as needed. With a region, only the month files that
    mention the region are read (newest first), so a region last treated years
    ago does not cost a full scan.
    """

    def keep(record: Record) -> bool:
        if region is not None and record.data.get("region") != region:
            return False
        if since is None:
            return True
        started = record.data.get("started")
        return not isinstance(started, datetime) or started >= since

    if region is None:
        found = [
            r for r in journal.recent(kinds={records.SESSION}, limit=last, since=since) if keep(r)
        ]
        return found if last is None else found[:last]
    found = []
    for month in journal.region_records(region, {records.SESSION}, newest_first=True):
        found.extend(r for r in reversed(month) if keep(r))
        if last is not None and len(found) >= last:
            break
        if since is not None and month[0].at < since:
            break  # the months before this one are older still
    return found if last is None else found[:last]


def session_rows(
    journal: Journal,
    *,
    region: str | None = None,
    last: int | None = 20,
    since: datetime | None = None,
) -> list[SessionRow]:
    """History rows, newest first, each with its check-ins and flags."""
    sessions = recent_sessions(journal, region=region, last=last, since=since)
    return join_rows(sessions, companions_for(journal, sessions))


COMPANION_KINDS: Final = frozenset(
    {records.CHECKIN, records.HOLD, records.HOLD_CLEAR, records.EXERCISE, records.MEASURE}
)
SITTING_KINDS: Final = frozenset({records.MEASURE, records.EXERCISE})  # read from the start


def companions_for(journal: Journal, sessions: Sequence[Record]) -> list[Record]:
    """Check-ins, holds and hold clears written since the oldest of *sessions*; measures
    and exercises from `SITTING_SPAN` before the earliest start (a `before` value is
    taken, and timed, before the strokes start, though its record names the session
    written later; a session logged afterwards is written after its sitting).

    One bounded read: its cost depends on how far back the sessions go, not on the
    size of the journal.
    """
    if not sessions:
        return []
    oldest = min(record.at for record in sessions)
    earliest = min(oldest, min(session_start(record) for record in sessions) - SITTING_SPAN)
    found = journal.recent(kinds=COMPANION_KINDS, since=earliest)
    return [r for r in found if r.at >= oldest or r.kind in SITTING_KINDS]


def last_session(journal: Journal, region: str) -> Record | None:
    """The newest session record of *region* (timed or logged), or None."""
    found = recent_sessions(journal, region=region, last=1)
    return found[0] if found else None


def checkins_of(journal: Journal, session: Record) -> list[Record]:
    """The check-ins of one session written within `CHECKIN_HORIZON` of it, oldest first."""
    found = between(journal, session.at, session.at + CHECKIN_HORIZON, {records.CHECKIN})
    return [r for r in found if r.data.get("session") == session.id]


def sitting_of(journal: Journal, session: Record) -> list[Record]:
    """Every side recorded in the same sitting as *session* (same `group`), oldest first."""
    group = session.data.get("group")
    if not group:
        return [session]
    near = between(journal, session.at - SITTING_SPAN, session.at + SITTING_SPAN, {records.SESSION})
    return [r for r in near if r.data.get("group") == group] or [session]


# --- reading only the months needed -------------------------------------------------------


def between(
    journal: Journal, start: datetime, end: datetime, kinds: Collection[str]
) -> list[Record]:
    """Records of *kinds* written in [start, end), oldest first.

    Streams from *start* and stops at the first record of any kind written at
    or after *end*: it reads the months of that span and at most one more,
    however old the span and however large the journal.
    """
    found = []
    for record in journal.scan(since=start):
        if record.at >= end:
            break
        if record.kind in kinds:
            found.append(record)
    return found


# --- follow-ups -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueCheckin:
    """A follow-up of one session that can be answered now."""

    session: Record
    hours: int
    opens: datetime
    closes: datetime

    @property
    def place(self) -> str:
        return place_label(
            str(self.session.data.get("region", "")), str(self.session.data.get("side", "none"))
        )


def follow_up_at(ended: datetime, moment: datetime) -> int | None:
    """Which follow-up (24, 48, 72 or 120) a check-in at *moment* answers, or None."""
    return window_at((moment - ended) / timedelta(hours=1))


def session_baseline(session: Record) -> int:
    """The usual soreness recorded with the session (0 for older records)."""
    value = session.data.get("baseline")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def follow_up_due(session: Record, checkins: Sequence[Record], now: datetime) -> DueCheckin | None:
    """The follow-up of *session* to answer at *now*, if any: the open one, or the last
    needed one left unanswered (see the module's schedule). An answer that left warning
    signs unasked (`not_asked`: cut short by Ctrl-C or Ctrl-D, or given without a terminal)
    does not close it: a swelling nobody asked about is unknown, so it is asked again."""
    ended = session_end(session)
    data = [c.data for c in checkins]
    required = required_follow_ups(data, session_baseline(session))
    answered = answered_hours(data)
    hours = follow_up_to_ask(required, answered, (now - ended) / timedelta(hours=1))
    if hours is None:
        return None
    opens, closes = WINDOWS[hours]
    return DueCheckin(
        session, hours, ended + timedelta(hours=opens), ended + timedelta(hours=closes)
    )


def due_checkins(journal: Journal, now: datetime) -> list[DueCheckin]:
    """Every follow-up that can be answered now, oldest session first.

    Reads only the last two weeks of sessions and check-ins.
    """
    found = journal.recent(kinds={records.SESSION, records.CHECKIN}, since=now - LOOK_BACK)
    return due_from(found, now)


def due_from(found: Iterable[Record], now: datetime) -> list[DueCheckin]:
    sessions: list[Record] = []
    checkins: dict[str, list[Record]] = {}
    for record in found:
        if record.kind == records.SESSION:
            sessions.append(record)
        elif record.kind == records.CHECKIN:
            checkins.setdefault(str(record.data.get("session", "")), []).append(record)
    due = []
    for session in sorted(sessions, key=lambda r: (session_end(r), r.id)):
        items = sorted(checkins.get(session.id, []), key=BY_TIME)
        item = follow_up_due(session, items, now)
        if item is not None:
            due.append(item)
    return due


def reminder_text(due: Sequence[DueCheckin]) -> str | None:
    if not due:
        return None
    parts = ", ".join(f"{item.place} {item.hours} h" for item in due[:4])
    more = f" and {len(due) - 4} more" if len(due) > 4 else ""
    count = f"{len(due)} check-in{'s' * (len(due) != 1)} due"
    return f"{count} ({parts}{more}): run `iastm-coach checkin`."


def checkin_reminder(journal: Journal, now: datetime) -> str | None:
    """The one quiet line other commands print when follow-ups are due, else None."""
    return reminder_text(due_checkins(journal, now))


# --- machine-readable rows (history --json, report csv/json) ----------------------------------

# Stable field names, documented in the README; never rename, only add.
ROW_FIELDS: Final[tuple[tuple[str, str], ...]] = (
    ("id", "session record id (sorts in time order)"),
    ("group", "id shared by the sides of one sitting"),
    ("region", "region id, e.g. calf"),
    ("side", "left, right or none"),
    ("source", "timer (guided session) or log (recorded afterwards)"),
    ("started", "start, ISO 8601 with UTC offset"),
    ("ended", "end, ISO 8601 with UTC offset"),
    ("protocol_id", "protocol id"),
    ("protocol_version", "protocol version"),
    ("protocol_source", "built-in, installed or file"),
    ("issued_by", "who issued the protocol (empty for built-ins)"),
    ("protocol_fingerprint", "sha256 of the protocol file (hex, 64 characters)"),
    ("planned_s", "planned treatment seconds"),
    ("actual_s", "treatment seconds done"),
    ("complete", "true, or false when quit or interrupted"),
    ("dose_percent", "dose used, percent of the protocol (100 unless a dose rule applied)"),
    ("soreness_after", "soreness 0-10 right after; null/empty when not answered"),
    ("soreness_24h", "soreness 0-10 at the 24 h check-in; null/empty when none"),
    ("soreness_48h", "soreness 0-10 at the 48 h check-in; null/empty when none"),
    ("soreness_72h", "soreness 0-10 at the 72 h check-in; null/empty when none"),
    ("flags", "red-flag rule ids recorded for this session (CSV: separated by ';')"),
    ("note", "note written with the session"),
    (
        "checkin_notes",
        "notes from check-ins (JSON: list of {hours, note}; CSV: '24 h: text' lines)",
    ),
    (
        "checkin_answers",
        "every check-in answer, a corrected one and its correction both (JSON: list of {id, "
        "hours, at, soreness, not_asked, corrects}; CSV: one line each); `corrects` names the "
        "answer it corrects, `not_asked` the warning signs left unknown (never 'no')",
    ),
    (
        "exercise_sets_done",
        "sets of the sitting's guided exercises done (the same on each side of a sitting); "
        "null/empty when no exercises were recorded",
    ),
    (
        "exercise_sets_planned",
        "sets of those exercises planned (skipped exercises included); null/empty as above",
    ),
    ("measure_test", "outcome test measured around this session; empty when none"),
    ("measure_unit", "its unit, e.g. cm, degrees, 0-10"),
    ("measure_before", "value before the strokes; null/empty when not measured"),
    ("measure_after", "value right after the strokes; null/empty when not measured"),
    (
        "measure_change",
        "after - before; null/empty unless both. Short-term: tells less about the long term",
    ),
)


def row_dict(row: SessionRow) -> dict[str, Any]:
    """One session as a JSON-ready dict with the `ROW_FIELDS` names, in that order.

    The report writes its CSV and JSON straight from the row, without this dict
    (`report/data.py`: `csv_line`, `session_json`): change them with it.
    tests/report/test_report_data.py proves them the same.
    """
    data = row.data
    ended = data.get("ended")
    exercise = row.exercise
    measure = row.measure
    return {
        "id": row.id,
        "group": str(data.get("group", "")),
        "region": row.region,
        "side": row.side,
        "source": str(data.get("source", "")),
        "started": row.started.isoformat(),
        "ended": ended.isoformat() if isinstance(ended, datetime) else None,
        "protocol_id": str(data.get("protocol_id", "")),
        "protocol_version": str(data.get("protocol_version", "")),
        "protocol_source": str(data.get("protocol_source", "")),
        "issued_by": str(data.get("issued_by", "")),
        "protocol_fingerprint": row.fingerprint,
        "planned_s": row.planned_s,
        "actual_s": row.actual_s,
        "complete": row.complete,
        "dose_percent": int(data.get("dose_percent", 100)),
        "soreness_after": row.soreness_after,
        "soreness_24h": row.soreness_at(24),
        "soreness_48h": row.soreness_at(48),
        "soreness_72h": row.soreness_at(72),
        "flags": list(row.flags),
        "note": row.note,
        "checkin_notes": [{"hours": n.hours, "note": n.note} for n in row.checkin_notes],
        "checkin_answers": [
            {
                "id": a.id,
                "hours": a.hours,
                "at": a.at.isoformat(),
                "soreness": a.soreness,
                "not_asked": list(a.not_asked),
                "corrects": a.corrects or None,
            }
            for a in row.checkin_answers
        ],
        "exercise_sets_done": exercise.done if exercise else None,
        "exercise_sets_planned": exercise.planned if exercise else None,
        "measure_test": measure.test if measure else "",
        "measure_unit": measure.unit if measure else "",
        "measure_before": measure.before if measure else None,
        "measure_after": measure.after if measure else None,
        "measure_change": measure.change if measure else None,
    }
