"""What `trend`, `today` and `schedule` show, each read in one call: the journal, and the
protocols that say what a region should reach (sessions per week, rest, which way an
outcome test should move)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from iastm_coach.errors import CoachError

if TYPE_CHECKING:
    from iastm_coach.history.queries import SessionRow
    from iastm_coach.journal.store import Journal
    from iastm_coach.plans.schedule import Course, Schedule
    from iastm_coach.plans.today import RegionRules, TodayPlan
    from iastm_coach.plans.trend import Trend
    from iastm_coach.protocols.files import LoadedProtocol
    from iastm_coach.safety.zones import RegionLinks


def trend_of(journal: Journal, *, region: str | None, weeks: int, now: datetime) -> Trend:
    """The last *weeks* of sessions and outcome measures, against each region's protocol."""
    from iastm_coach.history.outcomes import measurements_of
    from iastm_coach.history.queries import session_rows
    from iastm_coach.journal import records
    from iastm_coach.plans.trend import build_trend
    from iastm_coach.protocols.library import load_for_region
    from iastm_coach.safety.holds import active_holds

    start = now - timedelta(weeks=weeks)
    rows = session_rows(journal, region=region, last=None, since=start)
    measurements = [
        m
        for m in measurements_of(journal.recent(kinds={records.MEASURE}, since=start))
        if region is None or m.region == region
    ]
    prescribed: dict[str, int] = {}
    better: dict[tuple[str, str], bool] = {}
    error: dict[tuple[str, str], float] = {}
    treated = {row.region for row in rows} | ({region} if region else set())
    for name in sorted(treated | {m.region for m in measurements}):
        try:
            protocol = load_for_region(name).protocol
        except CoachError:
            continue  # a region no longer in the library: no target to compare with
        if protocol.prescription is not None and name in treated:
            prescribed[name] = protocol.prescription.sessions_per_week
        if protocol.outcome is not None:
            better[(name, protocol.outcome.name)] = protocol.outcome.higher_is_better
            if protocol.outcome.minimal_change is not None:
                error[(name, protocol.outcome.name)] = protocol.outcome.minimal_change
    return build_trend(
        rows,
        now=now,
        weeks_back=weeks,
        region=region,
        prescribed=prescribed,
        holds=active_holds(journal),
        measurements=measurements,
        higher_is_better=better,
        journal_start=first_session_day(journal, rows, start),
        minimal_change=error,
    )


def first_session_day(journal: Journal, rows: list[SessionRow], start: datetime) -> date | None:
    """The day of the first session ever when the journal holds nothing older than *start*
    (its oldest month file is later), else None: older weeks may have been missed."""
    oldest = journal.month_files()[:1]
    if not rows or (oldest and oldest[0].name[:7] <= f"{start.astimezone():%Y-%m}"):
        return None
    return min(row.started for row in rows).astimezone().date()


def rules_for(region: str, loaded: LoadedProtocol | None = None) -> RegionRules:
    """A region's rules from its installed protocol, else the built-in one."""
    from iastm_coach.plans.today import RegionRules
    from iastm_coach.protocols.library import load_for_region
    from iastm_coach.safety.zones import links_of

    protocol = (loaded or load_for_region(region)).protocol
    prescription = protocol.prescription
    return RegionRules(
        region=region,
        rest_hours=protocol.settings.rest_hours,
        sessions_per_week=prescription.sessions_per_week if prescription else None,
        links=links_of(protocol),
    )


def installed_regions(protocols_dir: Path) -> list[str]:
    """Regions with a protocol installed from a physio (in use even before a session)."""
    if not protocols_dir.is_dir():
        return []
    return sorted(path.stem for path in protocols_dir.glob("*.toml"))


def course_for(region: str) -> Course:
    """A region's course from its installed protocol, else the built-in one."""
    from iastm_coach.plans.schedule import Course
    from iastm_coach.plans.today import RegionRules
    from iastm_coach.protocols.library import load_for_region
    from iastm_coach.protocols.model import sides_a_sitting
    from iastm_coach.safety.zones import links_of

    loaded = load_for_region(region)
    protocol = loaded.protocol
    prescription = protocol.prescription
    sides = sides_a_sitting(protocol.access.sided, protocol.access.sides)  # a one-side plan: 1
    return Course(
        rules=RegionRules(  # with links: overlapping regions share one rest clock, and a
            region=region,  # hold reaches them, as in `today` and the session gate
            rest_hours=protocol.settings.rest_hours,
            sessions_per_week=prescription.sessions_per_week if prescription else None,
            links=links_of(protocol),
        ),
        course_weeks=prescription.course_weeks if prescription else None,
        protocol_id=protocol.id,
        # a built-in's version changes with iastm-coach updates, not with a renewal
        protocol_version="" if loaded.source == "built-in" else protocol.version,
        issued_by=protocol.issued.label() if protocol.issued else "",
        session_minutes=max(5, -(-protocol.planned_seconds(sides=sides) // 60)),
        stroke_s=protocol.planned_seconds(sides=sides),
    )


def schedule_plan(
    journal: Journal,
    now: datetime,
    *,
    protocols_dir: Path,
    weeks: int,
    time_of_day: time | None,
) -> Schedule:
    """The sessions and check-ins of the next *weeks*, each region on its own course."""
    from iastm_coach.plans.schedule import gather_schedule
    from iastm_coach.protocols.library import load_for_region
    from iastm_coach.safety.course import course_facts, review_due

    def review_for(region: str) -> str | None:  # the session gate's rule, as in `today`
        loaded = load_for_region(region)
        return review_due(loaded.protocol, course_facts(journal, loaded, now), now)

    return gather_schedule(
        journal,
        now,
        course_for=course_for,
        installed=installed_regions(protocols_dir),
        weeks=weeks,
        time_of_day=time_of_day,
        review_for=review_for,
    )


def today_plan(journal: Journal, now: datetime, *, protocols_dir: Path) -> TodayPlan:
    """Today's plan: due, resting, on hold, waiting, to review, done for the week,
    check-ins due. Each region's protocol is read once."""
    from iastm_coach.plans.today import gather_today
    from iastm_coach.protocols.library import load_for_region
    from iastm_coach.safety.course import course_facts, review_due
    from iastm_coach.safety.settling import waiting_reason
    from iastm_coach.safety.zones import links_of, remembered

    protocols: dict[str, LoadedProtocol] = {}

    def protocol_of(region: str) -> LoadedProtocol:
        if region not in protocols:
            protocols[region] = load_for_region(region)
        return protocols[region]

    def links_for(region: str) -> RegionLinks | None:
        try:
            return links_of(protocol_of(region).protocol)
        except CoachError:
            return None

    linked = remembered(links_for)

    def review_for(region: str) -> str | None:
        loaded = protocol_of(region)
        return review_due(loaded.protocol, course_facts(journal, loaded, now), now)

    def waiting_for(region: str) -> str | None:
        return waiting_reason(journal, links_of(protocol_of(region).protocol), now, linked)

    return gather_today(
        journal,
        now,
        rules_for=lambda region: rules_for(region, protocol_of(region)),
        installed=installed_regions(protocols_dir),
        review_for=review_for,
        waiting_for=waiting_for,
    )
