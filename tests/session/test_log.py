"""A session logged afterwards (session/log.py), as a core library on an injected moment:
what is written for each side, the red-flag rules, and what is refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from iastm_coach.errors import UsageError
from iastm_coach.journal.records import field_problems
from iastm_coach.journal.store import Journal
from iastm_coach.protocols.library import load_for_region
from iastm_coach.safety.holds import active_holds
from iastm_coach.session.log import LogRequest, log_session, parse_when
from tests.builders import T0, add_hold, make_journal


@pytest.fixture(name="journal")
def _journal(tmp_path: Path) -> Journal:
    return make_journal(tmp_path)


def test_both_sides_share_a_sitting_and_the_protocol_time(journal: Journal) -> None:
    """Without --side a sided region is logged on both sides, ending now, with the
    protocol's time split between them; the records pass the journal's field check."""
    loaded = load_for_region("calf")
    logged = log_session(journal, loaded, LogRequest(soreness=3), now=T0)
    planned = loaded.protocol.planned_seconds(sides=1)
    assert logged.sides == ["left", "right"] and logged.total_s == 2 * planned
    assert logged.started == T0 - timedelta(seconds=2 * planned)
    left, right = logged.records
    assert {left.data["group"]} == {right.data["group"]}
    assert (left.data["source"], left.data["actual_s"], left.data["ended"]) == ("log", planned, T0)
    assert left.data["protocol_fingerprint"] == loaded.fingerprint
    assert logged.flags == [] and logged.earlier_hold is None
    for record in logged.records:
        assert field_problems(record.kind, dict(record.data), missing=True) == []


def test_a_one_side_plan_logs_its_side_unless_told_otherwise(journal: Journal) -> None:
    """A right-only plan: `log` without --side records the right side only (it recorded both,
    so every plain log showed the physio a left side 'not prescribed' and asked the left's
    check-ins); --side left is still recorded as given, the deviation it is."""
    calf = load_for_region("calf")
    access = calf.protocol.access.model_copy(update={"sides": ["right"]})
    right_only = replace(calf, protocol=calf.protocol.model_copy(update={"access": access}))
    logged = log_session(journal, right_only, LogRequest(soreness=2), now=T0)
    planned = calf.protocol.planned_seconds(sides=1)
    assert logged.sides == ["right"] and logged.total_s == planned
    later = T0 + timedelta(days=3)
    left = log_session(journal, right_only, LogRequest(soreness=2, side="left"), now=later)
    assert left.sides == ["left"]


def test_a_region_without_sides_takes_no_side(journal: Journal) -> None:
    neck = load_for_region("neck")
    logged = log_session(journal, neck, LogRequest(soreness=1, minutes=4), now=T0)
    assert logged.sides == ["none"] and logged.total_s == 240
    with pytest.raises(UsageError, match="has no left and right side"):
        log_session(journal, neck, LogRequest(soreness=1, side="left"), now=T0)


def test_red_flags_hold_the_region(journal: Journal) -> None:
    """Soreness 7 and bruising right after: two flags, the region on hold from now."""
    logged = log_session(
        journal,
        load_for_region("calf"),
        LogRequest(soreness=7, side="right", bruising=True),
        now=T0,
    )
    assert [flag.rule for flag in logged.flags] == ["soreness-7", "bruising"]
    hold = active_holds(journal)["calf"]
    assert hold.since == T0 and hold.source_id == logged.records[0].id


@pytest.mark.parametrize("side", ["left", "right"])
def test_a_flag_logged_for_both_sides_holds_each_side(journal: Journal, side: str) -> None:
    """Both calves logged with numbness: the hold is on each side, so the Achilles of
    either leg (same zone, overlapping tissue) cannot be logged without --override-hold.
    It held the first side only: the right Achilles went ahead."""
    from iastm_coach.errors import SafetyStop

    logged = log_session(
        journal, load_for_region("calf"), LogRequest(soreness=3, numbness=True), now=T0
    )
    hold = active_holds(journal)["calf"]
    assert sorted(hold.flags) == [("numbness", "left"), ("numbness", "right")]
    assert {r.data["source"] for r in journal.recent(kinds={"hold"})} == {
        r.id for r in logged.records
    }
    later = T0 + timedelta(days=3)
    with pytest.raises(SafetyStop, match="not recorded without --override-hold"):
        log_session(
            journal, load_for_region("achilles"), LogRequest(soreness=1, side=side), now=later
        )


def test_a_session_during_a_hold_needs_override_hold(journal: Journal) -> None:
    """Logging a session of a region on hold is refused (exit 3) before anything is
    written; with override_hold it is recorded as an override, and the hold still stands."""
    from iastm_coach.errors import SafetyStop

    add_hold(journal, region="calf", at=T0 - timedelta(days=1))
    with pytest.raises(SafetyStop, match="not recorded without --override-hold"):
        log_session(journal, load_for_region("calf"), LogRequest(soreness=2), now=T0)
    assert journal.recent(kinds={"session"}) == []
    request = LogRequest(soreness=2, override_hold=True)
    logged = log_session(journal, load_for_region("calf"), request, now=T0)
    assert logged.flags == []
    assert logged.earlier_hold is not None and logged.earlier_hold.region == "calf"
    assert [o["rule"] for o in logged.records[0].data["overrides"]] == ["hold"]


@pytest.mark.parametrize("minutes", [0.0, 0.4, 61.0])
def test_minutes_out_of_range_are_refused(journal: Journal, minutes: float) -> None:
    with pytest.raises(UsageError, match=r"--minutes must be between 0\.5 and 60"):
        log_session(journal, load_for_region("calf"), LogRequest(2, minutes=minutes), now=T0)
    assert journal.recent(kinds={"session"}) == []


def test_when_is_read_in_local_time_and_never_in_the_future() -> None:
    assert parse_when("2026-03-01", T0).hour == 12  # a date alone: midday
    assert parse_when("2026-03-02T18:00+00:00", T0) == T0
    with pytest.raises(UsageError, match="--when is in the future"):
        parse_when((T0 + timedelta(hours=1)).isoformat(), T0)
    with pytest.raises(UsageError, match="--when must be a date and time"):
        parse_when("yesterday", T0)


@pytest.mark.parametrize("source", ["timer", "log"])
def test_the_one_builder_writes_the_documented_fields_in_order(source: str) -> None:
    """journal.sessions.session_fields, used by the session, `log`, the test builders and
    the benchmark journal: every field of `SESSION_FIELDS`, in its order; a guided session
    says whether its aftercare was answered, a logged one writes its empty exercise list."""
    from iastm_coach.journal.records import SESSION_FIELDS
    from iastm_coach.journal.sessions import ProtocolStamp, session_fields

    fields = session_fields(
        region="calf",
        side="left",
        group="g1",
        source="timer" if source == "timer" else "log",
        protocol=ProtocolStamp("calf", "1.0", "built-in", "ab" * 32),
        started=T0,
        ended=T0 + timedelta(minutes=5),
        planned_s=300,
        actual_s=290,
        soreness=2,
        aftercare_answered=True if source == "timer" else None,
    )
    assert list(fields) == [name for name in SESSION_FIELDS if name in fields]
    assert field_problems("session", fields, missing=True) == []
    optional = {name for name, spec in SESSION_FIELDS.items() if not spec.required}
    assert set(SESSION_FIELDS) - set(fields) <= optional
    assert ("aftercare_answered" in fields) == (source == "timer")
    assert ("exercises" in fields) == (source == "log")
