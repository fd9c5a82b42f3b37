"""The issue's "done when": editing an installed or signed file, overriding rest, logging
during a hold, or deleting a journal record each shows up in the report (the last as the
journal's integrity, from its hash chain)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from iastm_coach.cli import app
from iastm_coach.journal.store import Journal
from tests.builders import MILD, add_hold, make_deps, session
from tests.cli import NOW, FixedRunner
from tests.fakes import FakeClock
from tests.scripted_talk import ScriptedTalk

runner = FixedRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout + result.stderr


def ago(hours: float) -> str:
    return (NOW.astimezone() - timedelta(hours=hours)).isoformat(timespec="minutes")


def deviations(*kinds: str) -> list[dict[str, object]]:
    code, out = run("report", "--format", "json")
    assert code == 0, out
    return [d for d in json.loads(out)["deviations"] if not kinds or d["kind"] in kinds]


def box() -> str:
    code, out = run("report")
    assert code == 0, out
    return out.split("## Deviations", 1)[1].split("## Holds now in force", 1)[0]


def installed_calf(folder: Path) -> Path:
    draft = folder / "calf-ana.toml"
    code, out = run("protocol", "new", "calf", "--out", str(draft), "--patient", "Ana")
    assert code == 0, out
    assert run("protocol", "install", str(draft))[0] == 0
    return draft


def test_editing_an_installed_file(isolated_home: Path, tmp_path: Path) -> None:
    installed_calf(tmp_path)
    run("log", "calf", "--soreness", "2", "--when", ago(24))
    assert "Protocol file changed" not in box()
    path = isolated_home / "protocols" / "calf.toml"
    path.write_text(path.read_text().replace("duration_s = 45", "duration_s = 90"))
    text = box()
    assert (
        "Protocol file changed** (1)" in text
        and "calf.toml: changed since it was installed" in (text)
    )


def test_editing_a_signed_file(isolated_home: Path, tmp_path: Path) -> None:
    assert run("protocol", "keygen", "--name", "P. Hysio PT")[0] == 0
    draft = tmp_path / "calf-ana.toml"
    assert run("protocol", "new", "calf", "--out", str(draft), "--patient", "Ana")[0] == 0
    assert run("protocol", "sign", str(draft))[0] == 0
    assert run("protocol", "install", str(draft))[0] == 0
    path = isolated_home / "protocols" / "calf.toml"
    path.write_text(path.read_text().replace("duration_s = 45", "duration_s = 90", 1))
    (found,) = deviations("file-changed")
    assert found["detail"] == "modified since it was signed"


def test_overriding_rest(isolated_home: Path) -> None:
    clock = FakeClock()
    answers = [*MILD, ("treat this region sooner", True), *MILD]
    deps = make_deps(isolated_home, ScriptedTalk(answers), clock)
    session(deps, side="left")
    clock.advance(30 * 3600)
    session(deps, side="left", override_rest=True)
    (found,) = deviations()
    assert found["kind"] == "override"
    assert str(found["detail"]).startswith("rest: 30 h after the last calf session")
    assert "Safety limit overridden** (1)" in box()


def test_logging_during_a_hold(isolated_home: Path) -> None:
    """Refused (exit 3, nothing written) unless --override-hold; then in the box."""
    journal = Journal(isolated_home / "journal")
    add_hold(journal, at=NOW.astimezone() - timedelta(hours=10), reason="sore 8/10")
    before = len(journal.recent(kinds={"session"}))
    run("log", "calf", "--soreness", "2", "--when", ago(12))  # before the hold: recorded
    before = len(journal.recent(kinds={"session"}))
    code, out = run("log", "calf", "--soreness", "2", "--when", ago(2))
    assert code == 3 and "on hold" in out and "--override-hold" in out
    assert len(journal.recent(kinds={"session"})) == before
    code, out = run("log", "calf", "--soreness", "2", "--when", ago(2), "--override-hold")
    assert code == 0, out
    (found,) = deviations("during-hold")
    assert "recorded with --override-hold" in str(found["detail"])
    assert "Session during a hold** (1)" in box()


def test_deleting_a_journal_record_shows_in_the_report_and_in_check(isolated_home: Path) -> None:
    """A logged session places a hold; the report says the journal's integrity was
    verified. The hold (and the session after it) are deleted by hand: the report's
    Deviations box says the integrity is broken and where, and `journal check` exits 4."""
    assert run("log", "calf", "--soreness", "8", "--when", ago(60))[0] == 0
    assert "Journal integrity: verified: 4 records" in box()  # a hold per side, both sides
    (month,) = (isolated_home / "journal").glob("*.toml")
    text = month.read_text()
    month.write_text(text[: text.index("[[hold]]")])
    code, out = run("report", "--format", "json")
    assert code == 0 and json.loads(out)["journal_integrity"]["verified"] is False
    assert f"Journal integrity: broken: {month.name}: the month file that held the newest" in box()
    code, out = run("journal", "check")
    assert code == 4 and "holds no chained record any more" in out


def test_report_schema_option() -> None:
    code, out = run("report", "--schema")
    assert code == 0 and json.loads(out)["title"] == "iastm-coach report"


def test_history_marks_the_rows_and_explains_the_marker(isolated_home: Path) -> None:
    """A session logged 20 h after the last one (rest 48 h): its row says so, a footer
    explains the '!', and --json keeps `flags` for red-flag rules only."""
    assert run("log", "calf", "--soreness", "2", "--when", ago(30))[0] == 0
    assert run("log", "calf", "--soreness", "2", "--when", ago(10))[0] == 0
    code, out = run("history")
    assert code == 0, out
    assert out.count("! session inside the rest period") == 2  # both sides of the sitting
    flat = " ".join(out.split())
    assert "! 2 of the 4 sessions shown deviate from the plan (session inside the rest " in flat
    assert "`iastm-coach report` lists every deviation." in flat
    code, out = run("history", "--json")
    assert all(not s["flags"] for s in json.loads(out)["sessions"])


def test_history_without_deviations_has_no_footer(isolated_home: Path) -> None:
    assert run("log", "calf", "--soreness", "2", "--when", ago(30))[0] == 0
    code, out = run("history")
    assert code == 0 and "deviate" not in out and "!" not in out


def test_a_clock_set_by_the_environment_is_recorded_and_shown(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record written under IASTM_COACH_NOW says so (`clock_set`); the report lists it."""
    from iastm_coach.clock import _pretend_start

    monkeypatch.setenv("IASTM_COACH_NOW", "2026-03-02T18:30:00+00:00")
    _pretend_start.cache_clear()
    try:
        assert run("log", "calf", "--soreness", "2")[0] == 0
    finally:
        monkeypatch.delenv("IASTM_COACH_NOW")
        _pretend_start.cache_clear()
    (record,) = Journal(isolated_home / "journal").recent(kinds={"session"}, limit=1)
    assert record.data["clock_set"] is True
    assert [d["kind"] for d in deviations("clock-set")] == ["clock-set"]
    assert run("log", "calf", "--soreness", "2", "--when", ago(1))[0] == 0
    (newest,) = Journal(isolated_home / "journal").recent(kinds={"session"}, limit=1)
    assert "clock_set" not in newest.data
