"""Which regions a hold or a session concerns beyond its own: body zones and overlaps.

Pure functions over `RegionLinks` (a region's zone, sides and overlap links,
read from its protocol's `access` table), so the session gate and `today`
decide the same way. The clinical reasons (`clinical-reference.md` §8b):

- swelling, numbness/tingling and severe soreness concern the limb (a nerve
  trunk, the venous return), not one muscle: they stop every region of the
  zone, on the same side for a sided region;
- swelling of a leg may be a deep vein thrombosis. That concerns the whole
  venous system of the legs and needs a same-day medical assessment, and
  which leg a person reports is not always the one at risk: it stops every
  leg region on BOTH legs (a conservative default, not a finding);
- every other hold (bruising, soreness that rose or did not settle) concerns
  the tissue: it stops the region and the regions that overlap it (calf,
  Achilles and plantar fascia share the soleus-Achilles-plantar chain), on the
  same side.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from iastm_coach.protocols.model import TreatmentProtocol
    from iastm_coach.safety.holds import Hold

Reach = Literal["tissue", "zone", "both-legs"]

ZONE_RULES: Final = frozenset({"swelling", "numbness", "weakness", "soreness-7"})
"""Hold rules that stop the whole zone (same side), not only the tissue."""

ANY_SIDE: Final = ""  # a hold whose side is not known (older or hand-edited records)


@dataclass(frozen=True)
class RegionLinks:
    """What the zone rules need to know about one region."""

    region: str
    zone: str
    sided: bool = True
    overlaps: frozenset[str] = field(default_factory=frozenset)


def links_of(protocol: TreatmentProtocol) -> RegionLinks:
    access = protocol.access
    return RegionLinks(protocol.region, access.zone, access.sided, frozenset(access.overlaps))


LinksFor = Callable[[str], "RegionLinks | None"]


def library_links(region: str) -> RegionLinks | None:
    """A region's links from its installed or built-in protocol; None when unreadable
    (a hold on a region whose protocol is gone still stops that region itself)."""
    from iastm_coach.errors import CoachError
    from iastm_coach.protocols.library import load_for_region

    try:
        return links_of(load_for_region(region).protocol)
    except CoachError:
        return None


def remembered(links_for: LinksFor = library_links) -> LinksFor:
    """*links_for* that reads each region's protocol once (for one command's run)."""
    seen: dict[str, RegionLinks | None] = {}

    def lookup(region: str) -> RegionLinks | None:
        if region not in seen:
            seen[region] = links_for(region)
        return seen[region]

    return lookup


def overlapping(a: RegionLinks, b: RegionLinks) -> bool:
    """Same tissue: either file names the other (a link written on one side counts)."""
    return b.region in a.overlaps or a.region in b.overlaps


def sides_meet(a: str, b: str) -> bool:
    """Do two sides concern the same tissue? A region without sides (neck) meets both
    sides of a sided neighbour (upper back); an unknown side meets every side."""
    return a == b or ANY_SIDE in (a, b) or "none" in (a, b)


def hold_reach(rule: str, zone: str) -> Reach:
    if rule == "swelling" and zone == "leg":
        return "both-legs"
    return "zone" if rule in ZONE_RULES else "tissue"


@dataclass(frozen=True)
class Blocker:
    """A hold that stops a region on a side: whose hold, which rule, and why it reaches."""

    hold: Hold
    rule: str
    why: str  # "a leg swelling stops every leg region on both legs", "" for the own region

    def message(self, region: str, side: str) -> str:
        place = region if side in ("none", ANY_SIDE) else f"{side} {region}"
        since = f"{self.hold.since:%Y-%m-%d %H:%M}"
        if self.hold.region == region:
            return f"the {place} is on hold since {since}: {self.hold.reason_text()}"
        return (
            f"the {place} cannot be treated: the {self.hold.region} is on hold since {since} "
            f"({self.hold.reason_text()}), and {self.why}"
        )


def blockers(
    target: RegionLinks,
    side: str,
    holds: Mapping[str, Hold],
    links: Mapping[str, RegionLinks | None],
) -> list[Blocker]:
    """Every active hold that stops *target* on *side* ("none" for a region without sides).

    *links* gives the links of each held region (None when its protocol cannot be read:
    then it stops only itself).
    """
    found: list[Blocker] = []
    for held_region, hold in sorted(holds.items()):
        source = links.get(held_region)
        reached = reach(
            held_region, hold.all_rules, hold.sides, source, target, side, flags=hold.flags
        )
        if reached is not None:
            found.append(Blocker(hold, *reached))
    return found


def reach(
    held_region: str,
    rules: Sequence[str],
    held_sides: Iterable[str],
    source: RegionLinks | None,
    target: RegionLinks,
    side: str,
    *,
    flags: Sequence[tuple[str, str]] = (),
) -> tuple[str, str] | None:
    """THE rule for whether a hold reaches a region: (rule, why) when a hold on
    *held_region* (placed by *rules* on *held_sides*; *source* its links, None when its
    protocol cannot be read) stops *target* on *side*; why is "" for the region itself.
    None when it does not. The session gate, `log`, the report's deviations and its
    soreness charts all ask this one function.

    *flags* are the (rule, side) of each red flag when known: each flag then reaches from
    its own side (numbness of the left calf and a bruise of the right one are not a
    numbness of both legs); without them every rule counts on every side held."""
    if held_region == target.region:
        return (rules[0] if rules else "", "")
    if source is None:
        return None
    pairs: list[tuple[str, Iterable[str]]] = [(rule, [held]) for rule, held in flags]
    pairs = pairs or [(rule, held_sides) for rule in rules]
    for rule, sides in pairs:
        why = _reaches(rule, source, target, side, sides)
        if why:
            return rule, why
    return None


def reaches_region(
    held_region: str,
    rules: Sequence[str],
    held_sides: Iterable[str],
    region: str,
    side: str,
    links_for: LinksFor = library_links,
    *,
    flags: Sequence[tuple[str, str]] = (),
) -> tuple[str, str] | None:
    """`reach` by region names: the links of both are looked up with *links_for* (a region
    whose protocol cannot be read is reached only by its own holds)."""
    if held_region == region:
        return (rules[0] if rules else "", "")
    target = links_for(region)
    if target is None:
        return None
    return reach(held_region, rules, held_sides, links_for(held_region), target, side, flags=flags)


def _reaches(
    rule: str, source: RegionLinks, target: RegionLinks, side: str, held_sides: Iterable[str]
) -> str:
    """Why a *rule* hold on *source* stops *target* on *side*, or ""."""
    same_side = any(sides_meet(held, side) for held in held_sides)
    reach = hold_reach(rule, source.zone)
    if reach == "both-legs" and target.zone == "leg":
        return "swelling of a leg may be a blood clot: every leg region on both legs waits"
    if reach in ("zone", "both-legs") and target.zone == source.zone and same_side:
        return f"a {rule} hold covers every {source.zone} region on that side"
    if overlapping(source, target) and same_side:
        return f"the {source.region} and the {target.region} treat the same tissue"
    return ""


def links_for_holds(holds: Iterable[str], links_for: LinksFor) -> dict[str, RegionLinks | None]:
    return {region: links_for(region) for region in holds}
