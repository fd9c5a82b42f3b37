"""Stories: holds follow the order the journal was written in, never the clock.

An NTP correction or a restored virtual machine can set the clock back after a `hold
clear`. A red flag given after that is dated before the clear, but it came after it, and
it must keep its region on hold. A record dated far in the future (a clock set years
ahead) is reported by `journal check`, not silently obeyed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from iastm_coach.journal.store import Journal, records
from iastm_coach.safety.holds import active_holds, clear_hold, hold_state
from iastm_coach.safety.redflags import RedFlag
from tests.builders import place_hold
from tests.cli import first_session, run_on
from tests.fakes import FakeClock

SORE_8 = "8\nn\nn\n\n"
SORE = RedFlag("soreness-7", "soreness 8/10")
START = datetime(2026, 3, 2, 18, 30, tzinfo=UTC)


def held_regions(clock: FakeClock) -> list[str]:
    code, out, _ = run_on(clock, ["hold", "list", "--json"])
    assert code == 0
    return [hold["region"] for hold in json.loads(out)["holds"]]


def test_a_clock_set_back_after_a_clear_cannot_cancel_the_next_hold(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Soreness 8 holds the calf; the physio clears it on day 3; the clock then steps back
    two hours and the next session (logged) is sore again: its hold is dated before the
    clear, yet the calf stays on hold (`hold list`, `today`, and the session refused with
    exit 3)."""
    clock = FakeClock(START)
    code, out, err = first_session(clock, SORE_8)
    assert code == 0 and "on hold" in out, err
    clock.advance(3 * 24 * 3600)
    code, _, err = run_on(
        clock, ["hold", "clear", "calf", "--examined-by", "Dr Lee", "--reason", "seen by my physio"]
    )
    assert code == 0, err
    assert held_regions(clock) == []

    # An NTP correction sets the clock back two hours; the next session (logged) is sore.
    set_back = FakeClock(START + timedelta(days=3, hours=-2))
    code, out, err = run_on(set_back, ["log", "calf", "--soreness", "8", "--side", "left"])
    assert code == 0 and "on hold" in out, err
    journal = Journal(isolated_home / "journal")
    (clear,) = journal.recent(kinds={records.HOLD_CLEAR})
    newest_hold = journal.recent(kinds={records.HOLD}, limit=1)[0]
    assert newest_hold.at < clear.at  # dated before the clear, written after it

    later = FakeClock(START + timedelta(days=4))
    assert held_regions(later) == ["calf"]
    code, out, _ = run_on(later, ["today", "--json"])
    assert [item["region"] for item in json.loads(out)["on_hold"]] == ["calf"]
    code, _, err = run_on(later, ["session", "calf", "--side", "left", "--override-rest"])
    assert code == 3 and "on hold" in err


def test_a_clear_lifts_only_the_holds_it_saw_even_across_months(tmp_path: Path) -> None:
    """A clear written just after midnight on 1 March names the holds it lifts; the clock
    steps back into February and a new hold lands in the February file, which sorts
    before March: it stays on hold all the same. `hold clear` then lifts it too."""
    journal = Journal(tmp_path / "journal")
    place_hold(
        journal, region="calf", flag=SORE, source_id="a", at=datetime(2026, 2, 27, tzinfo=UTC)
    )
    clear_at = datetime(2026, 3, 1, 0, 30, tzinfo=UTC)
    clear_hold(journal, region="calf", reason="seen by physio", examined_by="Dr Lee", at=clear_at)
    assert active_holds(journal) == {}
    later_hold = place_hold(
        journal, region="calf", flag=SORE, source_id="b", at=clear_at - timedelta(hours=1)
    )
    assert [p.name for p in journal.month_files()] == ["2026-02.toml", "2026-03.toml"]
    fresh = Journal(journal.directory)
    assert active_holds(fresh)["calf"].record_id == later_hold.id
    clear_hold(
        fresh,
        region="calf",
        reason="seen by physio again",
        examined_by="Dr Lee",
        at=clear_at + timedelta(hours=1),
    )
    assert active_holds(Journal(journal.directory)) == {}


def test_an_older_clear_without_lifts_lifts_what_was_written_before_it(tmp_path: Path) -> None:
    """Journals written before clears named their holds: such a clear lifts the holds written
    before it in the file, and not a hold written after it, whatever the dates say."""
    journal = Journal(tmp_path / "journal")
    day = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    place_hold(journal, region="calf", flag=SORE, source_id="a", at=day)
    journal.append(
        records.HOLD_CLEAR, {"region": "calf", "reason": "ok"}, at=day + timedelta(hours=5)
    )
    after = place_hold(
        journal, region="calf", flag=SORE, source_id="b", at=day + timedelta(hours=1)
    )
    state = hold_state(Journal(journal.directory))
    assert state.active["calf"].record_id == after.id
    assert state.hold_ids["calf"] == (after.id,)


def test_check_warns_about_records_dated_in_the_future(isolated_home: Path) -> None:
    """A record dated years ahead (a clock set wrong) is a warning naming the record and its
    line: `journal check` still exits 0. A few hours ahead (time zones, a fast clock) is not."""
    clock = FakeClock(START)
    journal = Journal(isolated_home / "journal")
    soon = journal.append(
        records.HOLD_CLEAR, {"region": "neck", "reason": "x"}, at=START + timedelta(hours=20)
    )
    far = place_hold(
        journal, region="calf", flag=SORE, source_id="a", at=START + timedelta(days=3 * 365)
    )
    code, out, err = run_on(clock, ["journal", "check"])
    assert code == 0, err
    assert f"record {far.id} is dated {far.at.isoformat()}, more than a day after now" in err
    assert soon.id not in err
    line = 1 + next(
        n
        for n, text in enumerate(journal.month_files()[-1].read_text().split("\n"))
        if text.startswith("at = ")
    )
    assert f"line {line}: record {far.id}" in err
    code, out, _ = run_on(clock, ["journal", "check", "--json"])
    report = json.loads(out)
    assert report["ok"] is True
    assert [p["severity"] for p in report["problems"] if far.id in p["message"]] == ["warning"]
