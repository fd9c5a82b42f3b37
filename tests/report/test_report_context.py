"""The report reads a few fields of the built-in protocols and the checklist without the
protocol model: the readings must equal what the validated model says."""

from __future__ import annotations

import pytest

from iastm_coach.protocols.library import load_builtin, region_index
from iastm_coach.report.build import Prescribed
from iastm_coach.report.context import builtin_facts, caution_labels, protocol_facts
from iastm_coach.safety.checklist import load_checklist


@pytest.mark.parametrize("region", region_index().regions)
def test_builtin_facts_equal_the_validated_protocol(region: str) -> None:
    protocol = load_builtin(region).protocol
    facts = builtin_facts(region)
    assert facts is not None
    p, o = protocol.prescription, protocol.outcome
    assert facts.prescription == (Prescribed(p.sessions_per_week, p.course_weeks) if p else None)
    assert facts.outcome == ((o.name, o.higher_is_better) if o else None)


def test_caution_labels_equal_the_validated_checklist() -> None:
    assert caution_labels() == {item.id: item.question for item in load_checklist().item}


def test_an_unknown_region_has_no_facts() -> None:
    assert builtin_facts("knee") is None
    assert protocol_facts(["knee", "calf"])[0].keys() == {"calf"}
