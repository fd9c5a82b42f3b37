"""`iastm-coach session` through Typer's runner: each gate and its exit code.

The runner has no terminal, so the session runs in plain mode, answers come
from `input=` and time from a FakeClock (nothing sleeps).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from iastm_coach.journal.store import Journal
from tests.builders import FIRST_USE
from tests.cli import first_session, run_on
from tests.fakes import FakeClock


def test_plain_session_completes_and_is_journaled(isolated_home: Path) -> None:
    """A whole session from answers on standard input: exit 0, one complete record."""
    code, out, err = first_session(FakeClock())
    assert code == 0, err
    assert "Area 1/3, left calf" in out
    assert "Session done" in out
    (record,) = Journal(isolated_home / "journal").recent(kinds={"session"})
    assert record.data["complete"] is True and record.data["note"] == "all good"


def test_stop_answer_exits_3(isolated_home: Path) -> None:
    """A stop answer on the checklist: exit 3 with the advice on stderr."""
    code, _, err = run_on(
        FakeClock(), ["session", "calf", "--side", "left"], FIRST_USE + "y\n1\n"
    )  # yes to today's list, then its first item
    assert code == 3
    assert err.startswith("Stop:") and "broken bone" in err


def test_rest_period_exits_3_with_time_left(isolated_home: Path) -> None:
    """The same region the next day: refused before any question is asked."""
    clock = FakeClock()
    assert first_session(clock)[0] == 0
    clock.advance(24 * 3600)
    code, out, err = run_on(clock, ["session", "calf", "--side", "left"])
    assert code == 3
    assert "48 h of rest" in err and "22 h" in err  # 2 h routine tolerance
    assert "up to 2 h early" in err
    assert "Safety check" not in out


def test_hold_exits_3_and_clear_lifts_it(isolated_home: Path) -> None:
    """Severe soreness puts the region on hold; `hold clear` lifts it."""
    clock = FakeClock()
    code, out, _ = first_session(clock, "8\nn\n\n")
    assert code == 0 and "on hold" in out
    clock.advance(3 * 24 * 3600)
    code, _, err = run_on(clock, ["session", "calf", "--side", "left", "--override-rest"])
    assert code == 3 and "on hold" in err and "hold clear" in err


def test_unknown_region_exits_2() -> None:
    """A region typo: usage error with a suggestion."""
    code, _, err = run_on(FakeClock(), ["session", "hamstrung"])
    assert code == 2 and "Did you mean 'hamstring" in err


def test_invalid_protocol_file_exits_4(tmp_path: Path) -> None:
    """--protocol with a broken file: exit 4 and the problems, before any question."""
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "calf"\n')
    code, out, err = run_on(FakeClock(), ["session", "--protocol", str(bad)])
    assert code == 4 and "title: is required" in err
    assert "Safety check" not in out


def test_input_ending_early_is_a_clean_error() -> None:
    """A pipe that runs out of answers mid-checklist: a message, not a traceback."""
    code, _, err = run_on(FakeClock(), ["session", "calf", "--side", "left"], "y\ny\n")
    assert code == 2 and "input ended" in err


def test_bad_time_scale_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """IASTM_COACH_TIME_SCALE must be a sensible positive number."""
    monkeypatch.setenv("IASTM_COACH_TIME_SCALE", "fast")
    code, _, err = run_on(FakeClock(), ["session", "calf"])
    assert code == 2 and "IASTM_COACH_TIME_SCALE" in err


def test_data_dir_variable_pointing_at_a_journal_folder_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """IASTM_COACH_DATA_DIR set to an empty folder (people mistake it for the journal's
    folder): exit 4 with what the variable is for and which one they wanted, no traceback."""
    monkeypatch.setenv("IASTM_COACH_DATA_DIR", str(tmp_path / "my-data"))
    code, out, err = run_on(FakeClock(), ["session", "calf"])
    assert code == 4 and "no built-in protocols found" in err
    assert "IASTM_COACH_DATA_DIR points here" in err and "IASTM_COACH_HOME" in err
    assert "Safety check" not in out and "Traceback" not in err
