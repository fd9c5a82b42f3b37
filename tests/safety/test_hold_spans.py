"""Holds as spans from placed to lifted, folded in the journal's append order."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from iastm_coach.journal import records
from iastm_coach.safety.hold_spans import hold_spans
from tests.builders import T0, add_hold, add_hold_clear, make_journal


def test_a_clear_that_names_its_holds_leaves_a_later_one_open(tmp_path: Path) -> None:
    j = make_journal(tmp_path)
    first = add_hold(j, at=T0)
    j.append(
        records.HOLD_CLEAR,
        {"region": "calf", "reason": "seen", "lifts": [first.id]},
        at=T0 + timedelta(days=2),
    )
    second = add_hold(j, at=T0 + timedelta(days=3))
    add_hold(j, region="neck", at=T0 + timedelta(days=4))
    spans = hold_spans(j.scan())
    assert [(s.region, s.record_id, s.lifted) for s in spans] == [
        ("calf", first.id, T0 + timedelta(days=2)),
        ("calf", second.id, None),
        ("neck", spans[2].record_id, None),
    ]
    assert spans[0].covers(T0 + timedelta(days=1)) and not spans[0].covers(T0 + timedelta(days=2))


def test_two_holds_in_one_span_until_an_older_style_clear(tmp_path: Path) -> None:
    j = make_journal(tmp_path)
    add_hold(j, at=T0, rule="soreness-7", reason="sore")
    add_hold(j, at=T0 + timedelta(hours=1), rule="numbness", reason="numb")
    add_hold_clear(j, at=T0 + timedelta(days=1), reason="examined")
    (span,) = hold_spans(j.scan())
    assert span.rules == ("soreness-7", "numbness") and span.reasons == ("sore", "numb")
    assert span.lift_reason == "examined" and span.lifted == T0 + timedelta(days=1)
