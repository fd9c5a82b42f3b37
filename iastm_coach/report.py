"""The physio's report: a model built from one streaming pass over the journal, and
four renderings of it (Markdown, self-contained HTML, CSV, JSON).

Outcome measures (the self-measured tests) are shown two ways, as `outcomes.py`
explains: before → after around each session, and the change over weeks of the
values taken before a session or on their own, always with `outcomes.CAVEAT`.

Building is pure (records in, model out); rendering is pure (model in, text
out). Everything written by people or protocol files (notes, names, reasons)
is escaped for the format it lands in. The HTML has no script, loads nothing
from the network (a Content-Security-Policy forbids it) and prints cleanly.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final

from iastm_coach import records
from iastm_coach.history import (
    ROW_FIELDS,
    SessionRow,
    join_rows,
    protocol_label,
    row_dict,
)
from iastm_coach.outcomes import (
    CAVEAT,
    Measurement,
    Series,
    build_series,
    changes_by_session,
    measurements_of,
    number,
    session_changes,
    signed,
    summary_line,
    with_unit,
)
from iastm_coach.redflags import RULES
from iastm_coach.trend import week_pending

if TYPE_CHECKING:
    from iastm_coach.holds import Hold
    from iastm_coach.journal import Record

FORMATS: Final = ("md", "html", "csv", "json")
REPORT_VERSION: Final = 1


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
    exercise_sittings: int = 0  # sittings with exercises recorded
    exercise_sets_done: int = 0
    exercise_sets_planned: int = 0
    week_in_progress: int | None = None  # sittings so far in this (uncounted) week

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
    rows: tuple[SessionRow, ...]  # oldest first
    protocols: tuple[ProtocolUse, ...]
    adherence: tuple[Adherence, ...]
    hold_events: tuple[HoldEvent, ...]
    active_holds: tuple[Hold, ...]
    screenings: tuple[ScreeningEntry, ...]
    notes: tuple[NoteEntry, ...]
    caution_labels: Mapping[str, str] = field(default_factory=dict)
    measures: tuple[Measurement, ...] = ()  # every outcome value in the period, oldest first
    outcomes: tuple[Series, ...] = ()  # one per region, test and side

    @property
    def regions(self) -> tuple[str, ...]:
        return tuple(sorted({row.region for row in self.rows}))

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
) -> Report:
    """Build the report from *items* (a journal scan, oldest first) in one pass.

    Records written before *since* are skipped (sessions by their start).
    *higher_is_better* maps (region, outcome test) to the protocol's direction.
    """
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
        elif kind == records.CHECKIN or kind == records.EXERCISE:
            companions.append(record)
        elif kind == records.MEASURE:
            measure_records.append(record)
        elif kind == records.HOLD:
            companions.append(record)
            events.append(
                HoldEvent(
                    record.at,
                    "hold",
                    str(data.get("region", "")),
                    str(data.get("rule", "")),
                    str(data.get("reason", "")),
                    str(data.get("source", "")),
                    record.id,
                )
            )
        elif kind == records.HOLD_CLEAR:
            events.append(
                HoldEvent(
                    record.at,
                    "clear",
                    str(data.get("region", "")),
                    "",
                    str(data.get("reason", "")),
                    "",
                    record.id,
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
    return Report(
        generated=now,
        since=since,
        patients=tuple(dict.fromkeys(p for p in patients if p)),
        rows=tuple(rows),
        protocols=tuple(protocol_uses(rows)),
        adherence=tuple(adherence_by_region(rows, prescriptions, now=now)),
        hold_events=tuple(sorted(events, key=lambda e: (e.at, e.record_id))),
        active_holds=tuple(sorted((active_holds or {}).values(), key=lambda h: h.region)),
        screenings=tuple(screenings),
        notes=tuple(collect_notes(rows)),
        caution_labels=dict(caution_labels or {}),
        measures=tuple(measures),
        outcomes=tuple(build_series(measures, higher_is_better=higher_is_better, changes=changes)),
    )


def session_start(record: Record) -> datetime:
    value = record.data.get("started")
    return value if isinstance(value, datetime) else record.at


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


def monday(moment: datetime) -> date:
    day = moment.astimezone().date()
    return day - timedelta(days=day.weekday())


def adherence_by_region(
    rows: Sequence[SessionRow], prescriptions: Mapping[str, Prescribed | None], *, now: datetime
) -> list[Adherence]:
    by_region: dict[str, list[SessionRow]] = {}
    for row in rows:
        by_region.setdefault(row.region, []).append(row)
    result = []
    this_week = monday(now)
    for region, region_rows in sorted(by_region.items()):
        sittings: dict[str, list[SessionRow]] = {}
        for row in region_rows:
            sittings.setdefault(row.group, []).append(row)
        per_week: dict[date, int] = {}
        complete = 0
        exercised = sets_done = sets_planned = 0
        for group_rows in sittings.values():
            week = monday(group_rows[0].started)
            per_week[week] = per_week.get(week, 0) + 1
            complete += all(row.complete for row in group_rows)
            exercise = group_rows[0].exercise  # the same on every side of the sitting
            if exercise is not None:
                exercised += 1
                sets_done += exercise.done
                sets_planned += exercise.planned
        prescribed = prescriptions.get(region)
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
        done = len(sittings)
        entry = Adherence(
            region=region,
            sittings=done,
            complete=complete,
            interrupted=done - complete,
            weeks=weeks,
            per_week=round(sum(counts) / weeks, 2) if weeks else 0.0,
            prescribed=prescribed,
            week_in_progress=in_progress,
            exercise_sittings=exercised,
            exercise_sets_done=sets_done,
            exercise_sets_planned=sets_planned,
        )
        if target is not None and weeks:
            entry = replace(
                entry,
                weeks_below=sum(c < target for c in counts),
                weeks_on_target=sum(c == target for c in counts),
                weeks_above=sum(c > target for c in counts),
                percent=round(100 * sum(min(c, target) for c in counts) / (target * weeks)),
            )
        result.append(entry)
    return result


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


def sides_label(region: str, sides: Sequence[str]) -> str:
    """'calf (left)', 'calf (left and right)', or 'neck' for a region without sides."""
    named = [side for side in ("left", "right") if side in sides]
    return f"{region} ({' and '.join(named)})" if named else region


# --- shared text ----------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def local(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment.astimezone():%Y-%m-%d %H:%M}"


def local_day(moment: datetime) -> str:
    return f"{moment.astimezone():%Y-%m-%d}"


def minutes(seconds: int) -> str:
    return f"{seconds / 60:.1f}"


def score(value: int | None) -> str:
    return "–" if value is None else str(value)


def rule_text(rule: str) -> str:
    """When a red-flag rule fires, in words for the physio (the rule id if unknown)."""
    known = RULES.get(rule)
    if known is None:
        return rule
    # The rules are worded for the patient ("you reported ..."); the report is for the physio.
    return known.when.replace("you reported", "the patient reported")


RULES_INTRO: Final = (
    "Each rule that fires puts the region on hold; iastm-coach then refuses "
    "sessions of that region until the patient lifts the hold, giving a reason that is "
    "recorded (listed above as 'lifted'). Soreness is asked on the 0-10 scale right after a "
    "session and at check-ins 24 h and 48 h later (72 h when it is still 4 or more)."
)
FOOTER: Final = (
    "Soreness is self-reported on the 0-10 numeric rating scale (0 none, 1-3 mild, "
    "4-6 moderate, 7-10 severe). Made by iastm-coach; it guides, it does not diagnose."
)


def adherence_text(item: Adherence) -> str:
    """'75 % of prescribed sessions (1.5 a week vs 2 prescribed; ...)', and this week's
    sittings so far while it is not counted."""
    so_far = "" if item.week_in_progress is None else f"{item.week_in_progress} so far this week"
    if not item.weeks:
        return f"first week not over yet: {so_far}"
    if item.prescribed is None or item.percent is None:
        text = f"{item.per_week:.1f} a week; no prescription in the protocol"
        return f"{text}; {so_far}, counted once the week is over" if so_far else text
    target = item.prescribed.sessions_per_week
    text = (
        f"{item.percent} % of prescribed sessions ({item.per_week:.1f} a week vs "
        f"{target} prescribed; weeks below / on / above target: "
        f"{item.weeks_below} / {item.weeks_on_target} / {item.weeks_above})"
    )
    if so_far:
        text += f"; {so_far}, counted once it has {target} or the week is over"
    return text


def exercise_text(item: Adherence) -> str:
    """'after 3 of 4 sittings (75 %); 18 of 24 sets done (75 %)'."""
    if not item.exercise_sittings:
        return "none recorded"
    text = f"after {item.exercise_sittings} of {item.sittings} sittings ({item.exercise_percent} %)"
    if item.exercise_sets_planned:
        text += (
            f"; {item.exercise_sets_done} of {item.exercise_sets_planned} sets done "
            f"({item.exercise_sets_percent} %)"
        )
    return text


def sets_cell(row: SessionRow) -> str:
    return f"{row.exercise.done}/{row.exercise.planned}" if row.exercise else "–"


def value_text(value: float | None, unit: str) -> str:
    return "–" if value is None else with_unit(value, unit)


def change_text(value: float | None, unit: str) -> str:
    return "–" if value is None else signed(value, unit)


def direction_text(series: Series) -> str:
    if series.higher_is_better is None:
        return "not stated"
    return "higher" if series.higher_is_better else "lower"


def period_text(report: Report) -> str:
    start = (
        local_day(report.since)
        if report.since
        else (local_day(report.rows[0].started) if report.rows else "the start")
    )
    return f"{start} to {local_day(report.generated)}"


# --- Markdown ------------------------------------------------------------------------------

_MD_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<>|#!~"})


def md(text: str) -> str:
    """Untrusted text as inert Markdown (one line; no markup, links or HTML)."""
    flat = " ".join(text.split())
    return flat.translate(_MD_SPECIAL).replace("&", "&amp;")


def md_table(header: Sequence[str], body: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(cells) + " |" for cells in body)
    return lines


def render_markdown(report: Report) -> str:
    out: list[str] = ["# IASTM self-treatment report", ""]
    out.append(f"- Patient: {md(', '.join(report.patients)) or 'not named in the protocol'}")
    out.append(f"- Period: {period_text(report)}")
    out.append(f"- Generated: {local(report.generated)}")
    out.append(f"- Sessions: {len(report.rows)} (one per treated side)")
    out.append("")
    out.append("## Holds now in force")
    out.append("")
    if report.active_holds:
        for hold in report.active_holds:
            out.append(
                f"- **{md(hold.region)}** on hold since {local(hold.since)}: "
                f"{md(hold.reason_text())} (rules: {md(', '.join(hold.all_rules))})"
            )
    else:
        out.append("None.")
    out.append("")
    out.append("## Protocols followed")
    out.append("")
    out.extend(
        md_table(
            ["Region", "Protocol", "Version", "From", "Fingerprint", "Sessions", "First", "Last"],
            (
                [
                    md(u.region),
                    md(u.protocol_id),
                    md(u.version),
                    md(u.label),
                    f"`{md(u.fingerprint[:12])}`",
                    str(u.sessions),
                    local_day(u.first),
                    local_day(u.last),
                ]
                for u in report.protocols
            ),
        )
    )
    out.append("")
    out.append("## Adherence")
    out.append("")
    out.extend(
        md_table(
            ["Region", "Sittings", "Complete", "Interrupted", "Weeks", "Adherence", "Exercises"],
            (
                [
                    md(a.region),
                    str(a.sittings),
                    str(a.complete),
                    str(a.interrupted),
                    str(a.weeks),
                    md(adherence_text(a)),
                    md(exercise_text(a)),
                ]
                for a in report.adherence
            ),
        )
    )
    out.append("")
    out.extend(markdown_outcomes(report))
    out.append("## Red flags and holds")
    out.append("")
    if report.hold_events:
        out.extend(
            md_table(
                ["When", "Region", "Event", "Rule", "Reason"],
                (
                    [
                        local(e.at),
                        md(e.region),
                        "hold" if e.kind == "hold" else "lifted",
                        md(e.rule),
                        md(e.reason),
                    ]
                    for e in report.hold_events
                ),
            )
        )
    else:
        out.append("No red flags in this period.")
    out.append("")
    out.extend(["### Red-flag rules", "", md(RULES_INTRO), ""])
    out.extend(f"- `{md(rule)}`: {md(rule_text(rule))}" for rule in RULES)
    out.append("")
    out.append("## Screening: cautions and stops")
    out.append("")
    if report.screenings:
        out.extend(
            md_table(
                ["When", "Region", "Outcome", "Cautions cleared by a clinician", "Work around"],
                (
                    [
                        local(s.at),
                        md(s.region),
                        md(s.outcome + (f" ({s.stopped_by})" if s.stopped_by else "")),
                        md("; ".join(report.caution_label(c) for c in s.cleared_cautions)),
                        md("; ".join(report.caution_label(c) for c in s.local)),
                    ]
                    for s in report.screenings
                ),
            )
        )
    else:
        out.append("No caution answers or screening stops in this period.")
    out.append("")
    out.append("## Soreness timeline (0-10)")
    out.append("")
    out.extend(
        md_table(
            [
                "Date",
                "Region",
                "Protocol",
                "Minutes (done/planned)",
                "Status",
                "Dose",
                "After",
                "24 h",
                "48 h",
                "72 h",
                "Exercise sets",
                "Flags",
            ],
            (
                [
                    local(r.started),
                    md(r.place()),
                    f"`{md(r.fingerprint[:12])}`",
                    f"{minutes(r.actual_s)}/{minutes(r.planned_s)}",
                    r.status(dose=False),
                    f"{r.dose_percent} %",
                    score(r.soreness_after),
                    score(r.soreness_at(24)),
                    score(r.soreness_at(48)),
                    score(r.soreness_at(72)),
                    sets_cell(r),
                    md(", ".join(r.flags)),
                ]
                for r in report.rows
            ),
        )
    )
    out.append("")
    out.append("## Notes")
    out.append("")
    if report.notes:
        out.extend(
            f"- {local(n.at)}, {md(n.place)}, {md(n.context)}: {md(n.text)}" for n in report.notes
        )
    else:
        out.append("No notes.")
    out.append("")
    out.append(f"_{md(FOOTER)}_")
    return "\n".join(out) + "\n"


def markdown_outcomes(report: Report) -> list[str]:
    """The outcome measures section: summary, week by week, before and after each session."""
    out = ["## Outcome measures", ""]
    if not report.outcomes:
        out.extend(["No outcome measurements in this period.", ""])
        return out
    out.extend([f"_{md(CAVEAT)}_", ""])
    out.extend(
        md_table(
            [
                "Region",
                "Test",
                "Better when",
                "Values",
                "Weeks measured",
                "First weeks (median)",
                "Last weeks (median)",
                "Change over weeks",
                "Sessions measured before and after",
                "Average change right after",
            ],
            (
                [
                    md(s.place()),
                    md(f"{s.test} ({s.unit})"),
                    direction_text(s),
                    str(len(s.values)),
                    str(len(s.weeks)),
                    md(value_text(s.overall.early if s.overall else None, s.unit)),
                    md(value_text(s.overall.late if s.overall else None, s.unit)),
                    md(change_text(s.overall.change if s.overall else None, s.unit)),
                    str(len(s.paired)),
                    md(change_text(s.mean_session_change, s.unit)),
                ]
                for s in report.outcomes
            ),
        )
    )
    out.append("")
    out.extend(f"- {md(summary_line(s))}" for s in report.outcomes)
    out.extend(["", "### Week by week", ""])
    out.append(
        "Values taken before a session or on their own (not right after a session), "
        "per week from Monday."
    )
    out.append("")
    out.extend(md_table(WEEK_HEADER, week_rows(report.outcomes, md)))
    out.extend(["", "### Before and after each session", ""])
    if any(s.changes for s in report.outcomes):
        out.extend(md_table(CHANGE_HEADER, change_rows(report.outcomes, md)))
    else:
        out.append("No session was measured before and after.")
    out.append("")
    return out


WEEK_HEADER: Final = ("Week of", "Region", "Test", "Values", "Median", "Lowest", "Highest")
CHANGE_HEADER: Final = ("When", "Region", "Test", "Before", "After", "Change")


class SeriesWords:
    """One series' words, escaped once for a format (*escape*), for its many table rows.

    Numbers, signs, dates and our own words need no escaping; the region, test
    and unit (protocol text) go through *escape*.
    """

    def __init__(self, series: Series, escape: Callable[[str], str]) -> None:
        from iastm_coach.measure import is_score

        self.place = escape(series.place())
        self.test = escape(series.test)
        self.score = is_score(series.unit)
        self.suffix = "/10" if self.score else f" {escape(series.unit)}"

    def value(self, value: float | None) -> str:
        """'9.5 cm', '4/10', '–' when missing (as `outcomes.with_unit`)."""
        return "–" if value is None else number(value) + self.suffix

    def change(self, value: float | None) -> str:
        """'+1.5 cm', '-2 points', '–' when missing (as `outcomes.signed`)."""
        if value is None:
            return "–"
        text = ("+" if value > 0 else "") + number(value)
        return f"{text} point{'s' * (abs(value) != 1)}" if self.score else text + self.suffix


def week_rows(outcomes: Sequence[Series], escape: Callable[[str], str]) -> Iterator[list[str]]:
    """Week by week, per series: the values taken before a session or on their own."""
    for series in outcomes:
        words = SeriesWords(series, escape)
        for w in series.weeks:
            yield [
                f"{w.monday:%Y-%m-%d}",
                words.place,
                words.test,
                str(w.count),
                words.value(w.median),
                words.value(w.low),
                words.value(w.high),
            ]


def change_rows(outcomes: Sequence[Series], escape: Callable[[str], str]) -> Iterator[list[str]]:
    """Before and after each session, per series, oldest first."""
    for series in outcomes:
        words = SeriesWords(series, escape)
        for c in series.changes:
            yield [
                local(c.at),
                words.place,
                words.test,
                words.value(c.before),
                words.value(c.after),
                words.change(c.change),
            ]


# --- CSV and JSON --------------------------------------------------------------------------

_FORMULA_START: Final = frozenset("=+-@\t\r")


def csv_cell(value: Any) -> str:
    """One CSV cell; text a spreadsheet would run as a formula gets a leading apostrophe."""
    kind = type(value)
    if kind is str:
        return f"'{value}" if value[:1] in _FORMULA_START else value
    if value is None:
        return ""
    if kind is bool:
        return "true" if value else "false"
    return str(value)


def csv_row(row: SessionRow) -> list[str]:
    data = row_dict(row)  # in ROW_FIELDS order
    data["flags"] = ";".join(row.flags)
    data["checkin_notes"] = "\n".join(f"{n.hours} h: {n.note}" for n in row.checkin_notes)
    return [csv_cell(value) for value in data.values()]


def render_csv(report: Report) -> str:
    """One row per session, columns `ROW_FIELDS`, oldest first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([name for name, _ in ROW_FIELDS])
    for row in report.rows:
        writer.writerow(csv_row(row))
    return buffer.getvalue()


def report_dict(report: Report) -> dict[str, Any]:
    def iso(moment: datetime | None) -> str | None:
        return None if moment is None else moment.isoformat()

    return {
        "report_version": REPORT_VERSION,
        "generated": iso(report.generated),
        "since": iso(report.since),
        "patients": list(report.patients),
        "protocols": [
            {
                "region": u.region,
                "protocol_id": u.protocol_id,
                "protocol_version": u.version,
                "from": u.label,
                "protocol_fingerprint": u.fingerprint,
                "sessions": u.sessions,
                "first": iso(u.first),
                "last": iso(u.last),
            }
            for u in report.protocols
        ],
        "adherence": [
            {
                "region": a.region,
                "sittings": a.sittings,
                "complete": a.complete,
                "interrupted": a.interrupted,
                "weeks": a.weeks,
                "per_week": a.per_week,
                "prescribed_per_week": a.prescribed.sessions_per_week if a.prescribed else None,
                "course_weeks": a.prescribed.course_weeks if a.prescribed else None,
                "weeks_below": a.weeks_below,
                "weeks_on_target": a.weeks_on_target,
                "weeks_above": a.weeks_above,
                "percent": a.percent,
                "exercise_sittings": a.exercise_sittings,
                "exercise_percent": a.exercise_percent,
                "exercise_sets_done": a.exercise_sets_done,
                "exercise_sets_planned": a.exercise_sets_planned,
                "exercise_sets_percent": a.exercise_sets_percent,
                "week_in_progress": a.week_in_progress,
            }
            for a in report.adherence
        ],
        "holds": [
            {
                "at": iso(e.at),
                "event": e.kind,
                "region": e.region,
                "rule": e.rule,
                "reason": e.reason,
                "source": e.source_id,
                "id": e.record_id,
            }
            for e in report.hold_events
        ],
        "active_holds": [
            {
                "region": h.region,
                "since": iso(h.since),
                "rule": h.rule,
                "rules": list(h.all_rules),
                "reason": h.reason,
                "reasons": list(h.all_reasons),
                "id": h.record_id,
            }
            for h in report.active_holds
        ],
        "screenings": [
            {
                "at": iso(s.at),
                "region": s.region,
                "outcome": s.outcome,
                "stopped_by": s.stopped_by,
                "cleared_cautions": list(s.cleared_cautions),
                "local": list(s.local),
            }
            for s in report.screenings
        ],
        "notes": [
            {"at": iso(n.at), "place": n.place, "context": n.context, "text": n.text}
            for n in report.notes
        ],
        "red_flag_rules": [{"rule": rule, "when": rule_text(rule)} for rule in RULES],
        "measure_caveat": CAVEAT,
        "measures": [
            {
                "at": iso(m.at),
                "region": m.region,
                "side": m.side,
                "test": m.test,
                "unit": m.unit,
                "value": m.value,
                "phase": m.phase,
                "session": m.session,
                "id": m.id,
            }
            for m in report.measures
        ],
        "outcomes": [outcome_dict(series) for series in report.outcomes],
        "sessions": [row_dict(row) for row in report.rows],
    }


def outcome_dict(series: Series) -> dict[str, Any]:
    """One test on one side: the change over weeks and around sessions, JSON-ready."""
    overall = series.overall
    return {
        "region": series.region,
        "side": series.side,
        "test": series.test,
        "unit": series.unit,
        "higher_is_better": series.higher_is_better,
        "values": len(series.values),
        "weeks_measured": len(series.weeks),
        "weeks_compared": overall.edge_weeks if overall else None,
        "first_weeks_median": overall.early if overall else None,
        "last_weeks_median": overall.late if overall else None,
        "change_over_weeks": overall.change if overall else None,
        "sessions_before_after": len(series.paired),
        "mean_change_right_after": series.mean_session_change,
        "weekly": [
            {
                "week": f"{w.monday:%Y-%m-%d}",
                "values": w.count,
                "median": w.median,
                "lowest": w.low,
                "highest": w.high,
            }
            for w in series.weeks
        ],
        "summary": summary_line(series),
    }


def render_json(report: Report) -> str:
    """One top-level key per line and one list item (a session, a note) per line.

    Compact items keep Python's fast C encoder (an indented dump is several
    times slower on 10,000 sessions) while the file stays readable.
    """
    lines = []
    for key, value in report_dict(report).items():
        name = json.dumps(key)
        if isinstance(value, list) and value:
            items = ",\n".join(json.dumps(item, ensure_ascii=False) for item in value)
            lines.append(f"{name}: [\n{items}\n]")
        else:
            lines.append(f"{name}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


# --- HTML ----------------------------------------------------------------------------------

SERIES: Final[tuple[tuple[str, str, str], ...]] = (
    # (key, label, colour): shapes differ too, so the chart reads in black and white
    ("after", "right after", "#1f4e9c"),
    ("24h", "24 h", "#c15400"),
    ("48h", "48 h", "#2e7d32"),
    ("72h", "72 h", "#7b1fa2"),
)

CSS: Final = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#111;
margin:2em auto;max-width:60em;padding:0 1em;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}
h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #999}
table{border-collapse:collapse;width:100%;font-size:.9em;margin:.5em 0}
th,td{border:1px solid #bbb;padding:.25em .4em;text-align:left;vertical-align:top}
th{background:#eee}td.num{text-align:right}code{font-size:.95em}
.hold{color:#a00;font-weight:bold}.muted{color:#555}.caveat{border-left:4px solid #c15400;
padding:.3em .6em;background:#fff6ee}h3{font-size:1.05em;margin-bottom:.2em}
svg{width:100%;height:auto;border:1px solid #ccc}
@media print{body{margin:0;max-width:none;font-size:10pt}h2{page-break-after:avoid}
tr{page-break-inside:avoid}svg{page-break-inside:avoid}a{color:inherit}}
"""


def esc(text: str) -> str:
    return html.escape(text, quote=True)


# The same few strings (places, protocol labels, fingerprints) repeat on every row.
esc_repeated = lru_cache(maxsize=4096)(esc)


def esc_id(text: str) -> str:
    """Record ids are letters and digits (escaped anyway if a hand edit made them not)."""
    return text if text.isalnum() else esc(text)


def html_table(header: Sequence[str], body: Iterable[Sequence[str]]) -> list[str]:
    """*body* cells are already-escaped HTML."""
    lines = [
        "<table>",
        "<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr></thead>",
        "<tbody>",
    ]
    lines.extend("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>" for cells in body)
    lines.append("</tbody></table>")
    return lines


def chart_svg(report: Report, *, width: int = 900, height: int = 320) -> str:
    """Soreness over time: every answered value is one marked point, holds as red lines."""
    left, right, top, bottom = 40, 12, 14, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    rows = report.rows
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="Soreness over time" class="chart">',
        "<title>Soreness (0-10) after each session and at the follow-ups</title>",
    ]
    for level in range(0, 11, 2):
        y = top + plot_h * (1 - level / 10)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{level}</text>'
        )
    if not rows:
        out.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle">No sessions</text></svg>'
        )
        return "".join(out)
    first = rows[0].started.timestamp()
    last = rows[-1].started.timestamp()
    span = last - first

    def x_of(moment: datetime) -> float:
        if span <= 0:
            return left + plot_w / 2
        return left + plot_w * (moment.timestamp() - first) / span

    def y_of(value: int) -> float:
        return top + plot_h * (1 - value / 10)

    for event in report.hold_events:
        if event.kind == "hold" and first <= event.at.timestamp() <= last:
            x = x_of(event.at)
            out.append(
                f'<line class="hold-mark" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" '
                f'y2="{top + plot_h}" stroke="#c00" stroke-dasharray="4 3">'
                f"<title>{esc(f'Hold on {event.region}, {local(event.at)}: {event.reason}')}"
                "</title>"
                "</line>"
            )
    # Per session once: its x, and its escaped id, place, local time and instant.
    prepared = [
        # local() and isoformat() produce digits and punctuation only: nothing to escape.
        (row, x_of(row.started), esc_id(row.id), esc_repeated(row.place()), local(row.started),
         row.started.isoformat())
        for row in rows
    ]  # fmt: skip
    for index, (key, label, colour) in enumerate(SERIES):
        hours = None if key == "after" else int(key[:-1])
        points = []
        for item in prepared:
            row = item[0]
            value = row.soreness_after if hours is None else row.soreness_by_hours.get(hours)
            if value is not None:
                points.append((item, value))
        if not points:
            continue
        if len(points) > 1:
            path = " ".join(f"{item[1]:.1f},{y_of(v):.1f}" for item, v in points)
            out.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" '
                f'stroke-width="1" stroke-opacity=".5"/>'
            )
        out.append(f'<g class="series" data-series="{key}" fill="{colour}">')
        for (_row, x, row_id, place, when, instant), value in points:
            title = f"{place}, {when}: soreness {label} {value}/10"
            attrs = (
                f'class="point" data-series="{key}" data-session="{row_id}" '
                f'data-value="{value}" data-when="{instant}"'
            )
            out.append(_marker(index, x, y_of(value), attrs, title))
        out.append("</g>")
    out.append(
        f'<text x="{left}" y="{height - 26}" font-size="11">'
        f"{esc(local_day(rows[0].started))}</text>"
        f'<text x="{left + plot_w}" y="{height - 26}" font-size="11" text-anchor="end">'
        f"{esc(local_day(rows[-1].started))}</text>"
    )
    legend_x = left
    for index, (_key, label, colour) in enumerate(SERIES):
        out.append(
            f'<g fill="{colour}">'
            + _marker(index, legend_x + 5, height - 9, 'class="legend"', esc(label))
            + f'<text x="{legend_x + 13}" y="{height - 5}" font-size="11">{esc(label)}</text></g>'
        )
        legend_x += 100
    out.append(
        f'<line x1="{legend_x}" y1="{height - 9}" x2="{legend_x + 14}" y2="{height - 9}" '
        f'stroke="#c00" stroke-dasharray="4 3"/><text x="{legend_x + 18}" y="{height - 5}" '
        'font-size="11">red-flag hold</text></svg>'
    )
    return "".join(out)


def _marker(index: int, x: float, y: float, attrs: str, title: str) -> str:
    inner = f"<title>{title}</title>"
    if index == 0:
        return f'<circle {attrs} cx="{x:.1f}" cy="{y:.1f}" r="3.5">{inner}</circle>'
    if index == 1:
        return f'<rect {attrs} x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6">{inner}</rect>'
    if index == 2:
        return (
            f'<polygon {attrs} points="{x:.1f},{y - 4:.1f} {x + 4:.1f},{y + 3:.1f} '
            f'{x - 4:.1f},{y + 3:.1f}">{inner}</polygon>'
        )
    return (
        f'<polygon {attrs} points="{x:.1f},{y - 4:.1f} {x + 4:.1f},{y:.1f} {x:.1f},{y + 4:.1f} '
        f'{x - 4:.1f},{y:.1f}">{inner}</polygon>'
    )


MEASURE_COLOURS: Final = {"before": "#1f4e9c", "standalone": "#2e7d32", "after": "#c15400"}
MEASURE_LABELS: Final = {
    "before": "before a session",
    "standalone": "on its own",
    "after": "right after a session",
}


def _measure_marker(phase: str, x: float, y: float, attrs: str, title: str) -> str:
    """A circle before a session, a diamond on its own, a square right after."""
    colour = MEASURE_COLOURS.get(phase, "#111")
    inner = f"<title>{title}</title>"
    if phase == "after":
        return (
            f'<rect {attrs} x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" '
            f'fill="{colour}">{inner}</rect>'
        )
    if phase == "standalone":
        return (
            f'<polygon {attrs} points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},'
            f'{y + 5:.1f} {x - 5:.1f},{y:.1f}" fill="{colour}">{inner}</polygon>'
        )
    return f'<circle {attrs} cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}">{inner}</circle>'


def nice_scale(lowest: float, highest: float, *, ticks: int = 4) -> tuple[float, float, float]:
    """An axis from a round number below *lowest* to one above *highest*, in round steps
    (1, 2, 2.5 or 5 times a power of ten), about *ticks* of them."""
    import math

    if highest - lowest < 1e-9:
        lowest, highest = lowest - 1, highest + 1
    raw = (highest - lowest) / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw - 1e-12)
    low = math.floor(lowest / step + 1e-9) * step
    high = math.ceil(highest / step - 1e-9) * step
    if high - low < step:
        high = low + step
    return low, high, step


def measure_chart_svg(series: Series, *, width: int = 900, height: int = 240) -> str:
    """One test on one side over time: every value is one marked point.

    Values taken before a session or on their own are joined by a line (the
    change over weeks); a dashed segment joins each session's before and after.
    """
    from iastm_coach.measure import is_score

    left, right, top, bottom = 56, 12, 14, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    values = series.values
    name = esc(f"{series.test}, {series.place()}, in {series.unit}")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{name} over time" class="measure-chart">',
        f"<title>{name} over time</title>",
    ]
    numbers = [m.value for m in values]
    if is_score(series.unit):
        low, high, step = 0.0, 10.0, 2.0
    else:
        low, high, step = nice_scale(min(numbers), max(numbers))
    first = values[0].at.timestamp()
    span = values[-1].at.timestamp() - first

    def x_of(moment: datetime) -> float:
        if span <= 0:
            return left + plot_w / 2
        return left + plot_w * (moment.timestamp() - first) / span

    def y_of(value: float) -> float:
        return top + plot_h * (1 - (value - low) / (high - low))

    for index in range(round((high - low) / step) + 1):
        level = low + step * index
        y = y_of(level)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">'
            f"{esc(number(level))}</text>"
        )
    placed = {m.id: (x_of(m.at), y_of(m.value)) for m in values}
    rested = [placed[m.id] for m in values if m.rested]
    if len(rested) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in rested)
        out.append(
            f'<polyline points="{path}" fill="none" stroke="{MEASURE_COLOURS["before"]}" '
            'stroke-width="1.2" stroke-opacity=".6"/>'
        )
    pairs: dict[str, dict[str, str]] = {}
    for m in values:
        if m.session and m.phase in ("before", "after"):
            pairs.setdefault(m.session, {})[m.phase] = m.id
    for phases in pairs.values():
        if "before" in phases and "after" in phases:
            (x1, y1), (x2, y2) = placed[phases["before"]], placed[phases["after"]]
            out.append(
                f'<line class="pair" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                f'stroke="{MEASURE_COLOURS["after"]}" stroke-dasharray="3 2"/>'
            )
    place = esc(series.place())
    # The unit is the series' own (escaped once); numbers, phases and times need no escaping.
    suffix = "/10" if is_score(series.unit) else f" {esc(series.unit)}"
    for m in values:
        x, y = placed[m.id]
        title = f"{place}, {local(m.at)}: {number(m.value)}{suffix} {MEASURE_LABELS[m.phase]}"
        attrs = (
            f'class="measure-point" data-id="{esc_id(m.id)}" data-phase="{m.phase}" '
            f'data-value="{m.value!r}" data-when="{m.at.isoformat()}" '
            f'data-session="{esc_id(m.session)}"'
        )
        out.append(_measure_marker(m.phase, x, y, attrs, title))
    out.append(
        f'<text x="{left}" y="{height - 26}" font-size="11">'
        f"{esc(local_day(values[0].at))}</text>"
        f'<text x="{left + plot_w}" y="{height - 26}" font-size="11" text-anchor="end">'
        f"{esc(local_day(values[-1].at))}</text>"
    )
    legend_x = left
    for phase in ("before", "standalone", "after"):
        out.append(
            _measure_marker(
                phase, legend_x + 5, height - 9, 'class="legend"', MEASURE_LABELS[phase]
            )
            + f'<text x="{legend_x + 13}" y="{height - 5}" font-size="11">'
            f"{esc(MEASURE_LABELS[phase])}</text>"
        )
        legend_x += 170
    out.append(
        f'<line x1="{legend_x}" y1="{height - 9}" x2="{legend_x + 14}" y2="{height - 9}" '
        f'stroke="{MEASURE_COLOURS["after"]}" stroke-dasharray="3 2"/>'
        f'<text x="{legend_x + 18}" y="{height - 5}" font-size="11">one session, before to '
        "after</text></svg>"
    )
    return "".join(out)


def html_outcomes(report: Report) -> list[str]:
    """The outcome measures section: caveat, summary, a chart per test and side, tables."""
    out = ["<h2>Outcome measures</h2>"]
    if not report.outcomes:
        out.append("<p>No outcome measurements in this period.</p>")
        return out
    out.append(f'<p class="caveat">{esc(CAVEAT)}</p>')
    out.extend(
        html_table(
            [
                "Region",
                "Test",
                "Better when",
                "Values",
                "Weeks measured",
                "First weeks (median)",
                "Last weeks (median)",
                "Change over weeks",
                "Sessions measured before and after",
                "Average change right after",
            ],
            (
                [
                    esc(s.place()),
                    esc(f"{s.test} ({s.unit})"),
                    direction_text(s),
                    str(len(s.values)),
                    str(len(s.weeks)),
                    esc(value_text(s.overall.early if s.overall else None, s.unit)),
                    esc(value_text(s.overall.late if s.overall else None, s.unit)),
                    esc(change_text(s.overall.change if s.overall else None, s.unit)),
                    str(len(s.paired)),
                    esc(change_text(s.mean_session_change, s.unit)),
                ]
                for s in report.outcomes
            ),
        )
    )
    out.append("<ul>")
    out.extend(f"<li>{esc(summary_line(s))}</li>" for s in report.outcomes)
    out.append("</ul>")
    for series in report.outcomes:
        out.append(f"<h3>{esc(series.test)}, {esc(series.place())}</h3>")
        out.append(measure_chart_svg(series))
    out.append("<h3>Week by week</h3>")
    out.append(
        '<p class="muted">Values taken before a session or on their own (not right after a '
        "session), per week from Monday.</p>"
    )
    out.extend(html_table(WEEK_HEADER, week_rows(report.outcomes, esc)))
    out.append("<h3>Before and after each session</h3>")
    if any(s.changes for s in report.outcomes):
        out.extend(html_table(CHANGE_HEADER, change_rows(report.outcomes, esc)))
    else:
        out.append("<p>No session was measured before and after.</p>")
    return out


def render_html(report: Report) -> str:
    patients = ", ".join(report.patients) or "not named in the protocol"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>IASTM report: {esc(patients)}</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>IASTM self-treatment report</h1>",
        "<p>"
        f"<strong>Patient:</strong> {esc(patients)}<br>"
        f"<strong>Period:</strong> {esc(period_text(report))}<br>"
        f"<strong>Generated:</strong> {esc(local(report.generated))}<br>"
        f"<strong>Sessions:</strong> {len(report.rows)} (one per treated side)</p>",
        "<h2>Holds now in force</h2>",
    ]
    if report.active_holds:
        out.append("<ul>")
        out.extend(
            f'<li class="hold">{esc(h.region)} on hold since {esc(local(h.since))}: '
            f"{esc(h.reason_text())} ({esc(', '.join(h.all_rules))})</li>"
            for h in report.active_holds
        )
        out.append("</ul>")
    else:
        out.append("<p>None.</p>")
    out.append("<h2>Soreness over time</h2>")
    out.append(chart_svg(report))
    out.append("<h2>Protocols followed</h2>")
    out.extend(
        html_table(
            ["Region", "Protocol", "Version", "From", "Fingerprint", "Sessions", "First", "Last"],
            (
                [
                    esc(u.region),
                    esc(u.protocol_id),
                    esc(u.version),
                    esc(u.label),
                    f'<code title="{esc(u.fingerprint)}">{esc(u.fingerprint[:12])}</code>',
                    str(u.sessions),
                    esc(local_day(u.first)),
                    esc(local_day(u.last)),
                ]
                for u in report.protocols
            ),
        )
    )
    out.append("<h2>Adherence</h2>")
    out.extend(
        html_table(
            ["Region", "Sittings", "Complete", "Interrupted", "Weeks", "Adherence", "Exercises"],
            (
                [
                    esc(a.region),
                    str(a.sittings),
                    str(a.complete),
                    str(a.interrupted),
                    str(a.weeks),
                    esc(adherence_text(a)),
                    esc(exercise_text(a)),
                ]
                for a in report.adherence
            ),
        )
    )
    out.extend(html_outcomes(report))
    out.append("<h2>Red flags and holds</h2>")
    if report.hold_events:
        out.extend(
            html_table(
                ["When", "Region", "Event", "Rule", "Reason"],
                (
                    [
                        esc(local(e.at)),
                        esc(e.region),
                        "hold" if e.kind == "hold" else "lifted",
                        f'<span title="{esc(rule_text(e.rule))}">{esc(e.rule)}</span>',
                        esc(e.reason),
                    ]
                    for e in report.hold_events
                ),
            )
        )
    else:
        out.append("<p>No red flags in this period.</p>")
    out.append("<h3>Red-flag rules</h3>")
    out.append(f"<p>{esc(RULES_INTRO)}</p>")
    out.append('<ul class="rules">')
    out.extend(f"<li><code>{esc(rule)}</code>: {esc(rule_text(rule))}</li>" for rule in RULES)
    out.append("</ul>")
    out.append("<h2>Screening: cautions and stops</h2>")
    if report.screenings:
        out.extend(
            html_table(
                ["When", "Region", "Outcome", "Cautions cleared by a clinician", "Work around"],
                (
                    [
                        esc(local(s.at)),
                        esc(s.region),
                        esc(s.outcome + (f" ({s.stopped_by})" if s.stopped_by else "")),
                        esc("; ".join(report.caution_label(c) for c in s.cleared_cautions)),
                        esc("; ".join(report.caution_label(c) for c in s.local)),
                    ]
                    for s in report.screenings
                ),
            )
        )
    else:
        out.append("<p>No caution answers or screening stops in this period.</p>")
    out.append("<h2>Sessions</h2>")
    out.extend(
        html_table(
            [
                "Date",
                "Region",
                "Protocol",
                "Minutes done/planned",
                "Status",
                "Dose",
                "After",
                "24 h",
                "48 h",
                "72 h",
                "Exercise sets",
                "Flags",
            ],
            (
                [
                    local(r.started),
                    esc_repeated(r.place()),
                    f"{esc_repeated(protocol_label(r.data))} "
                    f"<code>{esc_repeated(r.fingerprint[:12])}</code>",
                    f"{minutes(r.actual_s)}/{minutes(r.planned_s)}",
                    r.status(dose=False),
                    f"{r.dose_percent} %",
                    score(r.soreness_after),
                    score(r.soreness_at(24)),
                    score(r.soreness_at(48)),
                    score(r.soreness_at(72)),
                    sets_cell(r),
                    esc_repeated(", ".join(r.flags)),
                ]
                for r in report.rows
            ),
        )
    )
    out.append("<h2>Notes</h2>")
    if report.notes:
        out.append("<ul>")
        out.extend(
            f"<li>{local(n.at)}, {esc_repeated(n.place)}, {esc_repeated(n.context)}: "
            f"{esc(n.text)}</li>"
            for n in report.notes
        )
        out.append("</ul>")
    else:
        out.append("<p>No notes.</p>")
    out.append(f'<p class="muted">{esc(FOOTER)}</p>')
    out.append("</body></html>")
    return "\n".join(out) + "\n"


RENDERERS: Final = {
    "md": render_markdown,
    "html": render_html,
    "csv": render_csv,
    "json": render_json,
}


def render(report: Report, fmt: str) -> str:
    return RENDERERS[fmt](report)
