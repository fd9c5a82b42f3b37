"""The report's rules written the straightforward way: the oracles of the equivalence
properties in tests/report/test_report_fast_paths.py, tests/history/test_join_fast.py,
tests/plans/test_deviations_fast.py and tests/plans/test_row_marker_window.py.

These are the implementations from before the report was made fast (commit f1b7af5),
kept word for word but for their names: one pass per question, sorting whatever comes,
keyword arguments, frozen rows. The program's versions must give the same model from any
journal. When a rule changes on purpose, change it here too (and say why in both).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Final

from iastm_coach.history.outcomes import (
    SessionChange,
    build_series,
    changes_by_session,
    measurements_of,
    monday_of,
    session_changes,
)
from iastm_coach.history.queries import (
    BY_TIME,
    CheckinAnswer,
    CheckinNote,
    ExerciseSets,
    SessionRow,
    sitting_key,
    whole,
)
from iastm_coach.journal import records
from iastm_coach.journal.records import session_end, session_start
from iastm_coach.journal.store import Record
from iastm_coach.plans.deviations import (
    DURING_HOLD,
    LOOK_BACK,
    OVER_TIME_FACTOR,
    Deviation,
    Deviations,
    Integrity,
    PlanFacts,
    _after,
    _when,
    journal_integrity,
    marked_flags,
)
from iastm_coach.plans.trend import week_pending
from iastm_coach.report.build import (
    Adherence,
    AdherenceBasis,
    HoldEvent,
    NoteEntry,
    Prescribed,
    Report,
    ScreeningEntry,
    SittingTally,
    protocol_uses,
    sides_label,
)
from iastm_coach.report.summary import DETAIL_MONTHS, YearSummary
from iastm_coach.safety.hold_spans import HoldSpan, hold_spans, reaching
from iastm_coach.safety.holds import Hold
from iastm_coach.safety.rest import rest_ready_at
from iastm_coach.safety.zones import LinksFor

# --- history/queries.py -------------------------------------------------------------------


def checkin_answer(record: Record) -> CheckinAnswer:
    """`CheckinAnswer.of`, by keyword."""
    data = record.data
    soreness = data.get("soreness")
    return CheckinAnswer(
        id=record.id,
        hours=int(data.get("hours", 0)),
        at=record.at,
        soreness=soreness if isinstance(soreness, int) and soreness >= 0 else None,
        not_asked=tuple(str(name) for name in data.get("not_asked", ()) or ()),
        corrects=str(data.get("corrects", "") or ""),
    )


def session_row(
    record: Record,
    *,
    soreness_by_hours: Mapping[int, int] | None = None,
    flags: tuple[str, ...] = (),
    checkin_notes: tuple[CheckinNote, ...] = (),
    exercise: ExerciseSets | None = None,
    measure: SessionChange | None = None,
    checkin_answers: tuple[CheckinAnswer, ...] = (),
) -> SessionRow:
    """`SessionRow.from_record`, by keyword."""
    data = record.data
    started = data.get("started")
    soreness = data.get("soreness", -1)
    return SessionRow(
        record=record,
        id=record.id,
        region=str(data.get("region", "")),
        side=str(data.get("side", "none")),
        group=str(data.get("group", "")) or record.id,
        started=started if isinstance(started, datetime) else record.at,
        ended=session_end(record),
        complete=bool(data.get("complete", True)),
        planned_s=int(data.get("planned_s", 0)),
        actual_s=int(data.get("actual_s", 0)),
        soreness_after=soreness if isinstance(soreness, int) and soreness >= 0 else None,
        note=str(data.get("note", "")),
        fingerprint=str(data.get("protocol_fingerprint", "")),
        dose_percent=int(data.get("dose_percent", 100)),
        soreness_by_hours=soreness_by_hours or {},
        flags=flags,
        checkin_notes=checkin_notes,
        exercise=exercise,
        measure=measure,
        checkin_answers=checkin_answers,
    )


def join_rows(
    sessions: Iterable[Record],
    companions: Iterable[Record],
    *,
    measure_changes: Mapping[str, SessionChange] | None = None,
) -> list[SessionRow]:
    """Attach check-ins (latest answer per follow-up wins), hold rules, exercises and
    outcome measures to sessions.

    *companions* are check-in, hold, exercise and measure records in any order
    (other kinds are ignored); holds are matched to a session through their
    `source` (the session or one of its check-ins), exercises to every side of
    the sitting (region and `group`, or the session they name), measures to
    the session they name. A caller that has already paired the measures
    passes them as *measure_changes* (session id → change) instead.
    """
    session_list = list(sessions)
    wanted = {record.id for record in session_list}
    checkins: dict[str, list[Record]] = {}
    holds: list[Record] = []
    exercise_records: list[Record] = []
    measure_records: list[Record] = []
    for record in sorted(companions, key=BY_TIME):
        kind = record.kind
        if kind == records.CHECKIN:
            session_id = str(record.data.get("session", ""))
            if session_id in wanted:
                checkins.setdefault(session_id, []).append(record)
        elif kind == records.HOLD:
            holds.append(record)
        elif kind == records.EXERCISE:
            exercise_records.append(record)
        elif kind == records.MEASURE and record.data.get("session") in wanted:
            measure_records.append(record)
    owner: dict[str, str] = {sid: sid for sid in wanted}
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
    for record in session_list:
        soreness: dict[int, int] = {}
        notes: list[CheckinNote] = []
        for item in checkins.get(record.id, []):
            hours = int(item.data.get("hours", 0))
            value = item.data.get("soreness")
            if isinstance(value, int):
                soreness[hours] = value
            note = str(item.data.get("note", ""))
            if note:
                notes.append(CheckinNote(hours, note, item.at))
        rows.append(
            session_row(
                record,
                soreness_by_hours=soreness,
                flags=tuple(flags.get(record.id, [])),
                checkin_notes=tuple(notes),
                exercise=exercises.get(sitting_key(record)) if exercises else None,
                measure=measures.get(record.id),
                checkin_answers=tuple(checkin_answer(item) for item in checkins.get(record.id, [])),
            )
        )
    return rows


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
            if not isinstance(exercise, Mapping):
                continue
            total[0] += whole(exercise.get("sets_done"))
            total[1] += whole(exercise.get("sets_planned"))
            total[2] += 1
    return {key: ExerciseSets(*values) for key, values in totals.items()}


# --- report/summary.py ------------------------------------------------------------------


def detail_start(rows: Sequence[SessionRow], *, months: int = DETAIL_MONTHS) -> datetime | None:
    """The first moment shown session by session: the start of the local month *months*
    months before the newest session's month; None when no session is older."""
    if not rows:
        return None
    newest = max(row.started for row in rows).astimezone()
    index = newest.year * 12 + newest.month - 1 - (months - 1)
    start = datetime(index // 12, index % 12 + 1, 1).astimezone()  # local midnight
    if min(row.started for row in rows) >= start:
        return None
    return start


def mean(values: Sequence[int]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass
class _Totals:
    """Running totals of one year and region."""

    first: datetime
    last: datetime
    sessions: int = 0
    groups: set[str] = field(default_factory=set)
    complete: int = 0
    seconds: int = 0
    after: list[int] = field(default_factory=list)
    at_24: list[int] = field(default_factory=list)
    at_48: list[int] = field(default_factory=list)
    flagged: int = 0
    notes: int = 0


def year_summaries(rows: Iterable[SessionRow], before: datetime) -> list[YearSummary]:
    """One summary per local year and region of the sessions started before *before*,
    oldest year first, regions in name order. One pass over the rows."""
    groups: dict[tuple[int, str], _Totals] = {}
    for row in rows:
        started = row.started
        if started >= before:
            continue
        key = (started.astimezone().year, row.region)
        totals = groups.get(key)
        if totals is None:
            totals = groups[key] = _Totals(first=started, last=started)
        totals.first = min(totals.first, started)
        totals.last = max(totals.last, started)
        totals.sessions += 1
        totals.groups.add(row.group)
        totals.complete += row.complete
        totals.seconds += row.actual_s
        if row.soreness_after is not None:
            totals.after.append(row.soreness_after)
        by_hours = row.soreness_by_hours
        if 24 in by_hours:
            totals.at_24.append(by_hours[24])
        if 48 in by_hours:
            totals.at_48.append(by_hours[48])
        totals.flagged += bool(row.flags)
        totals.notes += bool(row.note) + len(row.checkin_notes)
    return [
        YearSummary(
            year=year,
            region=region,
            first=t.first,
            last=t.last,
            sessions=t.sessions,
            sittings=len(t.groups),
            complete=t.complete,
            minutes_done=t.seconds / 60,
            mean_after=mean(t.after),
            answered_after=len(t.after),
            mean_24h=mean(t.at_24),
            answered_24h=len(t.at_24),
            mean_48h=mean(t.at_48),
            answered_48h=len(t.at_48),
            flagged=t.flagged,
            notes=t.notes,
        )
        for (year, region), t in sorted(groups.items())
    ]


# --- report/build.py --------------------------------------------------------------------


def hold_origins(
    hold_items: Sequence[Record], companions: Sequence[Record], spans: Sequence[HoldSpan]
) -> dict[str, HoldSpan]:
    """Session id -> the span its hold began or joined (a hold's `source` is a session,
    or a check-in of one)."""
    of_checkin = {
        r.id: str(r.data.get("session", "")) for r in companions if r.kind == records.CHECKIN
    }
    origins: dict[str, HoldSpan] = {}
    for hold in hold_items:
        if hold.kind != records.HOLD:
            continue
        source = str(hold.data.get("source", ""))
        session = of_checkin.get(source, source)
        region = str(hold.data.get("region", ""))
        span = next(
            (s for s in spans if s.region == region and (s.placed == hold.at or s.covers(hold.at))),
            None,
        )
        if session and span is not None:
            origins.setdefault(session, span)
    return origins


def build_report(
    items: Iterable[Record],
    *,
    now: datetime,
    since: datetime | None,
    prescriptions: Mapping[str, Prescribed | None],
    patients: Sequence[str] = (),
    active_holds: Mapping[str, Hold] | None = None,
    caution_labels: Mapping[str, str] | None = None,
    higher_is_better: Mapping[tuple[str, str], bool] | None = None,
    minimal_change: Mapping[tuple[str, str], float] | None = None,
    exercises_prescribed: Mapping[str, int] | None = None,
    plan_facts: Mapping[str, PlanFacts] | None = None,
    region_facts: Mapping[str, PlanFacts] | None = None,
    file_problems: Sequence[Deviation] = (),
    integrity: Integrity | None = None,
) -> Report:
    """Build the report from *items* (a journal scan, oldest first) in one pass.

    Records written before *since* are skipped (sessions by their start).
    *higher_is_better* and *minimal_change* map (region, outcome test) to the
    protocol's direction and measurement error; *exercises_prescribed* a region to how
    many exercises its protocol has. *plan_facts* (by fingerprint), *region_facts*,
    *file_problems* and *integrity* go to `find_deviations`.
    """
    hold_items: list[Record] = []
    exercise_days: dict[str, int] = {}
    sessions: list[Record] = []
    companions: list[Record] = []
    measure_records: list[Record] = []
    events: list[HoldEvent] = []
    screenings: list[ScreeningEntry] = []
    for record in items:
        if since is not None and record.at < since:
            continue
        kind = record.kind
        data = record.data
        if kind == records.SESSION:
            started = data.get("started")
            if since is None or not isinstance(started, datetime) or started >= since:
                sessions.append(record)
        elif kind == records.EXERCISE and data.get("source") == "log":
            region = str(data.get("region", ""))  # exercises on a day without scraping
            exercise_days[region] = exercise_days.get(region, 0) + 1
        elif kind == records.CHECKIN or kind == records.EXERCISE:
            companions.append(record)
        elif kind == records.MEASURE:
            measure_records.append(record)
        elif kind == records.HOLD:
            companions.append(record)
            hold_items.append(record)
            events.append(
                HoldEvent(
                    record.at,
                    "hold",
                    str(data.get("region", "")),
                    str(data.get("rule", "")),
                    str(data.get("reason", "")),
                    str(data.get("source", "")),
                    record.id,
                    side=str(data.get("side", "")),
                )
            )
        elif kind == records.HOLD_CLEAR:
            hold_items.append(record)
            events.append(
                HoldEvent(
                    record.at,
                    "clear",
                    str(data.get("region", "")),
                    "",
                    str(data.get("reason", "")),
                    "",
                    record.id,
                    str(data.get("examined_by", "")),
                )
            )
        elif kind == records.SCREENING:
            cautions = tuple(str(c) for c in data.get("cleared_cautions", []) or [])
            outcome = str(data.get("outcome", ""))
            local = tuple(str(c) for c in data.get("local", []) or [])
            if cautions or outcome == "stopped" or local:
                screenings.append(
                    ScreeningEntry(
                        record.at,
                        str(data.get("region", "")),
                        outcome,
                        str(data.get("stopped_by", "")),
                        cautions,
                        local,
                    )
                )
    sessions.sort(
        key=lambda r: (session_start(r), str(r.data.get("region")), str(r.data.get("side")), r.id)
    )
    measures = measurements_of(measure_records)
    changes = session_changes(measures)
    rows = join_rows(sessions, companions, measure_changes=changes_by_session(changes))
    detail_from = detail_start(rows)
    spans = tuple(hold_spans(hold_items))
    deviations = find_deviations(
        [*sessions, *hold_items],
        facts=plan_facts or {},
        region_facts=region_facts,
        file_problems=file_problems,
        integrity=integrity,
    )
    during_hold = {
        session for session, kinds in deviations.session_kinds().items() if DURING_HOLD in kinds
    }
    basis = AdherenceBasis(
        tuple(sitting_tallies(rows, during_hold)),
        dict(prescriptions),
        exercise_days,
        dict(exercises_prescribed or {}),
    )
    return Report(
        generated=now,
        since=since,
        patients=tuple(dict.fromkeys(p for p in patients if p)),
        rows=tuple(rows),
        protocols=tuple(protocol_uses(rows)),
        adherence=tuple(
            adherence_of(
                tally,
                basis.prescriptions.get(tally.region),
                now=now,
                exercise_days=basis.exercise_days.get(tally.region, 0),
                exercises_prescribed=basis.exercises_prescribed.get(tally.region),
            )
            for tally in basis.tallies
        ),
        adherence_basis=basis,
        hold_events=tuple(sorted(events, key=lambda e: (e.at, e.record_id))),
        active_holds=tuple(sorted((active_holds or {}).values(), key=lambda h: h.region)),
        screenings=tuple(screenings),
        notes=tuple(collect_notes(rows)),
        caution_labels=dict(caution_labels or {}),
        measures=tuple(measures),
        outcomes=tuple(
            build_series(
                measures,
                higher_is_better=higher_is_better,
                minimal_change=minimal_change,
                changes=changes,
            )
        ),
        deviations=deviations,
        hold_spans=spans,
        hold_origins=hold_origins(hold_items, companions, spans),
        checkin_times=checkin_times(companions),
        minimal_change=dict(minimal_change or {}),
        detail_from=detail_from,
        earlier=tuple(year_summaries(rows, detail_from)) if detail_from else (),
    )


def checkin_times(companions: Iterable[Record]) -> dict[tuple[str, int], datetime]:
    """When each follow-up's answer was given (the latest answer wins, as in `join_rows`)."""
    found: dict[tuple[str, int], datetime] = {}
    for record in sorted(
        (r for r in companions if r.kind == records.CHECKIN), key=lambda r: (r.at, r.id)
    ):
        hours = record.data.get("hours")
        if isinstance(hours, int):
            found[(str(record.data.get("session", "")), hours)] = record.at
    return found


def sitting_tallies(
    rows: Sequence[SessionRow], during_hold: Collection[str] = frozenset()
) -> list[SittingTally]:
    """Each region's sittings by week, in region order (see `adherence_by_region`)."""
    by_region: dict[str, list[SessionRow]] = {}
    for row in rows:
        by_region.setdefault(row.region, []).append(row)
    result = []
    for region, region_rows in sorted(by_region.items()):
        sittings: dict[str, list[SessionRow]] = {}
        for row in region_rows:
            sittings.setdefault(row.group, []).append(row)
        per_week: dict[date, int] = {}
        complete = held = 0
        exercised = sets_done = sets_planned = declined = 0
        for group_rows in sittings.values():
            week = monday_of(group_rows[0].started)
            counted = not any(row.id in during_hold for row in group_rows)
            held += not counted
            per_week[week] = per_week.get(week, 0) + counted
            complete += all(row.complete for row in group_rows)
            exercise = group_rows[0].exercise  # the same on every side of the sitting
            if exercise is not None:
                # A declined guide is recorded with 0 sets: a sitting without exercises.
                exercised += exercise.done > 0
                declined += exercise.done == 0
                sets_done += exercise.done
                sets_planned += exercise.planned
        result.append(
            SittingTally(
                region,
                per_week,
                len(sittings),
                complete,
                held,
                exercised,
                sets_done,
                sets_planned,
                declined,
            )
        )
    return result


def adherence_of(
    tally: SittingTally,
    prescribed: Prescribed | None,
    *,
    now: datetime,
    exercise_days: int = 0,
    exercises_prescribed: int | None = None,
) -> Adherence:
    """One region's adherence as of the week of *now*."""
    this_week = monday_of(now)
    per_week = tally.per_week
    first_week = min(per_week)
    last_week = max(per_week)
    if prescribed is not None:
        course_end = first_week + timedelta(weeks=prescribed.course_weeks - 1)
        last_week = max(last_week, min(course_end, this_week))
    weeks = (last_week - first_week).days // 7 + 1
    counts = [per_week.get(first_week + timedelta(weeks=i), 0) for i in range(weeks)]
    in_progress = None
    target = prescribed.sessions_per_week if prescribed is not None else None
    if last_week == this_week and week_pending(counts[-1], target):
        in_progress = counts.pop()
        weeks -= 1
    done = tally.sittings
    entry = Adherence(
        region=tally.region,
        sittings=done,
        complete=tally.complete,
        interrupted=done - tally.complete,
        weeks=weeks,
        per_week=round(sum(counts) / weeks, 2) if weeks else 0.0,
        prescribed=prescribed,
        week_in_progress=in_progress,
        exercise_sittings=tally.exercised,
        exercise_sets_done=tally.sets_done,
        exercise_sets_planned=tally.sets_planned,
        exercises_declined=tally.declined,
        exercise_days=exercise_days,
        exercises_prescribed=exercises_prescribed,
        during_hold=tally.held,
    )
    if target is not None and weeks:
        entry = replace(
            entry,
            weeks_below=sum(c < target for c in counts),
            weeks_on_target=sum(c == target for c in counts),
            weeks_above=sum(c > target for c in counts),
            percent=round(100 * sum(min(c, target) for c in counts) / (target * weeks)),
        )
    return entry


def collect_notes(rows: Sequence[SessionRow]) -> list[NoteEntry]:
    """Every note, oldest first, each dated when it was written: a session's note at its
    start, a check-in's at the check-in.

    The same text on several sides of one sitting (`group`), for the same moment of the
    follow-up (the session, or one check-in), was written once for the sitting (as `log
    --note` and the session's aftercare do): it is listed once, for every side
    ('calf (left and right)').
    """
    found: dict[tuple[str, str, str, str], tuple[datetime, list[str]]] = {}
    for row in rows:
        entries = [(row.started, "session", row.note)] if row.note else []
        entries.extend(
            (item.at or row.started, f"{item.hours} h check-in", item.note)
            for item in row.checkin_notes
        )
        for at, context, text in entries:
            key = (row.region, row.group, context, text)
            seen = found.get(key)
            if seen is None:
                found[key] = (at, [row.side])
            else:
                sides = seen[1]
                if row.side not in sides:
                    sides.append(row.side)
                if at < seen[0]:
                    found[key] = (at, sides)
    notes = [
        NoteEntry(at, sides_label(region, sides), context, text)
        for (region, _group, context, text), (at, sides) in found.items()
    ]
    notes.sort(key=lambda n: n.at)
    return notes


# --- plans/deviations.py ----------------------------------------------------------------


@dataclass
class _Sitting:
    group: str
    region: str
    started: datetime
    ended: datetime
    sessions: list[Record]

    @property
    def place(self) -> str:
        sides = [s for s in ("left", "right") if any(_side(r) == s for r in self.sessions)]
        return f"{self.region} ({' and '.join(sides)})" if sides else self.region

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.sessions)


def _side(record: Record) -> str:
    return str(record.data.get("side", "none"))


def sittings_of(sessions: Iterable[Record]) -> list[_Sitting]:
    found: dict[str, _Sitting] = {}
    for record in sessions:
        if record.kind != records.SESSION:
            continue
        group = str(record.data.get("group", "")) or record.id
        sitting = found.get(group)
        if sitting is None:
            found[group] = _Sitting(
                group,
                str(record.data.get("region", "")),
                records.session_start(record),
                records.session_end(record),
                [record],
            )
        else:
            sitting.sessions.append(record)
            sitting.started = min(sitting.started, records.session_start(record))
            sitting.ended = max(sitting.ended, records.session_end(record))
    return sorted(found.values(), key=lambda s: (s.started, s.group))


def find_deviations(
    items: Iterable[Record],
    *,
    facts: Mapping[str, PlanFacts],
    region_facts: Mapping[str, PlanFacts] | None = None,
    file_problems: Sequence[Deviation] = (),
    integrity: Integrity | None = None,
    links_for: LinksFor | None = None,
    spans: Sequence[HoldSpan] | None = None,
    only: str | None = None,
) -> Deviations:
    """Every deviation in *items* (session, hold and hold_clear records; others ignored).

    *facts* maps a protocol fingerprint to its facts; *region_facts* gives a region's
    current protocol for sessions whose file is no longer known (its rest period only:
    the sides and review date of another file say nothing about that session).
    *file_problems* are the `file-changed` deviations the caller found on disk.
    *links_for* gives each region's zone and overlaps (default: its protocol), for the
    holds that reach a region from another (`zones.reach`, as the session gate).
    *spans*: the hold spans of *items*' holds, when the caller has them already.
    *only*: just the deviations of the sitting of this session id (each deviation names
    only its own sitting's sessions, so nothing else could name it).
    """
    from iastm_coach.safety.zones import remembered

    lookup = links_for or remembered()
    listed = list(items)
    if spans is None:
        spans = hold_spans(listed)
    sittings = sittings_of(r for r in listed if r.kind == records.SESSION)
    found: list[Deviation] = list(file_problems)
    previous: dict[str, _Sitting] = {}
    versions: dict[tuple[str, str, str], set[str]] = {}
    for sitting in sittings:
        changed = _same_version_changed(sitting, versions)  # remembers its versions
        if only is None or only in sitting.ids:
            found.extend(changed)
            found.extend(
                _sitting_deviations(
                    sitting,
                    previous.get(sitting.region),
                    spans,
                    facts,
                    {} if region_facts is None else region_facts,
                    lookup,
                )
            )
        last = previous.get(sitting.region)
        if last is None or sitting.ended >= last.ended:
            previous[sitting.region] = sitting
    # Files as they are now first, then oldest first.
    found.sort(key=lambda d: (d.at is not None, d.at.timestamp() if d.at else 0.0, d.kind))
    return Deviations(tuple(found), integrity or journal_integrity(None))


def _same_version_changed(
    sitting: _Sitting, versions: dict[tuple[str, str, str], set[str]]
) -> list[Deviation]:
    """A physio's file whose id and version were used before with other content: changed
    without a new version (an edit, or a plan re-signed with another key under the same
    name). *versions* remembers each (region, id, version)'s fingerprints, oldest first;
    only the first sitting with new content is told."""
    data = sitting.sessions[0].data
    fingerprint = str(data.get("protocol_fingerprint", ""))
    if data.get("protocol_source") == "built-in" or not fingerprint:
        return []
    plan_id, version = str(data.get("protocol_id", "")), str(data.get("protocol_version", ""))
    seen = versions.setdefault((sitting.region, plan_id, version), set())
    before = sorted(seen)
    seen.add(fingerprint)
    if not before or fingerprint in before:
        return []
    detail = (
        f"{plan_id} {version} was used before with other content ({fingerprint[:12]}, before "
        f"{', '.join(f[:12] for f in before)}): the plan changed without a new version; now "
        + SIGNATURE_WORDS.get(str(data.get("protocol_signature", "")), "of unknown signature")
    )
    if data.get("protocol_signature") == "trusted" and data.get("signed_by"):
        detail += f" ({data['signed_by']})"
    where = (sitting.region, sitting.place, sitting.started)
    return [Deviation("file-changed", *where, detail, sitting.ids)]


SIGNATURE_WORDS: Final[Mapping[str, str]] = {
    "trusted": "signed by a trusted clinician",
    "unknown-key": "signed with an untrusted key",
    "unsigned": "unsigned",
}


def _sitting_deviations(
    sitting: _Sitting,
    previous: _Sitting | None,
    spans: Sequence[HoldSpan],
    facts: Mapping[str, PlanFacts],
    region_facts: Mapping[str, PlanFacts],
    links_for: LinksFor,
) -> list[Deviation]:
    found: list[Deviation] = []
    first = sitting.sessions[0]
    data = first.data

    def add(kind: str, detail: str, ids: tuple[str, ...] | None = None) -> None:
        found.append(
            Deviation(
                kind,
                sitting.region,
                sitting.place,
                sitting.started,
                detail,
                sitting.ids if ids is None else ids,
            )
        )

    own = facts.get(str(data.get("protocol_fingerprint", "")))
    plan = own or region_facts.get(sitting.region)

    # Overrides: the rest flag, and every recorded {rule, detail} (once per sitting).
    overrides: list[str] = []
    for record in sitting.sessions:
        for entry in record.data.get("overrides", []) or []:
            if isinstance(entry, Mapping):
                text = f"{entry.get('rule', '')}: {entry.get('detail', '')}".strip(": ")
                if text and text not in overrides:
                    overrides.append(text)
    rest_overridden = any(bool(r.data.get("rest_override")) for r in sitting.sessions)
    if rest_overridden and not any(o.startswith("rest") for o in overrides):
        overrides.insert(0, "rest: --override-rest" + _since_text(sitting, previous, plan))
    held_anyway = any(o.startswith("hold:") for o in overrides)
    for text in overrides:
        if not text.startswith("hold:"):  # a hold override is told with the hold below
            add("override", text)

    covering = [s for s in spans if s.covers(sitting.started)]
    sides = sorted({str(r.data.get("side", "")) for r in sitting.sessions})
    hold = next(
        (found for side in sides for found in reaching(covering, sitting.region, side, links_for)),
        None,
    )
    if hold is not None:
        lifted = f", lifted {_when(hold.lifted)}" if hold.lifted else ", still in force"
        anyway = " (recorded with --override-hold)" if held_anyway else ""
        held = "" if hold.region == sitting.region else f"the {hold.region} "
        add(
            "during-hold",
            f"{held}on hold since {_when(hold.placed)}{lifted}: {'; '.join(hold.reasons)}{anyway}",
        )
    elif held_anyway:
        add("override", next(o for o in overrides if o.startswith("hold:")))

    if previous is not None and plan is not None and plan.rest_hours and not rest_overridden:
        ready = rest_ready_at(previous.ended, plan.rest_hours)
        if sitting.started < ready:
            add(
                "inside-rest",
                f"{_after(sitting.started - previous.ended, f'the last {sitting.region} session')}"
                f"; the rest is {plan.rest_hours} h",
            )

    for record in sitting.sessions:
        planned = record.data.get("planned_s")
        actual = record.data.get("actual_s")
        if (
            isinstance(planned, int)
            and isinstance(actual, int)
            and planned > 0
            and actual > OVER_TIME_FACTOR * planned
        ):
            side = _side(record)
            where = f"{side}: " if len(sitting.sessions) > 1 and side != "none" else ""
            add(
                "over-time",
                f"{where}{actual / 60:.1f} min against {planned / 60:.1f} min planned "
                f"({round(100 * actual / planned)} %)",
                (record.id,),
            )

    if own is not None and own.sides:
        extra = [r for r in sitting.sessions if _side(r) not in own.sides and _side(r) != "none"]
        if extra:
            add(
                "side-not-prescribed",
                f"{' and '.join(_side(r) for r in extra)} treated; the plan is for the "
                f"{' and '.join(own.sides)} only",
                tuple(r.id for r in extra),
            )

    if own is not None and own.review_by and sitting.started.date() > own.review_by:
        add(
            "past-review",
            f"{(sitting.started.date() - own.review_by).days} days after the review date "
            f"{own.review_by:%Y-%m-%d}" + (f" of {own.label}" if own.label else ""),
        )

    signature = str(data.get("protocol_signature", ""))
    if data.get("protocol_source") != "built-in" and signature in ("unsigned", "unknown-key"):
        who = str(data.get("issued_by", "")) or "unknown author"
        add(
            "unsigned",
            f"{'unsigned file' if signature == 'unsigned' else 'file signed with an untrusted key'}"
            f", issued by {who}",
        )

    if data.get("signed_here"):
        add(
            "signed-here",
            f"signed with a key made on the computer that wrote this journal, named "
            f"{data.get('signed_by') or 'unknown'} (key {data.get('signing_key') or 'unknown'}): "
            "if that is not your key, the plan was not signed by you",
        )

    if any(bool(r.data.get("clock_set")) for r in sitting.sessions):
        add("clock-set", "recorded while IASTM_COACH_NOW set the clock; its times are not real")
    return found


def _since_text(sitting: _Sitting, previous: _Sitting | None, plan: PlanFacts | None) -> str:
    if previous is None:
        return ""
    rest = f" (the rest is {plan.rest_hours} h)" if plan and plan.rest_hours else ""
    return f", {_after(sitting.started - previous.ended, 'the last session')}{rest}"


# --- plans/deviations.py's RowMarker -----------------------------------------------------
# The marker from before its window was kept as rows come and go (commit 6e558d9): every
# row checked by find_deviations over the rows of its region still waiting, with the
# straightforward find_deviations above (the program's is held to it in
# tests/plans/test_deviations_fast.py).


class RowMarker:
    """`history`'s marker per row, the straightforward way (`plans.deviations.RowMarker`)."""

    def __init__(
        self,
        hold_records: Sequence[Record],
        *,
        facts: Mapping[str, PlanFacts],
        region_facts: Mapping[str, PlanFacts],
        links_for: LinksFor,
    ) -> None:
        self.hold_records = hold_records  # the stream's list, growing as it reads
        self.facts = facts
        self.region_facts = region_facts
        self.links_for = links_for
        self.marked = 0
        self.kinds: list[str] = []
        self.shown = 0

    def rows(self, rows: Iterable[SessionRow]) -> Iterator[SessionRow]:
        waiting: deque[SessionRow] = deque()
        for row in rows:
            waiting.append(row)
            while waiting and waiting[0].started - row.started > LOOK_BACK:
                yield self._mark(waiting.popleft(), waiting)
        while waiting:
            yield self._mark(waiting.popleft(), waiting)

    def _mark(self, row: SessionRow, older: Iterable[SessionRow]) -> SessionRow:
        self.shown += 1
        near = [row, *(r for r in older if r.region == row.region)]
        found = find_deviations(
            [r.record for r in near],
            facts=self.facts,
            region_facts=self.region_facts,
            links_for=self.links_for,
            spans=hold_spans(self.hold_records),
            only=row.id,
        )
        kinds = found.session_kinds().get(row.id)
        if not kinds:
            return row
        self.marked += 1
        self.kinds.extend(kind for kind in kinds if kind not in self.kinds)
        return replace(row, flags=marked_flags(row.flags, kinds))


# --- the row facts of report/build.py's Report ---------------------------------------------


def soreness_answers(report: Report) -> dict[str, tuple[tuple[int, ...], tuple[int, ...]]]:
    found: dict[str, tuple[list[int], list[int]]] = {}
    for row in report.rows:
        after, day = found.setdefault(row.place(), ([], []))
        if row.soreness_after is not None:
            after.append(row.soreness_after)
        if (value := row.soreness_at(24)) is not None:
            day.append(value)
    return {place: (tuple(a), tuple(d)) for place, (a, d) in found.items()}


def detailed_rows(report: Report) -> tuple[SessionRow, ...]:
    return tuple(row for row in report.rows if report.detailed(row.started))


def detailed_notes(report: Report) -> tuple[NoteEntry, ...]:
    return tuple(note for note in report.notes if report.detailed(note.at))


ROW_FACTS: Final = {
    "soreness_answers": soreness_answers,
    "detailed_rows": detailed_rows,
    "detailed_notes": detailed_notes,
}
