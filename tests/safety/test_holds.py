"""Holds are derived from hold / hold_clear records only (no state file)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from iastm_coach.errors import UsageError
from iastm_coach.journal.store import Journal, Record, new_record_id, records
from iastm_coach.safety.holds import active_holds, clear_hold, fold_holds, hold_state
from iastm_coach.safety.redflags import RedFlag
from tests.builders import (
    MINUS_5,
    PLUS_10,
    T0,
    CountingJournal,
    add_session,
    make_journal,
    place_hold,
)

BRUISING = RedFlag("bruising", "bruising beyond the usual redness")
SORE = RedFlag("soreness-7", "soreness 8/10")


def test_no_records_no_holds(tmp_path: Path) -> None:
    """An empty (even missing) journal has no holds."""
    assert active_holds(make_journal(tmp_path)) == {}


def test_place_hold_makes_region_held(tmp_path: Path) -> None:
    """A hold record puts its region on hold, with the flag's rule and reason."""
    journal = make_journal(tmp_path)
    session = add_session(journal)
    record = place_hold(journal, region="calf", flag=BRUISING, source_id=session.id, at=T0)
    assert record.kind == records.HOLD
    assert {
        "region": "calf",
        "rule": "bruising",
        "reason": BRUISING.reason,
        "source": session.id,
        "side": "left",  # the side of the session it came from
    } == dict(record.data)
    hold = active_holds(journal)["calf"]
    assert (hold.rule, hold.since, hold.record_id, hold.source_id) == (
        "bruising",
        T0,
        record.id,
        session.id,
    )


def test_second_flag_while_on_hold_is_kept(tmp_path: Path) -> None:
    """A later flag on a held region adds its rule; the hold still dates from the first."""
    journal = make_journal(tmp_path)
    place_hold(journal, region="calf", flag=BRUISING, source_id="a", at=T0)
    place_hold(journal, region="calf", flag=SORE, source_id="b", at=T0 + timedelta(hours=30))
    hold = active_holds(journal)["calf"]
    assert hold.rules == ("bruising", "soreness-7")
    assert hold.since == T0 and hold.rule == "bruising"


def test_every_rule_and_reason_of_a_hold(tmp_path: Path) -> None:
    """Soreness 7 and bruising at a check-in of both sides (four hold records): the hold
    keeps both rules and both reasons, each once, first one first; a later check-in adds
    its own reason for a rule already seen."""
    journal = make_journal(tmp_path)
    sore = RedFlag("soreness-7", "soreness 7/10 at the 24 h check-in (7 or more is severe)")
    for side in ("right", "left"):
        place_hold(journal, region="calf", flag=sore, source_id=side, at=T0)
        place_hold(journal, region="calf", flag=BRUISING, source_id=side, at=T0)
    hold = active_holds(journal)["calf"]
    assert hold.all_rules == ("soreness-7", "bruising")
    assert hold.all_reasons == (sore.reason, BRUISING.reason)
    assert hold.reason_text() == f"{sore.reason}; {BRUISING.reason}"
    assert (hold.rule, hold.reason) == ("soreness-7", sore.reason)  # the first, as before
    later = RedFlag("soreness-7", "soreness 8/10 at the 48 h check-in (7 or more is severe)")
    place_hold(journal, region="calf", flag=later, source_id="48", at=T0 + timedelta(days=1))
    hold = active_holds(journal)["calf"]
    assert hold.all_rules == ("soreness-7", "bruising")
    assert hold.all_reasons == (sore.reason, BRUISING.reason, later.reason)


def test_hold_list_shows_every_reason(tmp_path: Path) -> None:
    """`hold list` lists each reason of the hold, not only the first."""
    from iastm_coach.cli import app
    from iastm_coach.paths import journal_dir
    from tests.cli import FixedRunner

    journal = Journal(journal_dir())
    place_hold(journal, region="calf", flag=SORE, source_id="a", at=T0)
    place_hold(journal, region="calf", flag=BRUISING, source_id="a", at=T0)
    out = " ".join(FixedRunner().invoke(app, ["hold", "list"]).stdout.split())
    assert "On hold: calf since" in out and "2 red flags" in out
    assert f"- {SORE.reason} - {BRUISING.reason}" in out


def test_clear_lifts_and_is_recorded(tmp_path: Path) -> None:
    """`clear_hold` writes a hold_clear record with the reason; the region is free again."""
    journal = make_journal(tmp_path)
    place_hold(journal, region="calf", flag=SORE, source_id="a", at=T0)
    place_hold(journal, region="neck", flag=SORE, source_id="b", at=T0)
    record = clear_hold(
        journal,
        region="calf",
        reason="  seen by physio  ",
        examined_by=" Dr Lee ",
        at=T0 + timedelta(days=2),
    )
    (calf_hold,) = [r for r in journal.recent(kinds={records.HOLD}) if r.data["region"] == "calf"]
    assert (record.kind, dict(record.data)) == (
        records.HOLD_CLEAR,
        {
            "region": "calf",
            "reason": "seen by physio",
            "lifts": [calf_hold.id],
            "examined_by": "Dr Lee",
        },
    )
    assert set(active_holds(journal)) == {"neck"}
    assert hold_state(journal).last_clear["calf"].id == record.id


def test_clear_without_hold_is_a_usage_error(tmp_path: Path) -> None:
    """Clearing a region that is not on hold fails (exit 2) and names the held regions."""
    journal = make_journal(tmp_path)
    place_hold(journal, region="neck", flag=SORE, source_id="b", at=T0)
    with pytest.raises(UsageError) as caught:
        clear_hold(journal, region="calf", reason="fine to go", at=T0)
    assert caught.value.exit_code == 2
    assert "'calf' is not on hold" in caught.value.message
    assert caught.value.hint is not None and "neck" in caught.value.hint


def test_clear_twice_fails(tmp_path: Path) -> None:
    """A hold can only be lifted once."""
    journal = make_journal(tmp_path)
    place_hold(journal, region="calf", flag=SORE, source_id="a", at=T0)
    clear_hold(journal, region="calf", reason="physio said OK", examined_by="Dr Lee", at=T0)
    with pytest.raises(UsageError):
        clear_hold(journal, region="calf", reason="physio said OK", examined_by="Dr Lee", at=T0)


def test_clear_needs_a_reason(tmp_path: Path) -> None:
    """A blank reason is refused; nothing is written."""
    journal = make_journal(tmp_path)
    place_hold(journal, region="calf", flag=SORE, source_id="a", at=T0)
    with pytest.raises(UsageError, match="reason"):
        clear_hold(journal, region="calf", reason="   ", at=T0)
    assert "calf" in active_holds(journal)


def test_new_flag_after_clear_holds_again(tmp_path: Path) -> None:
    """A flag after a clear starts a new hold, dated from the new flag."""
    journal = make_journal(tmp_path)
    place_hold(journal, region="calf", flag=SORE, source_id="a", at=T0)
    clear_hold(journal, region="calf", reason="physio said OK", examined_by="Dr Lee", at=T0)
    later = T0 + timedelta(days=5)
    place_hold(journal, region="calf", flag=BRUISING, source_id="c", at=later)
    hold = active_holds(journal)["calf"]
    assert (hold.rule, hold.since, hold.rules) == ("bruising", later, ("bruising",))


def test_order_is_by_instant_across_time_zones(tmp_path: Path) -> None:
    """A clear written at UTC-5 after a hold written at UTC+10 lifts it, although its
    wall-clock date reads earlier."""
    journal = make_journal(tmp_path)
    held = datetime(2026, 3, 2, 9, 0, tzinfo=PLUS_10)  # 2026-03-01 23:00 UTC
    cleared = datetime(2026, 3, 1, 20, 0, tzinfo=MINUS_5)  # 2026-03-02 01:00 UTC
    place_hold(journal, region="calf", flag=SORE, source_id="a", at=held)
    journal.append(records.HOLD_CLEAR, {"region": "calf", "reason": "ok"}, at=cleared)
    assert active_holds(journal) == {}


def test_fold_any_order() -> None:
    """Folding follows the journal's append order (`seq`), not the order the records come
    in, and not their clocks: a hold appended after a clear stays, though dated earlier."""
    journal_records = [
        _record(records.HOLD, "neck", T0 + timedelta(hours=1), seq=3),
        _record(records.HOLD_CLEAR, "calf", T0 + timedelta(hours=2), seq=2),
        _record(records.HOLD, "calf", T0, seq=1),
        _record(records.HOLD, "hip", T0 + timedelta(hours=3), seq=4),
        _record(records.HOLD_CLEAR, "hip", T0 + timedelta(hours=4), seq=5),
        _record(records.HOLD, "hip", T0 - timedelta(days=1), seq=6),  # the clock stepped back
    ]
    assert set(fold_holds(journal_records).active) == {"neck", "hip"}


def test_holds_read_only_months_with_hold_records(tmp_path: Path) -> None:
    """Finding holds parses only the month files that contain hold records (once each
    month's summary is in the parse cache), even when notes elsewhere mention the word
    'hold'; a month changed since is parsed again."""
    directory = tmp_path / "journal"
    journal = Journal(directory)
    for month in range(1, 13):
        add_session(
            journal, started=datetime(2025, month, 3, 9, 0, tzinfo=UTC), note="hold for 30 s"
        )
    place_hold(
        journal, region="calf", flag=SORE, source_id="x", at=datetime(2024, 6, 1, tzinfo=UTC)
    )
    place_hold(
        journal, region="neck", flag=SORE, source_id="y", at=datetime(2025, 4, 20, tzinfo=UTC)
    )
    journal.append(
        records.HOLD_CLEAR, {"region": "neck", "reason": "ok"}, at=datetime(2025, 4, 25, tzinfo=UTC)
    )
    assert set(active_holds(Journal(directory))) == {"calf"}  # the first look parses them all
    counting = CountingJournal(directory)
    assert set(active_holds(counting)) == {"calf"}
    assert sorted(counting.loads) == ["2024-06.toml", "2025-04.toml"]
    place_hold(journal, region="hip", flag=SORE, source_id="z", at=datetime(2025, 7, 9, tzinfo=UTC))
    counting = CountingJournal(directory)
    assert set(active_holds(counting)) == {"calf", "hip"}
    assert sorted(counting.loads) == ["2024-06.toml", "2025-04.toml", "2025-07.toml"]


def _record(kind: str, region: str, at: datetime, *, seq: int = 0) -> Record:
    data: dict[str, str] = {"region": region, "rule": "soreness-7", "reason": "r", "source": "s"}
    if kind == records.HOLD_CLEAR:
        data = {"region": region, "reason": "ok"}
    return Record(kind, new_record_id(at), at, 1, data, seq)


def test_a_serious_hold_says_the_examiner_is_missing_before_the_reason(tmp_path: Path) -> None:
    """`hold clear calf --reason "GP ok"` on a serious hold: what is missing is who examined
    the area, and the message says so first (the short reason second); nothing is written."""
    journal = make_journal(tmp_path)
    place_hold(journal, region="calf", flag=SORE, source_id="a", at=T0)
    with pytest.raises(UsageError) as caught:
        clear_hold(journal, region="calf", reason="GP ok", at=T0)
    message = caught.value.message
    assert message.startswith("--examined-by is required")
    assert message.index("--examined-by") < message.index("a reason of a few words")
    # A good reason alone still needs the examiner; the examiner alone needs a reason.
    with pytest.raises(UsageError, match=r"^--examined-by is required"):
        clear_hold(journal, region="calf", reason="seen by my GP today", at=T0)
    with pytest.raises(UsageError, match=r"^a reason of a few words"):
        clear_hold(journal, region="calf", reason="ok", examined_by="Dr Lee", at=T0)
    assert "calf" in active_holds(journal)
