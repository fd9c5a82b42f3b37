"""A standalone outcome measurement (history/measuring.py) without a terminal: the side
rules, the value check, and what is recorded next to the earlier values."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from iastm_coach.errors import UsageError
from iastm_coach.history.measuring import outcome_of, record_standalone, side_to_measure
from iastm_coach.protocols.library import load_for_region
from tests.builders import T0, make_journal


def test_sides_one_at_a_time_or_none() -> None:
    """A sided region is measured one side at a time (asked when not given); a region
    without sides takes none and refuses left or right."""
    assert side_to_measure("calf", True, "left") == "left"
    assert side_to_measure("calf", True, None) is None
    assert side_to_measure("neck", False, None) == "none"
    with pytest.raises(UsageError, match="one side of the calf at a time"):
        side_to_measure("calf", True, "none")
    with pytest.raises(UsageError, match="the neck has no left or right side"):
        side_to_measure("neck", False, "right")


def test_a_value_is_recorded_after_the_earlier_ones(tmp_path: Path) -> None:
    journal = make_journal(tmp_path)
    calf = load_for_region("calf").protocol
    first = record_standalone(journal, calf, side="left", value=9.0, now=T0)
    assert first.earlier == []
    later = T0 + timedelta(days=7)
    second = record_standalone(journal, calf, side="left", value=10.5, now=later)
    assert [r.id for r in second.earlier] == [first.record.id]
    payload = second.to_json()
    assert (payload["value"], payload["phase"], payload["side"]) == (10.5, "standalone", "left")
    assert [p["value"] for p in payload["previous"]] == [9.0]
    assert second.record.at == later


def test_a_value_outside_the_unit_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    journal = make_journal(tmp_path)
    calf = load_for_region("calf").protocol
    with pytest.raises(UsageError):
        record_standalone(journal, calf, side="left", value=1000.0, now=T0)
    assert journal.recent(kinds={"measure"}) == []


def test_a_protocol_without_an_outcome_test_says_how_to_add_one() -> None:
    protocol = load_for_region("calf").protocol.model_copy(update={"outcome": None})
    with pytest.raises(UsageError, match="no outcome test to measure") as refused:
        outcome_of(protocol)
    assert "[outcome]" in (refused.value.hint or "")
