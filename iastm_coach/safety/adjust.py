"""What a cleared caution and the age band change in today's plan (issue 10 item 3).

A caution cleared by a clinician is not a plain "go ahead": its `if_cleared`
consequences apply (`data/contraindications.toml`): a pressure cap, a shorter
time, a visual skin check instead of the "discomfort no more than 5/10" cue for
people who cannot feel the area well or bruise easily (clinical reference §8e),
and for a condition at one place the skip-areas step. The age band given at first
use adds its own (65 and over: light pressure). Several at once: the most careful
value of each (`checklist_model.combined`). Local answers (a wound, a bruise) add
"work around" lines to every area's danger zones.

Pure: the screening result in, the adjustments out; `session/flow.py` applies them
to the plan, the get-ready screen and the session record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from iastm_coach.safety.checklist_model import Checklist, Consequences, HomePressure, combined
from iastm_coach.safety.dose import FULL, Dose

if TYPE_CHECKING:
    from iastm_coach.safety.checklist import ScreeningResult

PAIN_CUE: Final = "discomfort no more than 5 out of 10"


@dataclass(frozen=True)
class PlanAdjustments:
    """Today's changes to the protocol's plan, and why (for the screen and the record)."""

    pressure_cap: HomePressure | None = None
    dose_percent: int = 100
    skin_check: bool = False
    site_bound: tuple[str, ...] = ()  # cleared caution ids tied to one place: offer skips
    avoid: tuple[str, ...] = ()  # extra "avoid" lines for every area (local answers)
    applied: tuple[str, ...] = ()  # "osteoporosis (cleared ...): light pressure at most, ..."
    dose_sources: tuple[str, ...] = ()  # what set the dose percentage
    why: str = ""  # the sources of the numbers, joined

    @property
    def changed(self) -> bool:
        return bool(self.applied or self.avoid)

    def dose(self) -> Dose:
        """The adjustments' dose, to combine with the other dose rules (the lowest wins)."""
        if self.dose_percent >= 100:
            return FULL
        causes = " and ".join(self.dose_sources)
        return Dose(
            self.dose_percent,
            f"{causes}, cleared with a clinician: {self.dose_percent} % of the usual time",
        )


def describe(consequences: Consequences) -> str:
    """ "light pressure, 70 % of the usual time, a skin check instead of the pain cue"."""
    parts = [f"{consequences.pressure} pressure at most"]
    if consequences.dose_percent < 100:
        parts.append(f"{consequences.dose_percent} % of the usual time")
    if consequences.skin_check:
        parts.append("a skin check instead of the discomfort cue")
    if consequences.site_bound:
        parts.append("skip the areas that hold it")
    return ", ".join(parts)


def plan_adjustments(checklist: Checklist, screening: ScreeningResult) -> PlanAdjustments:
    """The cleared cautions' and the age band's consequences, and the local answers."""
    by_id = {item.id: item for item in checklist.item}
    found: list[tuple[str, Consequences]] = []
    for item_id in screening.cleared_cautions:
        consequences = by_id[item_id].if_cleared
        if consequences is not None:
            found.append((f"{item_id} (cleared by a clinician)", consequences))
    band = screening.age_band
    if band is not None and band.consequences is not None:
        found.append((f"age band {band.id}", band.consequences))
    site_bound = tuple(
        item_id
        for item_id in screening.cleared_cautions
        if (c := by_id[item_id].if_cleared) is not None and c.site_bound
    )
    spots = [item.spot for item in screening.local] + [by_id[i].spot for i in site_bound]
    avoid = tuple(
        f"{spot[0].upper()}{spot[1:]} you mentioned today: work around it, never over it"
        for spot in spots
        if spot
    )
    together = combined([consequences for _, consequences in found])
    if together is None:
        return PlanAdjustments(avoid=avoid)
    return PlanAdjustments(
        pressure_cap=together.pressure,
        dose_percent=together.dose_percent,
        dose_sources=tuple(
            source.split(" (")[0] for source, c in found if c.dose_percent == together.dose_percent
        ),
        skin_check=together.skin_check,
        site_bound=site_bound,
        avoid=avoid,
        applied=tuple(f"{source}: {describe(c)}" for source, c in found),
        why=together.why,
    )
