"""Dose adjustment: how much of the protocol the next session of a region does.

Rules, all looking only at the last sitting of the region (both sides treated
together count as one) and, when the session gate passes them, the last sittings
of overlapping regions on the sides treated:

1. The protocol's own `dose_rule`s: when the highest soreness answered at any
   follow-up (24 h, 48 h, 72 h, day 5-7) was at least `when_soreness_at_least`,
   the next session runs at `scale_percent`. When several rules match, the
   lowest percentage wins.
2. Without any `dose_rule` in the protocol, a conservative default applies
   (not a finding; the clinical reference has no sourced scale-back rule):
   highest follow-up soreness of 5 or more → next session at 70 %.
3. A follow-up that was needed but never answered is never read as "no
   soreness": the next session runs at the same 70 % (conservative default).
4. The first session after a red-flag hold was cleared runs at the
   protocol's `after_red_flag_percent` (50 % unless the physio set it): a hold
   on the region itself, or one that reached it from another region (a leg
   swelling on the calf stops the Achilles too, `zones.reach`), so every
   region the hold stopped restarts gently, not only the one it was placed on.

When more than one applies, the lowest dose is used. The dose returns to 100 %
after a sitting whose follow-ups were all answered and stayed below the rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

from iastm_coach.history.followups import answers_by_hours
from iastm_coach.history.queries import checkins_of, last_session, sitting_of
from iastm_coach.journal import records
from iastm_coach.safety.holds import HoldState, hold_records, hold_state
from iastm_coach.safety.settling import Followed
from iastm_coach.safety.zones import ANY_SIDE, LinksFor, library_links, reaches_region
from iastm_coach.vocabulary import day_text

if TYPE_CHECKING:
    from iastm_coach.journal.store import Journal, Record
    from iastm_coach.protocols.model import TreatmentProtocol

DEFAULT_THRESHOLD: Final = 5
DEFAULT_PERCENT: Final = 70


@dataclass(frozen=True)
class Dose:
    """The dose for the next session: a percentage and why (100 and "" when unchanged)."""

    percent: int
    reason: str = ""


FULL: Final = Dose(100, "")


def dose_from_soreness(
    protocol: TreatmentProtocol, soreness: int | None, *, hours: int = 24
) -> Dose:
    """Rules 1 and 2 for the highest follow-up answer (None: no answer, no reduction);
    *hours* names the follow-up it was given at, for the reason shown."""
    if soreness is None:
        return FULL
    where = f"soreness {soreness}/10 at the {hours} h check-in after the last session"
    if protocol.dose_rule:
        matching = [rule for rule in protocol.dose_rule if soreness >= rule.when_soreness_at_least]
        if not matching:
            return FULL
        rule = min(matching, key=lambda r: (r.scale_percent, -r.when_soreness_at_least))
        return Dose(rule.scale_percent, f"{where}: {rule.explain}")
    if soreness >= DEFAULT_THRESHOLD:
        return Dose(
            DEFAULT_PERCENT,
            f"{where} (5 or more): {DEFAULT_PERCENT} % of the usual time, a conservative default",
        )
    return FULL


def dose_for_missed(missed: Sequence[tuple[str, int]]) -> Dose:
    """Rule 3: a needed follow-up left unanswered is not "no soreness"."""
    if not missed:
        return FULL
    place, hours = missed[0]
    return Dose(
        DEFAULT_PERCENT,
        f"the {hours} h check-in of the last {place} session was not answered: "
        f"{DEFAULT_PERCENT} % of the usual time, a conservative default",
    )


def lowest(*doses: Dose) -> Dose:
    """The most conservative dose; its reasons joined when several scale back."""
    scaled = [dose for dose in doses if dose.percent < 100]
    if not scaled:
        return FULL
    low = min(dose.percent for dose in scaled)
    return Dose(low, "; ".join(dose.reason for dose in scaled if dose.percent == low))


def next_dose(
    protocol: TreatmentProtocol,
    journal: Journal,
    *,
    region: str,
    holds: HoldState | None = None,
    now: datetime | None = None,
    followed: Sequence[Followed] | None = None,
    sides: Sequence[str] = (ANY_SIDE,),
    links_for: LinksFor = library_links,
) -> Dose:
    """The dose for the next session of *region* on *sides*, with the reason shown to people.

    *holds* saves reading every hold again when the caller already has them;
    *followed* are the gating sessions (`settling.settle_before_session`), else
    the region's last sitting is read; with *now*, missed follow-ups count (rule 3).
    """
    last = last_session(journal, region)
    after_hold = FULL
    own = (holds or hold_state(journal)).last_clear.get(region)
    clear = latest_clear_reaching(journal, region, sides, own, links_for)
    if clear is not None and not completed_since(journal, region, clear.at, sides):
        reason = str(clear.data.get("reason", ""))
        held = str(clear.data.get("region", region))
        whose = "" if held == region else f" on the {held}"
        after_hold = Dose(
            protocol.after_red_flag_percent,
            f"first session after the red-flag hold{whose} was lifted on {day_text(clear.at)}"
            f"{f' ({reason})' if reason else ''}: restart at "
            f"{protocol.after_red_flag_percent} %",
        )
    if followed is None:
        if last is None:
            return after_hold
        followed = [
            Followed(session, tuple(checkins_of(journal, session)))
            for session in sitting_of(journal, last)
        ]
    highest: tuple[int, int] | None = None  # (soreness, hours)
    missed: list[tuple[str, int]] = []
    for item in followed:
        for hours, answer in answers_by_hours(item.answers()).items():  # the last per follow-up
            value = int(str(answer["soreness"]))
            if highest is None or value > highest[0]:
                highest = (value, hours)
        if now is not None:
            missed += [(item.place, hours) for hours in item.missed(now)]
    by_soreness = dose_from_soreness(protocol, highest[0], hours=highest[1]) if highest else FULL
    return lowest(after_hold, by_soreness, dose_for_missed(missed))


def latest_clear_reaching(
    journal: Journal,
    region: str,
    sides: Sequence[str],
    own: Record | None,
    links_for: LinksFor = library_links,
) -> Record | None:
    """The latest hold clear that lifted a hold stopping *region* on one of *sides*: *own*
    (the region's own last clear), or a clear of another region whose lifted holds reached
    it (the same rule as the session gate, `zones.reaches_region`)."""
    found = own
    kept = hold_records(journal)
    placed = {r.id: r for r in kept if r.kind == records.HOLD}
    for clear in kept:
        held = str(clear.data.get("region", ""))
        if clear.kind != records.HOLD_CLEAR or held == region:
            continue
        if found is not None and clear.seq <= found.seq:
            continue
        lifts = clear.data.get("lifts")
        lifted = (
            [placed[i] for i in lifts if i in placed]
            if isinstance(lifts, list)  # an older clear lifted every hold written before it
            else [h for h in placed.values() if h.data.get("region") == held and h.seq < clear.seq]
        )
        if any(
            reaches_region(held, [str(h.data.get("rule", ""))], [_side(h)], region, side, links_for)
            for h in lifted
            for side in sides
        ):
            found = clear
    return found


def _side(hold: Record) -> str:
    side = hold.data.get("side")
    return side if side in ("left", "right", "none") else ANY_SIDE


def completed_since(
    journal: Journal, region: str, moment: datetime, sides: Sequence[str] = (ANY_SIDE,)
) -> bool:
    """Whether a complete session of *region* was recorded after *moment* on each of
    *sides* (`ANY_SIDE`: on any): one cut short (Ctrl-C, `q`) does not use up the reduced
    first dose after a hold, and neither does the other leg's (after a swelling held both
    legs, a reduced left Achilles let the right one restart at full dose)."""
    done = {
        str(record.data.get("side", ""))
        for record in journal.recent(kinds={records.SESSION}, since=moment)
        if record.at > moment
        and record.data.get("region") == region
        and record.data.get("complete", True)
    }
    if ANY_SIDE in sides or "" in done:  # a record with no side (old, or hand-edited)
        return bool(done)  # counts for every side, or the restart would never be used up
    return all(side in done for side in sides)
