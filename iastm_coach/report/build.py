"""The physio's report: a model built from one streaming pass over the journal, and
four renderings of it (Markdown, self-contained HTML, CSV, JSON) in
`report_markdown`, `report_html` and `report_data`, which share `report_tables`.

Outcome measures (the self-measured tests) are shown two ways, as `outcomes.py`
explains: before → after around each session, and the change over weeks of the
values taken before a session or on their own, always with `outcomes.CAVEAT`.

Building is pure (records in, model out); rendering is pure (model in, text
out). Everything written by people or protocol files (notes, names, reasons)
is escaped for the format it lands in. The HTML has no script, loads nothing
from the network (a Content-Security-Policy forbids it) and prints cleanly.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cached_property
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING, ClassVar, Final

from iastm_coach.history.outcomes import (
    Measurement,
    Series,
    build_series,
    changes_by_session,
    measurements_of,
    monday_of,
    session_changes,
)
from iastm_coach.history.queries import (
    SessionRow,
    in_record_order,
    join_rows,
    protocol_label,
)
from iastm_coach.journal import records
from iastm_coach.journal.records import (
    CHECKIN,
    EXERCISE,
    HOLD,
    HOLD_CLEAR,
    MEASURE,
    SCREENING,
    SESSION,
)
from iastm_coach.plans.deviations import (
    DURING_HOLD,
    Deviation,
    Deviations,
    Integrity,
    PlanFacts,
    find_deviations,
)
from iastm_coach.plans.trend import week_pending
from iastm_coach.report.data import REPORT_VERSION as REPORT_VERSION
from iastm_coach.report.data import render_csv as render_csv
from iastm_coach.report.data import render_json as render_json
from iastm_coach.report.fhir import render_fhir as render_fhir
from iastm_coach.report.html_page import nice_scale as nice_scale
from iastm_coach.report.html_page import render_html as render_html
from iastm_coach.report.markdown import md as md
from iastm_coach.report.markdown import render_markdown as render_markdown
from iastm_coach.report.summary import YearSummary, detail_start, year_summaries
from iastm_coach.safety.hold_spans import HoldSpan, hold_spans
from iastm_coach.vocabulary import places_label

if TYPE_CHECKING:
    from iastm_coach.journal.store import Record
    from iastm_coach.safety.holds import Hold


def no_deviations() -> Deviations:
    return find_deviations((), facts={})


@dataclass(frozen=True)
class Prescribed:
    """What a region's current protocol prescribes (from `[prescription]`)."""

    sessions_per_week: int
    course_weeks: int


@dataclass(frozen=True)
class ProtocolUse:
    """One protocol file (by fingerprint) used for a region, and how often."""

    region: str
    protocol_id: str
    version: str
    label: str  # "built-in" or "issued by ..."
    fingerprint: str
    sessions: int
    first: datetime
    last: datetime


@dataclass(frozen=True)
class Adherence:
    """Sittings (both sides together count once) against the weekly prescription.

    `weeks` runs from the week of the first sitting to the later of the last
    sitting's week and the end of the prescribed course, but not past this
    week. `percent` is the share of prescribed sessions done, each week
    counting at most its prescribed number (doing more does not make up for
    a missed week).

    This week is not over: it counts (in `weeks`, `per_week`, the weeks
    below / on / above target and `percent`) only once it has the prescribed
    number of sittings; until then, or always without a prescription, it is
    left out and its sittings so far are in `week_in_progress` (None when the
    week is counted or outside the period).
    """

    region: str
    sittings: int
    complete: int
    interrupted: int
    weeks: int
    per_week: float
    prescribed: Prescribed | None
    weeks_below: int = 0
    weeks_on_target: int = 0
    weeks_above: int = 0
    percent: int | None = None
    # Guided exercises, counted once per sitting (not per side).
    during_hold: int = 0  # sittings during a red-flag hold: listed, never counted above
    exercise_sittings: int = 0  # sittings with at least one set of exercises done
    exercise_sets_done: int = 0
    exercise_sets_planned: int = 0
    week_in_progress: int | None = None  # sittings so far in this (uncounted) week
    exercises_declined: int = 0  # sittings whose exercise guide was declined (or 0 sets)
    exercise_days: int = 0  # exercises logged on their own, on days without scraping
    exercises_prescribed: int | None = None  # exercises in the protocol; None: unknown

    @property
    def exercise_percent(self) -> int | None:
        """Share of sittings with exercises recorded, in percent."""
        return round(100 * self.exercise_sittings / self.sittings) if self.sittings else None

    @property
    def exercise_sets_percent(self) -> int | None:
        """Sets done of sets planned, in percent (None when none were planned)."""
        if not self.exercise_sets_planned:
            return None
        return round(100 * self.exercise_sets_done / self.exercise_sets_planned)


@dataclass(frozen=True)
class HoldEvent:
    """A hold placed (kind "hold") or lifted (kind "clear")."""

    at: datetime
    kind: str
    region: str
    rule: str
    reason: str
    source_id: str
    record_id: str
    examined_by: str = ""  # a lift: the clinician who examined the area, where named
    side: str = ""  # a hold: the side its red flag was on (it decides the hold's reach)


@dataclass(frozen=True)
class ScreeningEntry:
    at: datetime
    region: str
    outcome: str
    stopped_by: str
    cleared_cautions: tuple[str, ...]
    local: tuple[str, ...]


@dataclass(frozen=True)
class NoteEntry:
    at: datetime
    place: str
    context: str  # "session" or "24 h check-in"
    text: str


@dataclass(frozen=True)
class Report:
    generated: datetime
    since: datetime | None
    patients: tuple[str, ...]
    rows: Sequence[SessionRow]  # oldest first (a tuple, or `stored.OnDemand`)
    protocols: tuple[ProtocolUse, ...]
    adherence: tuple[Adherence, ...]
    hold_events: tuple[HoldEvent, ...]
    active_holds: tuple[Hold, ...]
    screenings: tuple[ScreeningEntry, ...]
    notes: Sequence[NoteEntry]  # a tuple, or `stored.OnDemand`
    caution_labels: Mapping[str, str] = field(default_factory=dict)
    # every outcome value in the period, oldest first (a tuple, or `stored.OnDemand`)
    measures: Sequence[Measurement] = ()
    outcomes: tuple[Series, ...] = ()  # one per region, test and side
    deviations: Deviations = field(default_factory=no_deviations)
    hold_spans: tuple[HoldSpan, ...] = ()  # each hold from placed to lifted (or still on)
    # session id -> the hold span a red flag of that session (or of its check-ins) began or
    # joined: the CSV's hold columns, FHIR's flags
    hold_origins: Mapping[str, HoldSpan] = field(default_factory=dict)
    # (region, outcome test) -> the protocol's `outcome.minimal_change`, the measurement error
    minimal_change: Mapping[tuple[str, str], float] = field(default_factory=dict)
    # (session id, follow-up hours) -> when the answer counted was given (FHIR's times)
    checkin_times: Mapping[tuple[str, int], datetime] = field(default_factory=dict)
    # Markdown and HTML show sessions from `detail_from` one by one and summarise the
    # years before in `earlier` (None: every session one by one); CSV and JSON show all.
    detail_from: datetime | None = None
    earlier: tuple[YearSummary, ...] = ()
    # What `adherence` was worked out from, but *now*: `at` dates the report again.
    adherence_basis: AdherenceBasis | None = None

    # The cached properties below are what Markdown, HTML and the JSON's summary take from
    # every row: a stored report (`report/stored.py`) keeps them, not the rows.
    ROW_FACTS: ClassVar[tuple[str, ...]] = (
        "regions",
        "first_start",
        "soreness_answers",
        "detailed_rows",
        "detailed_notes",
        "detailed_screenings",
        "detailed_outcomes",
    )

    @cached_property
    def regions(self) -> tuple[str, ...]:
        return tuple(sorted({row.region for row in self.rows}))

    @cached_property
    def first_start(self) -> datetime | None:
        """When the first session of the period started."""
        return self.rows[0].started if self.rows else None

    @cached_property
    def soreness_answers(self) -> dict[str, tuple[tuple[int, ...], tuple[int, ...]]]:
        """Place ('calf (left)') -> its soreness answers right after and at 24 h, oldest
        first (the summary's trends)."""
        found: dict[str, tuple[list[int], list[int]]] = {}
        of_side: dict[tuple[str, str], tuple[list[int], list[int]]] = {}  # each place named once
        for row in self.rows:
            answers = of_side.get((row.region, row.side))
            if answers is None:
                answers = of_side[(row.region, row.side)] = found.setdefault(row.place(), ([], []))
            if row.soreness_after is not None:
                answers[0].append(row.soreness_after)
            if (value := row.soreness_by_hours.get(24)) is not None:
                answers[1].append(value)
        return {place: (tuple(a), tuple(d)) for place, (a, d) in found.items()}

    def at(self, now: datetime) -> Report:
        """This report generated at *now*: the same journal and protocols, so only the
        adherence (this week counts once it is complete) is worked out again. The row
        facts already worked out are kept."""
        if self.adherence_basis is None:
            raise ValueError("a report without its adherence basis cannot be dated again")
        dated = replace(self, generated=now, adherence=tuple(self.adherence_basis.adherence(now)))
        known = dated.__dict__
        for name in self.ROW_FACTS:
            if name in self.__dict__:
                known[name] = self.__dict__[name]
        return dated

    def detailed(self, moment: datetime) -> bool:
        return self.detail_from is None or moment >= self.detail_from

    # Rows are oldest first by start, notes by when they were written: the detailed ones
    # are a tail, found by bisection (comparing moments of two zones is slow).

    @cached_property
    def detailed_rows(self) -> tuple[SessionRow, ...]:
        start = self.detail_from
        rows = self.rows
        return tuple(rows if start is None else rows[bisect_left(rows, start, key=STARTED) :])

    @cached_property
    def detailed_notes(self) -> tuple[NoteEntry, ...]:
        start = self.detail_from
        notes = self.notes
        return tuple(notes if start is None else notes[bisect_left(notes, start, key=AT) :])

    @cached_property
    def detailed_screenings(self) -> tuple[ScreeningEntry, ...]:
        return tuple(entry for entry in self.screenings if self.detailed(entry.at))

    @cached_property
    def detailed_outcomes(self) -> tuple[Series, ...]:
        """Each series with only the values, weeks and sessions of the detailed months
        (its overall change still covers the whole period)."""
        start = self.detail_from
        if start is None:
            return self.outcomes
        monday = monday_of(start)
        return tuple(
            replace(
                series,
                values=tuple(m for m in series.values if m.at >= start),
                weeks=tuple(w for w in series.weeks if w.monday >= monday),
                changes=tuple(c for c in series.changes if c.at >= start),
            )
            for series in self.outcomes
        )

    def caution_label(self, item_id: str) -> str:
        return self.caution_labels.get(item_id, item_id)


# --- building ----------------------------------------------------------------------------------


def report_regions(items: Iterable[Record]) -> set[str]:
    """The regions treated or measured: those whose protocols the report looks up."""
    return {
        str(r.data.get("region", ""))
        for r in items
        if r.kind == records.SESSION or r.kind == records.MEASURE
    }


def hold_origins(
    hold_items: Sequence[Record], companions: Sequence[Record], spans: Sequence[HoldSpan]
) -> dict[str, HoldSpan]:
    """Session id -> the span its hold began or joined (a hold's `source` is a session,
    or a check-in of one)."""
    holds = [hold for hold in hold_items if hold.kind == HOLD]
    if not holds:
        return {}  # most reports: no check-ins looked up
    of_checkin = {r.id: str(r.data.get("session", "")) for r in companions if r.kind == CHECKIN}
    origins: dict[str, HoldSpan] = {}
    for hold in holds:
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
    sessions: list[tuple[tuple[datetime, str, str, str], Record]] = []  # (order, session)
    companions: list[Record] = []
    measure_records: list[Record] = []
    events: list[HoldEvent] = []
    screenings: list[ScreeningEntry] = []
    for record in items:
        if since is not None and record.at < since:
            continue
        kind = record.kind
        # The kinds by how often they come: half of a journal's records are check-ins.
        if kind == CHECKIN:
            companions.append(record)
        elif kind == SESSION:
            data = record.data
            started = data.get("started")
            if not isinstance(started, datetime):
                started = record.at  # as `session_start`
            elif since is not None and started < since:
                continue
            # Sessions by start, region, side and id: both sides of a sitting together.
            order = (started, str(data.get("region")), str(data.get("side")), record.id)
            sessions.append((order, record))
        elif kind == SCREENING:
            data = record.data  # most screenings cleared nothing and stopped nothing: skipped
            if (
                data.get("cleared_cautions")
                or data.get("local")
                or str(data.get("outcome", "")) == "stopped"
            ):
                screenings.append(screening_entry(record))
        elif kind == EXERCISE:
            if record.data.get("source") == "log":  # exercises on a day without scraping
                region = str(record.data.get("region", ""))
                exercise_days[region] = exercise_days.get(region, 0) + 1
            else:
                companions.append(record)
        elif kind == MEASURE:
            measure_records.append(record)
        elif kind == HOLD:
            data = record.data
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
        elif kind == HOLD_CLEAR:
            data = record.data
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
    sessions.sort(key=itemgetter(0))  # stable: equal keys keep the journal's order
    session_records = [record for _, record in sessions]
    in_record_order(companions)  # once, for `join_rows` and `checkin_times`
    measures = measurements_of(measure_records)
    changes = session_changes(measures)
    rows = join_rows(
        session_records, companions, measure_changes=changes_by_session(changes), in_order=True
    )
    detail_from = detail_start(rows)
    spans = tuple(hold_spans(hold_items))
    deviations = find_deviations(
        [*session_records, *hold_items],
        rows=rows,
        spans=spans,
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
        adherence=tuple(basis.adherence(now)),
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
        checkin_times=CheckinTimes(companions),
        minimal_change=dict(minimal_change or {}),
        detail_from=detail_from,
        earlier=tuple(year_summaries(rows, detail_from)) if detail_from else (),
    )


def screening_entry(record: Record) -> ScreeningEntry:
    """A screening worth showing: a caution cleared, a stop, a local finding."""
    data = record.data
    cautions = data.get("cleared_cautions")
    local = data.get("local")
    return ScreeningEntry(
        record.at,
        str(data.get("region", "")),
        str(data.get("outcome", "")),
        str(data.get("stopped_by", "")),
        tuple(map(str, cautions)) if cautions else (),
        tuple(map(str, local)) if local else (),
    )


class CheckinTimes(Mapping[tuple[str, int], datetime]):
    """`checkin_times(companions)`, worked out when first asked: only FHIR reads the times
    (and a stored report counts them, beside the command: `stored.store_report`), so the
    other formats never pay for 20,000 check-ins of a ten-year journal."""

    def __init__(self, companions: Sequence[Record]) -> None:
        self._companions = companions
        self._times: dict[tuple[str, int], datetime] | None = None

    def _found(self) -> dict[tuple[str, int], datetime]:
        if self._times is None:
            self._times = checkin_times(self._companions)
        return self._times

    def __getitem__(self, key: tuple[str, int]) -> datetime:
        return self._found()[key]

    def __iter__(self) -> Iterator[tuple[str, int]]:
        return iter(self._found())

    def __len__(self) -> int:
        return len(self._found())


def checkin_times(companions: Iterable[Record]) -> dict[tuple[str, int], datetime]:
    """When each follow-up's answer was given (the latest answer wins, as in `join_rows`).
    *companions* are in record order (`in_record_order`)."""
    found: dict[tuple[str, int], datetime] = {}
    for record in companions:
        if record.kind == CHECKIN:
            data = record.data
            hours = data.get("hours")
            if isinstance(hours, int):
                found[(str(data.get("session", "")), hours)] = record.at
    return found


def protocol_uses(rows: Sequence[SessionRow]) -> list[ProtocolUse]:
    found: dict[tuple[str, str], list[SessionRow]] = {}
    for row in rows:
        found.setdefault((row.region, row.fingerprint), []).append(row)
    uses = []
    for (region, fingerprint), group in found.items():
        data = group[-1].data
        uses.append(
            ProtocolUse(
                region=region,
                protocol_id=str(data.get("protocol_id", "")),
                version=str(data.get("protocol_version", "")),
                label=protocol_label(data),
                fingerprint=fingerprint,
                sessions=len(group),
                first=group[0].started,
                last=group[-1].started,
            )
        )
    return sorted(uses, key=lambda u: (u.region, u.first))


@dataclass(frozen=True)
class SittingTally:
    """One region's sittings, counted before the week of *now* matters: the journal's part
    of its `Adherence` (so a stored report can be dated again, see `Report.at`)."""

    region: str
    per_week: Mapping[date, int]  # Monday -> sittings counted (not during a hold)
    sittings: int
    complete: int
    held: int
    exercised: int
    sets_done: int
    sets_planned: int
    declined: int


@dataclass(frozen=True)
class AdherenceBasis:
    """What `Report.adherence` is worked out from, all but *now*."""

    tallies: tuple[SittingTally, ...]
    prescriptions: Mapping[str, Prescribed | None]
    exercise_days: Mapping[str, int] = field(default_factory=dict)
    exercises_prescribed: Mapping[str, int] = field(default_factory=dict)

    def adherence(self, now: datetime) -> list[Adherence]:
        return [
            adherence_of(
                tally,
                self.prescriptions.get(tally.region),
                now=now,
                exercise_days=self.exercise_days.get(tally.region, 0),
                exercises_prescribed=self.exercises_prescribed.get(tally.region),
            )
            for tally in self.tallies
        ]


def adherence_by_region(
    rows: Sequence[SessionRow],
    prescriptions: Mapping[str, Prescribed | None],
    *,
    now: datetime,
    exercise_days: Mapping[str, int] | None = None,
    exercises_prescribed: Mapping[str, int] | None = None,
    during_hold: Collection[str] = frozenset(),
) -> list[Adherence]:
    """Per region. A sitting held against a red-flag hold (any of its sessions in
    *during_hold*, the deviation 'Session during a hold') is listed but never counts
    toward the prescription: adherence measures following the plan, and the plan said
    stop."""
    basis = AdherenceBasis(
        tuple(sitting_tallies(rows, during_hold)),
        prescriptions,
        dict(exercise_days or {}),
        dict(exercises_prescribed or {}),
    )
    return basis.adherence(now)


def sitting_tallies(
    rows: Sequence[SessionRow], during_hold: Collection[str] = frozenset()
) -> list[SittingTally]:
    """Each region's sittings by week, in region order (see `adherence_by_region`)."""
    # One pass: the rows of each sitting (region and `group`), each region's sittings in
    # the order they come.
    sittings: dict[tuple[str, str], list[SessionRow]] = {}
    by_region: dict[str, list[list[SessionRow]]] = {}
    for row in rows:
        key = (row.region, row.group)
        sitting = sittings.get(key)
        if sitting is None:
            sittings[key] = sitting = [row]
            by_region.setdefault(row.region, []).append(sitting)
        else:
            sitting.append(row)
    result = []
    for region, region_sittings in sorted(by_region.items()):
        per_week: dict[date, int] = {}
        complete = held = 0
        exercised = sets_done = sets_planned = declined = 0
        for group_rows in region_sittings:
            week = monday_of(group_rows[0].started)
            counted = not (during_hold and any(row.id in during_hold for row in group_rows))
            held += not counted
            per_week[week] = per_week.get(week, 0) + counted
            complete += all(map(COMPLETE, group_rows))
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
                len(region_sittings),
                complete,
                held,
                exercised,
                sets_done,
                sets_planned,
                declined,
            )
        )
    return result


COMPLETE: Final = attrgetter("complete")
STARTED: Final = attrgetter("started")
AT: Final = attrgetter("at")


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
    # Each week's count by the day number of its Monday: ten years are 500 weeks a region.
    by_day = {monday.toordinal(): count for monday, count in per_week.items()}
    first_day = first_week.toordinal()
    counts = [by_day.get(day, 0) for day in range(first_day, first_day + 7 * weeks, 7)]
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
        weeks_with = Counter(counts)  # count -> weeks: a few distinct counts
        entry = replace(
            entry,
            weeks_below=sum(n for c, n in weeks_with.items() if c < target),
            weeks_on_target=weeks_with[target],
            weeks_above=sum(n for c, n in weeks_with.items() if c > target),
            percent=round(
                100 * sum(min(c, target) * n for c, n in weeks_with.items()) / (target * weeks)
            ),
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
        if not (row.note or row.checkin_notes):
            continue  # most sessions have no note
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
    labels: dict[tuple[str, tuple[str, ...]], str] = {}  # a few places, thousands of notes
    notes = []
    for (region, _group, context, text), (at, sides) in found.items():
        place = labels.get((region, tuple(sides)))
        if place is None:
            place = labels[(region, tuple(sides))] = sides_label(region, sides)
        notes.append(NoteEntry(at, place, context, text))
    notes.sort(key=attrgetter("at"))
    return notes


def sides_label(region: str, sides: Sequence[str]) -> str:
    """'calf (left)', 'calf (left and right)', or 'neck' for a region without sides."""
    return places_label(region, sides)


RENDERERS: Final = {
    "md": render_markdown,
    "html": render_html,
    "csv": render_csv,
    "json": render_json,
    "fhir": render_fhir,
}


def render(report: Report, fmt: str) -> str:
    return RENDERERS[fmt](report)
