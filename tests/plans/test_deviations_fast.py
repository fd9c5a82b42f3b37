"""Deviations found fast are the deviations the straightforward rules find
(`tests/straightforward.py`): from any journal, in every sitting or in one."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from iastm_coach.history.queries import join_rows
from iastm_coach.journal import records
from iastm_coach.journal.format import Record
from iastm_coach.plans.deviations import (
    PlanFacts,
    find_deviations,
    sittings_of,
    sittings_of_rows,
)
from iastm_coach.safety.hold_spans import hold_spans
from iastm_coach.safety.zones import remembered
from tests import straightforward
from tests.strategies import report_journals

FACTS = {
    "fp-calf": PlanFacts("calf", 48, ("left",), date(2024, 1, 10), "calf 1"),
    "fp-neck": PlanFacts("neck", 72),
}
CURRENT = {"shin": PlanFacts("shin", 24), "calf": PlanFacts("calf", 96)}
LINKS = remembered()  # each region's protocol read once for the module, not per example


@settings(max_examples=100)
@given(items=report_journals(), data=st.data())
def test_deviations_are_the_straightforward_ones(items: list[Record], data: st.DataObject) -> None:
    """The same deviations, in the same order, with the spans given or folded here, and
    for one sitting (`only`, as `history` asks)."""
    relevant = [r for r in items if r.kind in (records.SESSION, records.HOLD, records.HOLD_CLEAR)]
    given = {"facts": FACTS, "region_facts": CURRENT, "links_for": LINKS}
    expected = straightforward.find_deviations(relevant, **given)
    assert find_deviations(relevant, **given) == expected
    spans = hold_spans(relevant)
    rows = join_rows([r for r in relevant if r.kind == records.SESSION], ())
    assert find_deviations(relevant, spans=spans, rows=rows, **given) == expected
    sessions = [r.id for r in relevant if r.kind == records.SESSION]
    if sessions:
        only = data.draw(st.sampled_from(sessions))
        assert find_deviations(relevant, only=only, **given) == straightforward.find_deviations(
            relevant, only=only, **given
        )


@given(items=report_journals(), data=st.data())
def test_sittings_are_the_straightforward_ones(items: list[Record], data: st.DataObject) -> None:
    """Each sitting starts at its earliest start and ends at its latest end (the first of
    equal moments kept, as min() and max() keep it), sides in the order written."""
    shuffled = data.draw(st.permutations(items))
    fast = sittings_of(shuffled)
    plain = straightforward.sittings_of(shuffled)
    assert [(s.group, s.region, s.sessions) for s in fast] == [
        (s.group, s.region, s.sessions) for s in plain
    ]
    for a, b in zip(fast, plain, strict=True):  # the same objects: their zones too
        assert a.started is b.started and a.ended is b.ended
    by_rows = sittings_of_rows(join_rows([r for r in shuffled if r.kind == records.SESSION], ()))
    assert [(s.group, s.region, s.sessions) for s in by_rows] == [
        (s.group, s.region, s.sessions) for s in plain
    ]
    for a, b in zip(by_rows, plain, strict=True):
        assert a.started is b.started and a.ended is b.ended
