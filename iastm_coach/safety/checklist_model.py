"""The screening checklist file (`data/contraindications.toml`), as strict models.

The file is data for the safety rules: which questions exist, for which regions,
what a "yes" means there, how urgent the advice is, and what a cleared caution
changes in the session (`Consequences`). The rules read these fields; they do
not hard-code conditions.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from iastm_coach.protocols.library import URGENCY_WORDS
from iastm_coach.protocols.model import Line, Paragraph, Slug, Strict, Zone

Severity = Literal["stop", "caution", "local"]
Asked = Literal["every-session", "periodic"]
# person: true of the whole person (a medicine, pregnancy): one answer serves every region.
# site: true of one place (a wound, veins, a device): asked for each region.
Level = Literal["person", "site"]
# How soon to get care when the answer is "yes" (shown with the advice).
Urgency = Literal["emergency", "same-day", "see-a-doctor"]
HomePressure = Literal["light", "moderate"]


class Consequences(Strict):
    """What a cleared caution (or an age band) changes in the session."""

    pressure: HomePressure = Field(description="The most pressure allowed on every area.")
    dose_percent: int = Field(ge=10, le=100, description="Time on each area, as a percentage.")
    skin_check: bool = Field(
        description="True: look at the skin every 10-15 strokes instead of relying on "
        "'discomfort no more than 5/10' (for people who cannot feel the area well or bruise "
        "easily; clinical reference §8e)."
    )
    site_bound: bool = Field(
        description="True: the condition is at one place, so the session offers to skip the "
        "areas that hold it; false: it concerns the whole person."
    )
    why: Paragraph = Field(description="The source of these numbers, or 'conservative default'.")


class Override(Strict):
    """How an item differs for some regions or zones."""

    severity: Severity | None = None
    cleared_by: Line | None = None
    advice: Paragraph | None = None


class ChecklistItem(Strict):
    """One yes/no question; "yes" means the condition is present."""

    id: Slug
    question: Line
    severity: Severity = Field(
        description="stop: no session; caution: only with a clinician's clearance; "
        "local: work around that spot."
    )
    asked: Asked = Field(
        description="every-session for things that change day to day (a wound, a fever); "
        "periodic for lasting ones (blood thinners, pregnancy), re-confirmed every recheck_days."
    )
    level: Level
    advice: Paragraph
    urgency: Urgency | None = Field(None, description="How soon to get care after a 'yes'.")
    regions: list[Slug] = Field(
        default_factory=list,
        description="Asked only before these regions (with `zones`: before either). "
        "Both empty: before every region.",
    )
    zones: list[Zone] = Field(default_factory=list)
    by_region: dict[Slug, Override] = Field(
        default_factory=dict,
        description="Overrides for some regions, e.g. pregnancy is a stop for the lower back.",
    )
    by_zone: dict[Zone, Override] = Field(default_factory=dict)
    cleared_by: Line = Field(
        "a clinician who knows about this",
        description="Who must clear a caution: 'Has {cleared_by} cleared you ...?'",
    )
    if_cleared: Consequences | None = Field(
        None, description="Required when the item can be a caution: what clearance changes."
    )
    learn: list[Slug] = Field(default_factory=list, description="Learn topics the advice uses.")
    places_hold: Slug | None = Field(
        None,
        description="A red-flag rule id (as in the README's safety table) whose hold a 'yes' "
        "places on the region and the sides treated: a sign that lasts beyond today, e.g. a "
        "bruise left by an earlier session (bruising).",
    )
    spot: Line | None = Field(
        None,
        description="What to work around, for the areas' 'avoid' lines after a yes (e.g. "
        "'the open wound or broken skin'). Required for local items and site-bound cautions.",
    )
    references: list[Line] = Field(min_length=1)

    def applies_to(self, region: str, zone: str | None = None) -> bool:
        """Is this item asked before a session of *region* (in *zone*)?"""
        if not self.regions and not self.zones:
            return True
        return region in self.regions or (zone is not None and zone in self.zones)

    def _override(self, region: str, zone: str | None) -> Override:
        """The region's override, else the zone's, else none."""
        found = self.by_region.get(region)
        if found is None:
            found = next((o for name, o in self.by_zone.items() if name == zone), None)
        return found or Override()

    def severity_for(self, region: str, zone: str | None = None) -> Severity:
        return self._override(region, zone).severity or self.severity

    def cleared_by_for(self, region: str, zone: str | None = None) -> str:
        return self._override(region, zone).cleared_by or self.cleared_by

    def advice_for(self, region: str, zone: str | None = None) -> str:
        """The advice, with the urgency sentence first when there is one."""
        advice = self._override(region, zone).advice or self.advice
        return f"{URGENCY_WORDS[self.urgency]} {advice}" if self.urgency else advice

    def severities(self) -> set[Severity]:
        """Every severity this item can have, in any region."""
        found: set[Severity] = {self.severity}
        for override in [*self.by_region.values(), *self.by_zone.values()]:
            if override.severity is not None:
                found.add(override.severity)
        return found

    @model_validator(mode="after")
    def _caution_says_what_changes(self) -> Self:
        if "caution" in self.severities() and self.if_cleared is None:
            raise ValueError("a caution item needs `if_cleared` (what clearance changes)")
        if self.if_cleared is not None and "caution" not in self.severities():
            raise ValueError("`if_cleared` is only for items that can be a caution")
        bound = self.if_cleared is not None and self.if_cleared.site_bound
        if ("local" in self.severities() or bound) and self.spot is None:
            raise ValueError("a local item or a site-bound caution needs `spot` (what to avoid)")
        return self


class FirstUseQuestion(Strict):
    """Asked once (or once per region); "no" is the worrying answer."""

    id: Slug
    question: Line
    asked: Literal["once", "per-region", "every-session"] = Field(
        "once",
        description="per-region: asked before the first session of each region; "
        "every-session: before each session (one key, e.g. the tool's edge).",
    )
    if_no: Literal["recommend", "stop"]
    if_no_by_region: dict[Slug, Literal["recommend", "stop"]] = Field(default_factory=dict)
    advice: Paragraph
    learn: list[Slug] = Field(default_factory=list)
    references: list[Line] = Field(min_length=1)

    def if_no_for(self, region: str) -> Literal["recommend", "stop"]:
        return self.if_no_by_region.get(region, self.if_no)


class FirstUseNote(Strict):
    """Shown (not asked) on first use, e.g. the kitchen-scale pressure exercise."""

    id: Slug
    text: Paragraph
    learn: list[Slug] = Field(default_factory=list)
    references: list[Line] = Field(min_length=1)


class ZoneWarning(Strict):
    """Advice every region in a zone shows before and after the session (clot signs)."""

    id: Slug
    zone: Zone
    text: Paragraph
    urgency: Urgency
    references: list[Line] = Field(min_length=1)


class AgeBand(Strict):
    """What the age given at first use means for self-treatment."""

    id: Slug
    lowest: int = Field(ge=0, le=120)
    highest: int = Field(ge=0, le=120)
    outcome: Literal["stop", "adjust", "none"]
    advice: Paragraph | None = None
    consequences: Consequences | None = None
    references: list[Line] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.lowest > self.highest:
            raise ValueError("lowest must not be above highest")
        if (self.outcome == "adjust") != (self.consequences is not None):
            raise ValueError("an 'adjust' band, and only that, needs consequences")
        if self.outcome != "none" and self.advice is None:
            raise ValueError("a 'stop' or 'adjust' band needs advice")
        return self


class Checklist(Strict):
    format: int = Field(1, ge=1, le=1)
    recheck_days: int = Field(ge=7, le=180, description="Re-confirm periodic items this often.")
    item: list[ChecklistItem] = Field(min_length=1)
    first_use: list[FirstUseQuestion] = Field(default_factory=list)
    first_use_note: list[FirstUseNote] = Field(default_factory=list)
    zone_warning: list[ZoneWarning] = Field(default_factory=list)
    age_band: list[AgeBand] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_and_complete(self) -> Self:
        ids = [item.id for item in self.item] + [question.id for question in self.first_use]
        ids += [note.id for note in self.first_use_note]
        ids += [warning.id for warning in self.zone_warning]
        duplicates = sorted({name for name in ids if ids.count(name) > 1})
        if duplicates:
            raise ValueError(f"ids must be unique (repeated: {', '.join(duplicates)})")
        ages = sorted((band.lowest, band.highest) for band in self.age_band)
        if ages:
            expected = 0
            for lowest, highest in ages:
                if lowest != expected:
                    raise ValueError(
                        f"age bands must cover every age once (gap or overlap at {expected})"
                    )
                expected = highest + 1
        return self

    def age_band_for(self, age: int) -> AgeBand | None:
        return next((b for b in self.age_band if b.lowest <= age <= b.highest), None)

    def zone_warnings(self, zone: str) -> list[ZoneWarning]:
        return [warning for warning in self.zone_warning if warning.zone == zone]


def combined(consequences: list[Consequences]) -> Consequences | None:
    """Several cleared cautions at once: the most careful value of each field."""
    if not consequences:
        return None
    return Consequences(
        pressure="light" if any(c.pressure == "light" for c in consequences) else "moderate",
        dose_percent=min(c.dose_percent for c in consequences),
        skin_check=any(c.skin_check for c in consequences),
        site_bound=any(c.site_bound for c in consequences),
        why="; ".join(dict.fromkeys(c.why for c in consequences)),
    )
