"""Today's plan: which regions are due, resting, on hold or done for the week.

`plan_today` is pure: it takes the protocol rules, the recent session records,
the active holds and the due check-ins, and a `now`, and returns a `TodayPlan`.
`gather_today` does the reading, cheaply: one `Journal.recent` window of
sessions (`IN_USE_LOOKBACK`), the newest session ever (one record), the due
check-ins (four days) and the holds (`holds.active_holds`, which folds every
hold record).

A region is "in use" when it has a session in the look-back window, is the
region of the newest session ever, is on hold, or has an installed protocol.
Rest and week counts follow the session's own gate: the rest period runs from
the `ended` time of the region's newest session, whichever side.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Literal

from iastm_coach.errors import CoachError
from iastm_coach.journal import records
from iastm_coach.journal.records import session_end, session_start
from iastm_coach.safety.rest import earliest_start, rest_ready_at, week_reopens
from iastm_coach.safety.zones import RegionLinks, blockers, overlapping, sides_meet
from iastm_coach.vocabulary import moment_text, week_start

if TYPE_CHECKING:
    from iastm_coach.history.queries import DueCheckin
    from iastm_coach.journal.store import Journal, Record
    from iastm_coach.safety.holds import Hold

IN_USE_LOOKBACK: Final = timedelta(weeks=26)
"""Sessions older than this make a region "in use" only if it was the newest session."""

FIRST_REGION: Final = "calf"
"""The region the welcome screen suggests (a common, self-reachable place to start)."""

Status = Literal["due", "resting", "on_hold", "done_for_week", "problem", "review", "waiting"]


@dataclass(frozen=True)
class RegionRules:
    """What today's plan needs from a region's protocol."""

    region: str
    rest_hours: int
    sessions_per_week: int | None = None
    links: RegionLinks | None = None  # zone, sides and overlaps (None: the region alone)


@dataclass(frozen=True)
class RegionStatus:
    """One region in use, and what today means for it."""

    region: str
    status: Status
    last_ended: datetime | None = None
    sessions_this_week: int = 0
    sessions_per_week: int | None = None
    # resting or done for the week: the earliest start (`rest.earliest_start`)
    until: datetime | None = None
    hold: Hold | None = None  # on hold: the hold that stops it (maybe another region's)
    problem: str = ""
    note: str = ""  # one side held or resting while the other is free, and why

    @property
    def command(self) -> str:
        return f"iastm-coach session {self.region}"


@dataclass(frozen=True)
class TodayPlan:
    now: datetime
    week_start: datetime
    regions: tuple[RegionStatus, ...] = ()
    checkins_due: tuple[DueCheckin, ...] = ()
    new_user: bool = False

    def of(self, status: Status) -> list[RegionStatus]:
        return [item for item in self.regions if item.status == status]

    @property
    def due(self) -> list[RegionStatus]:
        """Due regions, the one waiting longest (or never treated) first."""
        return sorted(self.of("due"), key=_waiting_key)

    @property
    def resting(self) -> list[RegionStatus]:
        return sorted(self.of("resting"), key=lambda item: (item.until or self.now, item.region))

    @property
    def on_hold(self) -> list[RegionStatus]:
        return self.of("on_hold")

    @property
    def done_for_week(self) -> list[RegionStatus]:
        return self.of("done_for_week")

    @property
    def problems(self) -> list[RegionStatus]:
        return self.of("problem")

    @property
    def waiting(self) -> list[RegionStatus]:
        """Regions whose last sitting has not settled, or whose check-in is due first."""
        return self.of("waiting")

    @property
    def review(self) -> list[RegionStatus]:
        """Regions whose course is over or shows no change: review with a clinician."""
        return self.of("review")

    @property
    def next_command(self) -> str | None:
        """The command that starts the next due session, or None when nothing is due."""
        due = self.due
        return due[0].command if due else None

    @property
    def next_up(self) -> RegionStatus | None:
        """When nothing is due: the resting or done-for-the-week region that may be treated
        first (at its `until`, the moment the session gate lets it through)."""
        if self.due:
            return None
        waiting = [i for i in (*self.resting, *self.done_for_week) if i.until is not None]
        return min(waiting, key=lambda i: (i.until, i.region), default=None)

    @property
    def next_due_at(self) -> datetime | None:
        """When nothing is due: when the first of those regions may be treated again."""
        first = self.next_up
        return first.until if first else None

    def to_json(self) -> dict[str, Any]:
        """The machine-readable plan (`today --json`); field names are documented, never renamed."""

        def week(item: RegionStatus) -> dict[str, Any]:
            return {
                "last_session": _iso(item.last_ended),
                "sessions_this_week": item.sessions_this_week,
                "sessions_per_week": item.sessions_per_week,
            }

        return {
            "now": self.now.isoformat(),
            "week_start": self.week_start.isoformat(),
            "new_user": self.new_user,
            "due": [
                {"region": i.region, "command": i.command, "note": i.note, **week(i)}
                for i in self.due
            ],
            "resting": [
                {"region": i.region, "until": _iso(i.until), **week(i)} for i in self.resting
            ],
            "on_hold": [
                {
                    "region": i.region,
                    "reason": i.hold.reason if i.hold else "",
                    "since": _iso(i.hold.since if i.hold else None),
                    "rule": i.hold.rule if i.hold else "",
                    "reasons": list(i.hold.all_reasons) if i.hold else [],
                    "rules": list(i.hold.all_rules) if i.hold else [],
                    "held_region": i.hold.region if i.hold else i.region,
                    "note": i.note,
                }
                for i in self.on_hold
            ],
            "done_for_week": [
                {"region": i.region, "until": _iso(i.until), **week(i)} for i in self.done_for_week
            ],
            "checkins_due": [
                {
                    "session_id": c.session.id,
                    "region": str(c.session.data.get("region", "")),
                    "side": str(c.session.data.get("side", "none")),
                    "hours": c.hours,
                    "closes": c.closes.isoformat(),
                }
                for c in self.checkins_due
            ],
            "problems": [{"region": i.region, "message": i.problem} for i in self.problems],
            "review": [{"region": i.region, "reason": i.note, **week(i)} for i in self.review],
            "waiting": [{"region": i.region, "reason": i.note, **week(i)} for i in self.waiting],
            "next_command": self.next_command,
            "next_due_at": _iso(self.next_due_at),
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _waiting_key(item: RegionStatus) -> tuple[bool, datetime | None, str]:
    # Never-treated regions first, then the longest since the last session.
    return (item.last_ended is not None, item.last_ended, item.region)


def plan_today(
    *,
    now: datetime,
    rules: Mapping[str, RegionRules],
    sessions: Iterable[Record],
    holds: Mapping[str, Hold] | None = None,
    checkins_due: Sequence[DueCheckin] = (),
    problems: Mapping[str, str] | None = None,
    new_user: bool = False,
    reviews: Mapping[str, str] | None = None,
    waiting: Mapping[str, str] | None = None,
) -> TodayPlan:
    """Today's plan for every region in *rules*, *problems* and *holds*.

    *sessions* are session records in any order (at least the rest and week
    windows of each region); *problems* maps regions whose protocol could not
    be read to a message; *reviews* maps regions whose course calls for a review with a
    clinician to the reason (shown instead of "due").
    """
    holds = holds or {}
    problems = problems or {}
    start = week_start(now)
    last_ended: dict[str, datetime] = {}
    by_region: dict[str, list[Record]] = {}
    groups: dict[str, set[str]] = {}
    for record in sessions:
        if record.kind != records.SESSION:
            continue
        region = str(record.data.get("region", ""))
        by_region.setdefault(region, []).append(record)
        ended = session_end(record)
        if region not in last_ended or ended > last_ended[region]:
            last_ended[region] = ended
        if session_start(record) >= start:
            # A sitting that treats both sides counts once.
            group = str(record.data.get("group", "")) or record.id
            groups.setdefault(region, set()).add(group)
    links = {region: rule.links for region, rule in rules.items()}
    statuses: list[RegionStatus] = []
    for region in sorted(set(rules) | set(problems) | set(holds)):
        last = last_ended.get(region)
        this_week = len(groups.get(region, ()))
        rule = rules.get(region)
        per_week = rule.sessions_per_week if rule else None
        common: dict[str, Any] = {
            "region": region,
            "last_ended": last,
            "sessions_this_week": this_week,
            "sessions_per_week": per_week,
        }
        if region in holds:
            statuses.append(RegionStatus(status="on_hold", hold=holds[region], **common))
            continue
        if rule is None:
            message = problems.get(region, "no protocol found for this region")
            statuses.append(RegionStatus(status="problem", problem=message, **common))
            continue
        target = rule.links
        sides = (["left", "right"] if target.sided else ["none"]) if target else ["none"]
        held = {side: blockers(target, side, holds, links) for side in sides} if target else {}
        free = [side for side in sides if not held.get(side)]
        if not free:
            first = held[sides[0]][0]
            statuses.append(
                RegionStatus(status="on_hold", hold=first.hold, note=first.why, **common)
            )
            continue
        notes = [f"{side} side: {held[side][0].why}" for side in sides if held.get(side)]
        until = {side: _rested_at(region, side, rule, by_region, links, last) for side in free}
        known = [moment for moment in until.values() if moment is not None]
        ready = None if len(known) < len(until) else min(known)  # a side never treated: free
        sides_resting = [
            side for side, moment in until.items() if moment is not None and moment > now
        ]
        # The week's prescription first: a region done for the week is not "resting until
        # 16:00" (the session gate would refuse it then), it waits for next Monday.
        start_at = earliest_start(ready, sittings_this_week=this_week, per_week=per_week, now=now)
        if reviews and region in reviews:
            # Before the rest and the week: no next session is offered that the review
            # gate would then refuse.
            statuses.append(RegionStatus(status="review", note=reviews[region], **common))
        elif week_reopens(now, sittings_this_week=this_week, per_week=per_week) is not None:
            statuses.append(RegionStatus(status="done_for_week", until=start_at, **common))
        elif start_at is not None:
            statuses.append(
                RegionStatus(status="resting", until=start_at, note="; ".join(notes), **common)
            )
        elif waiting and region in waiting:
            statuses.append(RegionStatus(status="waiting", note=waiting[region], **common))
        else:
            notes += [
                f"{side} side rests until {moment_text(moment, '%a %H:%M')}"
                for side in sides_resting
                if (moment := until[side]) is not None
            ]
            statuses.append(RegionStatus(status="due", note="; ".join(notes), **common))
    return TodayPlan(
        now=now,
        week_start=start,
        regions=tuple(statuses),
        checkins_due=tuple(checkins_due),
        new_user=new_user,
    )


def _rested_at(
    region: str,
    side: str,
    rule: RegionRules,
    by_region: Mapping[str, Sequence[Record]],
    links: Mapping[str, RegionLinks | None],
    own_last: datetime | None,
) -> datetime | None:
    """When *region* on *side* has rested: from its own newest session (any side), or the
    newest of an overlapping region on that side (they share one rest clock)."""
    ends = [own_last] if own_last is not None else []
    target = rule.links
    if target is not None:
        for other, items in by_region.items():
            other_links = links.get(other)
            if other == region or not (
                other in target.overlaps or (other_links and overlapping(target, other_links))
            ):
                continue
            ends += [session_end(r) for r in items if sides_meet(str(r.data.get("side", "")), side)]
    if not ends:
        return None
    return rest_ready_at(max(ends), rule.rest_hours)


RulesFor = Callable[[str], RegionRules]


@dataclass(frozen=True)
class InUse:
    """What the journal and the library say about which regions are in use."""

    sessions: list[Record]
    regions: set[str] = field(default_factory=set)
    any_session: bool = False


def regions_in_use(journal: Journal, now: datetime, *, installed: Iterable[str] = ()) -> InUse:
    """Sessions of the look-back window and the regions in use (holds are added later)."""
    sessions = journal.recent(kinds={records.SESSION}, since=now - IN_USE_LOOKBACK)
    if not sessions:
        # Back after a long break: the newest session still says where the user was.
        sessions = journal.recent(kinds={records.SESSION}, limit=1)
    regions = {str(record.data.get("region", "")) for record in sessions} | set(installed)
    regions.discard("")
    return InUse(sessions=sessions, regions=regions, any_session=bool(sessions))


def gather_today(
    journal: Journal,
    now: datetime,
    *,
    rules_for: RulesFor,
    installed: Iterable[str] = (),
    review_for: Callable[[str], str | None] | None = None,
    waiting_for: Callable[[str], str | None] | None = None,
) -> TodayPlan:
    """Read what today's plan needs and build it.

    *rules_for* returns a region's rules (from its installed or built-in
    protocol) and raises `CoachError` when it cannot; that region is then
    shown as a problem instead of hiding the whole plan. *review_for* says why a region's
    course calls for a review with a clinician (None: it does not); *waiting_for* why a
    region waits for its last sitting to settle or for a check-in.
    """
    from iastm_coach.history.queries import due_checkins
    from iastm_coach.safety.holds import active_holds

    in_use = regions_in_use(journal, now, installed=installed)
    holds = active_holds(journal)
    rules: dict[str, RegionRules] = {}
    problems: dict[str, str] = {}
    reviews: dict[str, str] = {}
    waiting: dict[str, str] = {}
    for region in sorted(in_use.regions | set(holds)):
        try:
            rules[region] = rules_for(region)
            reason = review_for(region) if review_for else None
            wait = waiting_for(region) if waiting_for and region not in holds else None
        except CoachError as error:
            problems[region] = error.message
            continue
        if reason:
            reviews[region] = reason
        if wait:
            waiting[region] = wait
    return plan_today(
        now=now,
        rules=rules,
        sessions=in_use.sessions,
        holds=holds,
        checkins_due=due_checkins(journal, now),
        problems=problems,
        new_user=not in_use.any_session and not in_use.regions and not holds,
        reviews=reviews,
        waiting=waiting,
    )
