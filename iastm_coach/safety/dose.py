"""Dose adjustment: how much of the protocol the next session of a region does.

Rules, all looking only at the last session of the region (and its sitting:
both sides treated together count as one):

1. The protocol's own `dose_rule`s: when the soreness at the 24 h check-in
   was at least `when_soreness_at_least`, the next session runs at
   `scale_percent`. When several rules match, the lowest percentage wins.
2. Without any `dose_rule` in the protocol, a conservative default applies
   (not a finding; the clinical reference has no sourced scale-back rule):
   24 h soreness of 5 or more → next session at 70 %.
3. The first session after a red-flag hold was cleared runs at the
   protocol's `after_red_flag_percent` (50 % unless the physio set it).

When more than one applies, the lowest dose is used. Without a 24 h answer
rules 1 and 2 do not apply (a 48 h answer is not used in its place), and the
dose returns to 100 % after a session whose 24 h soreness was below the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from iastm_coach.history.queries import checkins_of, last_session, sitting_of
from iastm_coach.safety.holds import HoldState, hold_state

if TYPE_CHECKING:
    from iastm_coach.journal.store import Journal
    from iastm_coach.protocols.model import TreatmentProtocol

DEFAULT_THRESHOLD: Final = 5
DEFAULT_PERCENT: Final = 70


@dataclass(frozen=True)
class Dose:
    """The dose for the next session: a percentage and why (100 and "" when unchanged)."""

    percent: int
    reason: str = ""


FULL: Final = Dose(100, "")


def dose_from_soreness(protocol: TreatmentProtocol, soreness_24h: int | None) -> Dose:
    """Rules 1 and 2 for a known 24 h soreness (None: no answer, full dose)."""
    if soreness_24h is None:
        return FULL
    if protocol.dose_rule:
        matching = [
            rule for rule in protocol.dose_rule if soreness_24h >= rule.when_soreness_at_least
        ]
        if not matching:
            return FULL
        rule = min(matching, key=lambda r: (r.scale_percent, -r.when_soreness_at_least))
        return Dose(
            rule.scale_percent,
            f"soreness {soreness_24h}/10 at the 24 h check-in after the last session: "
            f"{rule.explain}",
        )
    if soreness_24h >= DEFAULT_THRESHOLD:
        return Dose(
            DEFAULT_PERCENT,
            f"soreness {soreness_24h}/10 at the 24 h check-in after the last session "
            f"(5 or more): {DEFAULT_PERCENT} % of the usual time, a conservative default",
        )
    return FULL


def lowest(*doses: Dose) -> Dose:
    """The most conservative dose; its reasons joined when several scale back."""
    scaled = [dose for dose in doses if dose.percent < 100]
    if not scaled:
        return FULL
    low = min(dose.percent for dose in scaled)
    return Dose(low, "; ".join(dose.reason for dose in scaled if dose.percent == low))


def next_dose(
    protocol: TreatmentProtocol, journal: Journal, *, region: str, holds: HoldState | None = None
) -> Dose:
    """The dose for the next session of *region*, with the reason shown to people.

    *holds* saves reading every hold again when the caller already has them.
    """
    last = last_session(journal, region)
    after_hold = FULL
    clear = (holds or hold_state(journal)).last_clear.get(region)
    if clear is not None and (last is None or last.at <= clear.at):
        reason = str(clear.data.get("reason", ""))
        after_hold = Dose(
            protocol.after_red_flag_percent,
            f"first session after the red-flag hold was lifted on {clear.at.astimezone():%Y-%m-%d}"
            f"{f' ({reason})' if reason else ''}: restart at "
            f"{protocol.after_red_flag_percent} %",
        )
    if last is None:
        return after_hold
    values = []  # the last 24 h answer of each side, when there is one
    for session in sitting_of(journal, last):
        answers = [
            checkin.data.get("soreness")
            for checkin in checkins_of(journal, session)
            if checkin.data.get("hours") == 24
        ]
        if answers and isinstance(answers[-1], int):
            values.append(answers[-1])
    return lowest(after_hold, dose_from_soreness(protocol, max(values) if values else None))
