"""Safety gates before anything else: red-flag holds (the region's own, its zone's and
its overlapping regions'), and the rest period (shared with overlapping regions)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

from iastm_coach.errors import SafetyStop
from iastm_coach.history.queries import last_session, session_end
from iastm_coach.journal import records
from iastm_coach.protocols.files import LoadedProtocol
from iastm_coach.safety.holds import Hold, active_holds, clear_command
from iastm_coach.safety.redflags import hold_reminder
from iastm_coach.safety.rest import (
    CLINICIAN_QUESTION,
    daily_cap_problem,
    floor_problem,
    repeat_override_problem,
    rest_ready_at,
    week_problem,
    whole_minutes_up,
)
from iastm_coach.safety.zones import (
    Blocker,
    LinksFor,
    RegionLinks,
    blockers,
    library_links,
    links_for_holds,
    links_of,
    overlapping,
    sides_meet,
)
from iastm_coach.vocabulary import as_recorded, describe_end, until, up_to_minute, week_start

if TYPE_CHECKING:
    from iastm_coach.journal.store import Journal, Record
    from iastm_coach.protocols.model import TreatmentProtocol

QUOTED_REASON: Final = '"..."'
SHARED_REST_LOOKBACK: Final = timedelta(hours=336)  # the longest rest a protocol may set


def rest_remaining(last_ended: datetime | None, rest_hours: int, now: datetime) -> timedelta:
    """How long until the region has rested `rest_hours` (zero when it has), with the
    routine tolerance of `rest.rest_ready_at` (never below the 24 h floor)."""
    if last_ended is None:
        return timedelta(0)
    return max(timedelta(0), rest_ready_at(last_ended, rest_hours) - now)


def ready_moment(now: datetime, remaining: timedelta) -> tuple[datetime, timedelta]:
    """When the wait of *remaining* ends, rounded up to the minute, and the wait from the
    clock's current minute to it: the one rounding of a refusal ("5 min to go (from
    18:05)" at 18:00:40 when the rest ends at 18:04:10)."""
    ready = now + remaining
    return up_to_minute(ready), until(ready, now)


def describe_duration(delta: timedelta) -> str:
    """'2 h 5 min', '40 min', '1 min': whole minutes rounded up, as `ready_moment`."""
    hours, minutes = divmod(whole_minutes_up(delta), 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def routine_note(rest_hours: int) -> str:
    """' (a routine may start up to 2 h early)' when the tolerance applies to this rest."""
    start = datetime(2000, 1, 1, tzinfo=UTC)
    allowed = timedelta(hours=rest_hours) - (rest_ready_at(start, rest_hours) - start)
    if allowed <= timedelta(0):
        return ""
    return f" (a routine may start up to {describe_duration(allowed)} early)"


def check_own_hold(region: str, holds: Mapping[str, Hold], now: datetime) -> None:
    """The region itself on hold: refuse before anything is asked (every side)."""
    hold = holds.get(region)
    if hold is not None:
        raise hold_stop(Blocker(hold, hold.rule, ""), region, "none", now)


def hold_stop(blocker: Blocker, region: str, side: str, now: datetime) -> SafetyStop:
    """The refusal for a hold: names the region held and its reasons, and how to lift it."""
    since = as_recorded(blocker.hold.since)
    shown = Blocker(replace(blocker.hold, since=since), blocker.rule, blocker.why)
    held = blocker.hold
    urgent = hold_reminder(held.region, held.all_rules)
    return SafetyStop(
        shown.message(region, side),
        hint=(
            (f"{urgent} " if urgent else "")
            + "Do not treat this region until you have seen your clinician. When they say "
            f"it is fine, lift the hold with: {clear_command(blocker.hold, QUOTED_REASON)}"
        ),
    )


def check_holds(
    protocol: TreatmentProtocol,
    holds: Mapping[str, Hold],
    sides: Sequence[str],
    now: datetime,
    links_for: LinksFor = library_links,
) -> None:
    """Refuse when a hold reaches the region on a side treated: its own, its zone's, an
    overlapping region's. Also asked again after a follow-up the session asked first,
    which may have just placed one."""
    region = protocol.region
    check_own_hold(region, holds, now)
    target = links_of(protocol)
    links = links_for_holds(holds, links_for)
    for side in sides:
        found = blockers(target, side, holds, links)
        if found:
            raise hold_stop(found[0], region, side, now)


@dataclass(frozen=True)
class GateResult:
    """What the gates let through: whether the rest was overridden, and every override
    as the session record keeps it ({rule, detail}), for the physio's report."""

    rest_override: bool = False
    overrides: tuple[dict[str, str], ...] = ()
    early_by: timedelta = timedelta(0)  # how much of the rest an override cut short


def say_no(question: str) -> bool:
    """The answer when nobody can be asked: no (the rest stands)."""
    return False


def check_gates(
    loaded: LoadedProtocol,
    journal: Journal,
    now: datetime,
    *,
    override_rest: bool,
    holds: Mapping[str, Hold] | None = None,
    sides: Sequence[str] = ("none",),
    links_for: LinksFor = library_links,
    clinician_said_sooner: bool = False,
    confirm: Callable[[str], bool] = say_no,
) -> GateResult:
    """Holds (the region's own, and those of its zone and overlapping regions on the
    sides treated), the weekly prescription, and the rest period shared with
    overlapping regions, which `--override-rest` may shorten only down to the floor,
    once per rest window, and only when the person's clinician said so.

    *holds* (region -> active hold) saves reading them again when the caller has them.
    *confirm* asks the person `CLINICIAN_QUESTION` (default no); the caller says what an
    override means (`GateResult.early_by`).
    """
    protocol = loaded.protocol
    region = protocol.region
    holds = active_holds(journal) if holds is None else holds
    check_holds(protocol, holds, sides, now, links_for)
    target = links_of(protocol)
    per_week = protocol.prescription.sessions_per_week if protocol.prescription else None
    problem = week_problem(sittings_this_week(journal, region, now), per_week, region=region)
    if problem:
        raise SafetyStop(
            f"not today: {problem}",
            hint="The weekly number is your clinician's prescription; no option overrides it. "
            "If they want you to treat more often, ask them for a protocol that says so.",
        )
    rest_hours = protocol.settings.rest_hours
    last = last_shared_session(journal, target, sides, now, links_for=links_for)
    remaining = rest_remaining(session_end(last) if last else None, rest_hours, now)
    if last is None or remaining <= timedelta(0):
        return GateResult()
    ready, remaining = ready_moment(now, remaining)
    other = str(last.data.get("region", "")) or region
    shared = "" if other == region else f" (the {other} session treated the same tissue)"
    if not override_rest:
        raise SafetyStop(
            f"the {region} needs {rest_hours} h of rest between sessions{shared}"
            f"{routine_note(rest_hours)}; "
            f"{describe_duration(remaining)} to go (from {describe_end(ready, now)})",
            hint="Tissue recovers between sessions. If your clinician told you to treat "
            "sooner, use --override-rest (at least 24 h after the last session; recorded).",
        )
    since_last = now - session_end(last)
    problem = floor_problem(
        since_last, region=region, last_region=other
    ) or repeat_override_problem(bool(last.data.get("rest_override")), region=region)
    if problem:
        raise SafetyStop(
            f"not today: {problem}; {describe_duration(remaining)} to go "
            f"(from {describe_end(ready, now)})",
            hint="Tissue needs time to recover; an early session cannot follow another.",
        )
    asked = "given with --clinician-said-sooner"
    if not clinician_said_sooner:
        asked = "answered yes when asked"
        if not confirm(CLINICIAN_QUESTION):
            raise SafetyStop(
                "the rest period is not over, and only your clinician can shorten it",
                hint=f"{describe_duration(remaining)} to go (from {describe_end(ready, now)}).",
            )
    detail = (
        f"{since_last / timedelta(hours=1):.0f} h after the last {other} session, "
        f"{describe_duration(remaining)} before the {rest_hours} h rest was over; "
        f"clinician said to treat sooner ({asked})"
    )
    return GateResult(True, ({"rule": "rest", "detail": detail},), early_by=remaining)


def sittings_this_week(journal: Journal, region: str, now: datetime) -> int:
    """Sittings of *region* started this week (Monday 00:00 in now's zone): sides together
    count once, as in `today`."""
    start = week_start(now)
    found = journal.recent(kinds={records.SESSION}, since=start - timedelta(days=1))
    return len(
        {
            str(r.data.get("group", "")) or r.id
            for r in found
            if r.data.get("region") == region and session_start(r) >= start
        }
    )


def check_daily_cap(journal: Journal, planned_s: int, now: datetime) -> None:
    """Refuse a session that would take today's strokes, all regions, over the cap."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    found = journal.recent(kinds={records.SESSION}, since=midnight - timedelta(days=1))
    done = sum(int(r.data.get("actual_s", 0) or 0) for r in found if session_start(r) >= midnight)
    problem = daily_cap_problem(done, planned_s)
    if problem:
        raise SafetyStop(
            f"not today: {problem}",
            hint="More time does not treat better; tomorrow is another day.",
        )


def session_start(record: Record) -> datetime:
    value = record.data.get("started")
    return value if isinstance(value, datetime) else record.at


def last_shared_session(
    journal: Journal,
    target: RegionLinks,
    sides: Sequence[str],
    now: datetime,
    *,
    links_for: LinksFor = library_links,
) -> Record | None:
    """The newest session that starts *target*'s rest clock: its own (any side, as
    always), or one of an overlapping region on a side treated now.

    Overlapping regions are found both ways (either protocol naming the other) among
    the regions treated in the last `SHARED_REST_LOOKBACK`.
    """
    candidates: list[Record] = []
    own = last_session(journal, target.region)
    if own is not None:
        candidates.append(own)
    recent = journal.recent(kinds={records.SESSION}, since=now - SHARED_REST_LOOKBACK)
    others = {str(r.data.get("region", "")) for r in recent} - {target.region, ""}
    linked = {
        region
        for region in others
        if (links := links_for(region)) is not None and overlapping(target, links)
    } | (others & target.overlaps)
    for record in recent:
        if str(record.data.get("region", "")) in linked and any(
            sides_meet(str(record.data.get("side", "")), side) for side in sides
        ):
            candidates.append(record)
    return max(candidates, key=session_end, default=None)
