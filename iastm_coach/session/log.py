"""A session done without the timer (at a clinic, say), recorded afterwards.

One record per side, like a guided session, with `source = "log"`; the answers
given right after (soreness, bruising, numbness) go through the same red-flag
rules, and a flag puts the region on hold. Nothing here prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from iastm_coach.clock import clock_is_set
from iastm_coach.errors import SafetyStop, UsageError
from iastm_coach.journal import records
from iastm_coach.journal.sessions import ProtocolStamp, new_group_id, session_fields
from iastm_coach.safety.holds import active_holds, prepare_hold
from iastm_coach.safety.redflags import aftercare_flags, hold_reminder
from iastm_coach.session.log_retry import earlier_log, unfinished_holds
from iastm_coach.vocabulary import moment_text, sides_for

if TYPE_CHECKING:
    from iastm_coach.journal.store import Journal, Record
    from iastm_coach.protocols.files import LoadedProtocol
    from iastm_coach.protocols.model import TreatmentProtocol
    from iastm_coach.safety.holds import Hold
    from iastm_coach.safety.redflags import RedFlag
    from iastm_coach.safety.zones import LinksFor

MIN_LOG_MINUTES: Final = 0.5
MAX_LOG_MINUTES: Final = 60.0
FUTURE_SLACK: Final = timedelta(minutes=5)  # clocks differ a little; later is a typo


@dataclass(frozen=True)
class LogRequest:
    """What `iastm-coach log` was told."""

    soreness: int  # 0-10 right after
    minutes: float | None = None  # all sides together; None: the protocol's time
    started: datetime | None = None  # None: it has just ended
    side: str | None = None  # left, right or both (None: both); only for sided regions
    bruising: bool = False
    numbness: bool = False
    note: str = ""
    override_hold: bool = False  # it happened during a hold (a clinician treated it, say)


@dataclass(frozen=True)
class LoggedSession:
    region: str
    sides: list[str]
    started: datetime
    total_s: int
    records: list[Record]
    flags: list[RedFlag]  # each one put the region on hold
    earlier_hold: Hold | None = field(default=None)  # the region was on hold already
    already: bool = False  # the same log a moment ago: nothing new was written


def parse_when(text: str, now: datetime) -> datetime:
    """`--when`: a date and time ('2026-03-02 18:30', local unless an offset follows), or a
    date alone (midday). Not in the future."""
    raw = text.strip()
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise UsageError(
            f"--when must be a date and time like '2026-03-02 18:30' (got '{text}')",
            hint="A UTC offset may follow, e.g. '2026-03-02T18:30+01:00'; without one, local time.",
        ) from None
    if len(raw) == 10:  # a date only: midday
        moment = moment.replace(hour=12)
    moment = moment.astimezone() if moment.tzinfo is None else moment
    if moment > now + FUTURE_SLACK:
        raise UsageError(f"--when is in the future ({moment.astimezone():%Y-%m-%d %H:%M})")
    return moment


def log_session(
    journal: Journal, loaded: LoadedProtocol, request: LogRequest, *, now: datetime
) -> LoggedSession:
    """Record a session done without the timer; place a hold for every red flag."""
    minutes = request.minutes
    if minutes is not None and not MIN_LOG_MINUTES <= minutes <= MAX_LOG_MINUTES:
        raise UsageError(
            f"--minutes must be between {MIN_LOG_MINUTES:g} and {MAX_LOG_MINUTES:.0f} "
            f"(got {minutes:g})"
        )
    protocol = loaded.protocol
    if not protocol.access.sided and request.side is not None:
        raise UsageError(f"the {protocol.region} has no left and right side; leave out --side")
    sides: list[str] = list(sides_for(request.side, sided=protocol.access.sided))
    if request.side is None and protocol.access.sides:
        sides = list(protocol.access.sides)  # a one-side plan: its side, as `session` does
    planned = protocol.planned_seconds(sides=1)
    total_s = round(minutes * 60) if minutes is not None else planned * len(sides)
    started = request.started or now - timedelta(seconds=total_s)
    ended = started + timedelta(seconds=total_s)
    group = new_group_id(started)
    stamp = ProtocolStamp.of(loaded)
    journal.check_writable(now)
    holds = active_holds(journal)  # a damaged journal stops here, before anything is written

    def fields(side: str, overrides: list[dict[str, str]] | None) -> dict[str, object]:
        return session_fields(
            region=protocol.region,
            side=side,
            group=group,
            source="log",
            protocol=stamp,
            started=started,
            ended=ended,
            planned_s=planned,
            actual_s=total_s // len(sides),
            soreness=request.soreness,
            bruising=request.bruising,
            numbness=request.numbness,
            note=request.note,
            overrides=overrides,
            clock_set=clock_is_set(),
        )

    # A retry of the same log (after an error, or unsure it worked) writes nothing twice;
    # checked before the hold it may have placed would refuse it.
    again = earlier_log(journal, [fields(side, None) for side in sides], now=now)
    if again:
        return LoggedSession(protocol.region, sides, started, total_s, again, [], already=True)
    # A log killed halfway through its write left its holds (written first) without its
    # session: this run finishes it, not refused for the hold it placed itself.
    unfinished = unfinished_holds(journal, protocol.region, now=now)
    overrides = hold_overrides(
        journal,
        protocol.region,
        request.started,
        override=request.override_hold,
        sides=sides,
        links_for=own_links_first(protocol),
        ignoring=frozenset(hold.id for hold in unfinished),
    )
    saved = [
        journal.prepare(records.SESSION, fields(side, overrides or None), at=now) for side in sides
    ]
    flags = aftercare_flags(
        soreness=request.soreness, bruising=request.bruising, numbness=request.numbness
    )
    placed = {(hold.data.get("rule"), hold.data.get("side", "")) for hold in unfinished}
    # One hold per flag and side, as after a timed session: the side decides which other
    # regions it stops (a numb right calf holds the right Achilles and shin too).
    new_holds = [
        prepare_hold(
            journal,
            region=protocol.region,
            flag=flag,
            source_id=record.id,
            at=now,
            side=str(record.data["side"]),  # not written yet: it cannot be looked up
        )
        for record in saved
        for flag in flags
        if (flag.rule, str(record.data["side"])) not in placed
    ]
    journal.append_all([*new_holds, *saved])  # one write: no session without its holds
    earlier = holds.get(protocol.region)
    return LoggedSession(protocol.region, sides, started, total_s, saved, flags, earlier)


def own_links_first(protocol: TreatmentProtocol) -> LinksFor:
    """The links of the protocol in hand for its own region (a `--protocol` file may differ
    from the library's), the library's for every other region."""
    from iastm_coach.safety.zones import links_of, remembered

    own = links_of(protocol)
    library = remembered()
    return lambda region: own if region == own.region else library(region)


def hold_overrides(
    journal: Journal,
    region: str,
    started: datetime | None,
    *,
    override: bool,
    sides: Sequence[str] = ("none",),
    links_for: LinksFor | None = None,
    ignoring: frozenset[str] = frozenset(),
) -> list[dict[str, str]]:
    """A session done while a hold reached its region (the region's own, its zone's, an
    overlapping region's: `zones.reach`, as the session gate) is refused (exit 3), unless
    --override-hold says it happened anyway: then it is recorded as an override, for the
    physio's Deviations box.

    Without --when (*started* None) the session has just ended: the holds in force now
    decide (in the journal's append order, as everywhere). With --when, a hold whose span
    (placed to lifted) covers the start decides. The holds *ignoring* names (those an
    unfinished run of this same log placed) do not count.
    """
    from iastm_coach.safety.hold_spans import hold_spans, reaching
    from iastm_coach.safety.holds import hold_records
    from iastm_coach.safety.zones import reaches_region, remembered

    lookup = links_for or remembered()
    spans = [
        span
        for span in hold_spans(r for r in hold_records(journal) if r.id not in ignoring)
        if (span.lifted is None if started is None else span.covers(started))
    ]
    found = [(span, side) for side in sides for span in reaching(spans, region, side, lookup)]
    if not found:
        return []
    held, side = found[0]
    reached = reaches_region(
        held.region, held.rules, held.sides, region, side, lookup, flags=held.flags
    )
    why = reached[1] if reached else ""
    since = moment_text(held.placed)
    reasons = "; ".join(held.reasons)
    what = (
        f"the {region} is on hold since {since}: {reasons}"
        if held.region == region
        else f"the {region} cannot be treated: the {held.region} is on hold since {since} "
        f"({reasons}), and {why}"
    )
    if not override:
        urgent = hold_reminder(held.region, held.rules)
        raise SafetyStop(
            f"{what}; a session during a hold is not recorded without --override-hold",
            hint=(f"{urgent} " if urgent else "")
            + "If a clinician treated it, or you did it anyway, add --override-hold: it is "
            f"recorded and shown to your physio. Lift the hold with `iastm-coach hold clear "
            f"{held.region}`.",
        )
    on = "" if held.region == region else f" on the {held.region}"
    return [{"rule": "hold", "detail": f"logged during the hold{on} since {since}: {reasons}"}]
