"""The checklist model: what a file must say, and how overrides and consequences combine."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from iastm_coach.safety.checklist_model import (
    Checklist,
    ChecklistItem,
    Consequences,
    combined,
)

LIGHT = {"pressure": "light", "dose_percent": 70, "skin_check": True, "site_bound": False,
         "why": "Conservative default"}  # fmt: skip


def item(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "thing", "question": "Thing?", "severity": "stop", "asked": "periodic",
        "level": "person", "advice": "Do not.", "references": ["Conservative default"],
    }  # fmt: skip
    data.update(changes)
    return data


def test_a_caution_without_consequences_is_refused() -> None:
    with pytest.raises(ValidationError, match="if_cleared"):
        ChecklistItem.model_validate(item(severity="caution"))


def test_a_region_override_to_caution_also_needs_consequences() -> None:
    with pytest.raises(ValidationError, match="if_cleared"):
        ChecklistItem.model_validate(item(by_region={"calf": {"severity": "caution"}}))
    ChecklistItem.model_validate(
        item(by_region={"calf": {"severity": "caution"}}, if_cleared=LIGHT)
    )


def test_consequences_on_a_stop_item_are_refused() -> None:
    with pytest.raises(ValidationError, match="only for items that can be a caution"):
        ChecklistItem.model_validate(item(if_cleared=LIGHT))


def test_a_local_item_or_a_site_bound_caution_names_its_spot() -> None:
    """What to work around goes into every area's 'avoid' lines: it must be named."""
    with pytest.raises(ValidationError, match="spot"):
        ChecklistItem.model_validate(item(severity="local"))
    bound = {**LIGHT, "site_bound": True}
    with pytest.raises(ValidationError, match="spot"):
        ChecklistItem.model_validate(item(severity="caution", if_cleared=bound))
    ChecklistItem.model_validate(item(severity="local", spot="the scar"))


def test_every_item_cites_something() -> None:
    with pytest.raises(ValidationError):
        ChecklistItem.model_validate(item(references=[]))


def test_region_override_beats_zone_override_beats_the_item() -> None:
    thing = ChecklistItem.model_validate(
        item(
            severity="caution",
            if_cleared=LIGHT,
            by_region={"lower-back": {"severity": "stop"}},
            by_zone={"leg": {"cleared_by": "your obstetrician"}, "trunk": {"severity": "local"}},
            spot="the thing",
        )
    )
    assert thing.severity_for("lower-back", "trunk") == "stop"
    assert thing.severity_for("neck", "trunk") == "local"
    assert thing.severity_for("calf", "leg") == "caution"
    assert thing.cleared_by_for("calf", "leg") == "your obstetrician"
    assert thing.cleared_by_for("forearm-flexors", "arm") == "a clinician who knows about this"


def test_applies_to_regions_or_zones() -> None:
    anywhere = ChecklistItem.model_validate(item())
    assert anywhere.applies_to("neck")
    legs = ChecklistItem.model_validate(item(zones=["leg"], regions=["neck"]))
    assert legs.applies_to("calf", "leg") and legs.applies_to("neck", "trunk")
    assert not legs.applies_to("upper-back", "trunk")


def test_urgency_comes_first_in_the_advice() -> None:
    urgent = ChecklistItem.model_validate(item(urgency="same-day"))
    assert urgent.advice_for("calf", "leg") == "Get medical care today. Do not."


def test_age_bands_must_cover_every_age_once() -> None:
    base: dict[str, Any] = {"recheck_days": 30, "item": [item()]}
    band = {"outcome": "none", "references": ["Conservative default"]}
    gap = [
        dict(band, id="young", lowest=0, highest=15),
        dict(band, id="old", lowest=17, highest=120),
    ]
    with pytest.raises(ValidationError, match="cover every age"):
        Checklist.model_validate(dict(base, age_band=gap))


def test_ids_are_unique_across_the_file() -> None:
    with pytest.raises(ValidationError, match="repeated: thing"):
        Checklist.model_validate({"recheck_days": 30, "item": [item(), item()]})


def test_several_cautions_combine_to_the_most_careful_plan() -> None:
    moderate = Consequences.model_validate(
        {
            "pressure": "moderate",
            "dose_percent": 100,
            "skin_check": False,
            "site_bound": True,
            "why": "Device",
        }
    )
    light = Consequences.model_validate(LIGHT)
    both = combined([moderate, light])
    assert both is not None
    assert (both.pressure, both.dose_percent, both.skin_check, both.site_bound) == (
        "light",
        70,
        True,
        True,
    )
    assert combined([]) is None
