"""Before a session: the last sitting's follow-ups are answered, and its soreness has settled.

The sessions that count are the last sitting of the region and the last sitting of each
overlapping region on a side treated now (the same tissue), within
`followups.FOLLOW_UP_HORIZON`. For each on a side treated now, the follow-up due now
(`followups`) is asked first (through the session's `ask_first`, or the session refuses and names
`iastm-coach checkin`); then, while the latest answer has not settled (4 or more, or
from 72 h on more than a point above the usual level), the session waits until a later
follow-up says it has (clinical reference §7: 4-6 is moderate pain that interferes with
daily life, the pre-session gate stops at 4; §8a: soreness past about three days is
outside the expected curve). A hold lifted after that answer (a clinician examined the
area) ends the wait: their word counts over the old answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from iastm_coach.errors import SafetyStop
from iastm_coach.history.followups import (
    FOLLOW_UP_HORIZON,
    missed_follow_ups,
    next_baseline,
    required_follow_ups,
    unsettled,
)
from iastm_coach.history.queries import (
    checkins_of,
    follow_up_due,
    last_session,
    place_label,
    session_baseline,
    session_end,
    sitting_of,
)
from iastm_coach.journal import records
from iastm_coach.safety.zones import LinksFor, RegionLinks, library_links, overlapping, sides_meet

if TYPE_CHECKING:
    from iastm_coach.clock import Clock
    from iastm_coach.history.queries import DueCheckin
    from iastm_coach.journal.store import Journal, Record

MAX_ASKS: Final = 8  # a follow-up answered can make another one due; never loop forever


@dataclass(frozen=True)
class Followed:
    """One earlier session that gates this one, with its check-ins (oldest first)."""

    session: Record
    checkins: tuple[Record, ...]

    @property
    def place(self) -> str:
        data = self.session.data
        return place_label(str(data.get("region", "")), str(data.get("side", "none")))

    def answers(self) -> list[dict[str, object]]:
        return [dict(c.data) for c in self.checkins]

    def missed(self, now: datetime) -> list[int]:
        answers = self.answers()
        required = required_follow_ups(answers, session_baseline(self.session))
        answered = [int(str(a.get("hours", 0))) for a in answers]
        elapsed = (now - session_end(self.session)) / timedelta(hours=1)
        return missed_follow_ups(required, answered, elapsed)


def gating_sessions(
    journal: Journal,
    target: RegionLinks,
    sides: Sequence[str],
    now: datetime,
    *,
    links_for: LinksFor = library_links,
) -> list[Followed]:
    """The last sitting of the region, and of each overlapping region on *sides*."""
    since = now - FOLLOW_UP_HORIZON
    found: list[Record] = []
    own = last_session(journal, target.region)
    if own is not None and session_end(own) >= since:
        found += sitting_of(journal, own)
    recent = journal.recent(kinds={records.SESSION}, since=since)
    newest: dict[str, Record] = {}
    for record in recent:
        region = str(record.data.get("region", ""))
        if region == target.region or not region:
            continue
        links = links_for(region)
        if not (region in target.overlaps or (links and overlapping(target, links))):
            continue
        if region not in newest or session_end(record) > session_end(newest[region]):
            newest[region] = record
    for record in newest.values():
        found += [
            r
            for r in sitting_of(journal, record)
            if any(sides_meet(str(r.data.get("side", "")), side) for side in sides)
        ]
    return [Followed(r, tuple(checkins_of(journal, r))) for r in found]


def treated_now(session: Record, sides: Sequence[str]) -> bool:
    """Is *session* on a side treated now? Only those follow-ups are asked before a
    session (a left calf session does not ask the right calf's); `checkin` asks the rest."""
    return any(sides_meet(str(session.data.get("side", "")), side) for side in sides)


def settle_before_session(
    journal: Journal,
    clock: Clock,
    target: RegionLinks,
    sides: Sequence[str],
    *,
    links_for: LinksFor = library_links,
    ask_first: Callable[[DueCheckin], None] | None,
    cleared: Mapping[str, Record] | None = None,
) -> list[Followed]:
    """Ask (or refuse for) every follow-up due; refuse while soreness has not settled.

    *ask_first* asks the person one open follow-up and records it (None: nobody can be
    asked, the session refuses and names `iastm-coach checkin`). *cleared* holds the latest
    hold clear of each region (`HoldState.last_clear`). Returns the gating sessions with
    their check-ins, as answered now.
    """
    for _ in range(MAX_ASKS):
        now = clock.now()
        followed = gating_sessions(journal, target, sides, now, links_for=links_for)
        due = [
            item
            for item in (follow_up_due(f.session, f.checkins, now) for f in followed)
            if item is not None and treated_now(item.session, sides)
        ]
        if not due:
            break
        first = due[0]
        if ask_first is None:
            raise SafetyStop(
                f"answer the {first.hours} h check-in of the last {first.place} session first",
                hint="Run `iastm-coach checkin`; how the last session settled decides "
                "whether and how much to treat today.",
            )
        ask_first(first)
    else:  # pragma: no cover - the schedule has at most four follow-ups a session
        raise SafetyStop("too many open check-ins", hint="Run `iastm-coach checkin` first.")
    for item in followed:
        usual = session_baseline(item.session)
        latest = unsettled(item.answers(), usual)
        clear = (cleared or {}).get(str(item.session.data.get("region", "")))
        if latest is not None and clear is not None and clear.at >= item.checkins[-1].at:
            continue  # lifted after that answer: the clinician's word counts
        if latest is not None:
            raise SafetyStop(
                f"not today: soreness {latest['soreness']}/10 at the {latest['hours']} h "
                f"check-in of the last {item.place} session has not settled "
                f"(4 or more, or above your usual {usual}/10 after three days)",
                hint="Let it settle first; you will be asked again at the next check-in "
                "(`iastm-coach checkin`). If it does not settle, contact your clinician.",
            )
    return followed


def waiting_reason(
    journal: Journal, target: RegionLinks, now: datetime, links_for: LinksFor = library_links
) -> str | None:
    """What `today` says instead of "due" while a session would refuse: soreness of the
    last sitting that has not settled. (A due follow-up does not count: the session asks
    it first, and the answer decides.) Reads only."""
    sides = ["left", "right"] if target.sided else ["none"]
    for item in gating_sessions(journal, target, sides, now, links_for=links_for):
        if follow_up_due(item.session, item.checkins, now) is not None:
            continue
        latest = unsettled(item.answers(), session_baseline(item.session))
        if latest is not None:
            return (
                f"soreness {latest['soreness']}/10 at the {latest['hours']} h check-in of the "
                f"last {item.place} session has not settled"
            )
    return None


def current_baseline(
    journal: Journal, region: str, soreness_before: int | None, now: datetime
) -> int:
    """The person's usual soreness for *region*, as this session records it.

    First use: today's pre-session answer. After that: the last sitting's recorded
    usual, moved to its final follow-up answer when that series is complete, raised no
    hold and is within a point of the usual (`followups.next_baseline`).
    """
    last = last_session(journal, region)
    if last is None:
        return soreness_before or 0
    sitting = sitting_of(journal, last)
    held_sources = {
        str(r.data.get("source", ""))
        for r in journal.recent(kinds={records.HOLD}, since=last.at - timedelta(hours=2))
    }
    values = []
    for session in sitting:
        checkins = checkins_of(journal, session)
        item = Followed(session, tuple(checkins))
        answers = item.answers()
        required = required_follow_ups(answers, session_baseline(session))
        answered = {int(str(a.get("hours", 0))) for a in answers}
        held = bool(held_sources & ({session.id} | {c.id for c in checkins}))
        values.append(
            next_baseline(
                session_baseline(session),
                answers,
                complete=set(required) <= answered,
                held=held,
            )
        )
    return max(values) if values else 0
