"""One AppContext: every command takes the clock, the data directory and standard input
from it, and none reaches for the real ones itself.

The story: a person's week is replayed at a moment far from today (July 2031, UTC+2);
every command that writes or reads the time answers for that moment, in the data
directory the context names, even though the environment points somewhere else.
"""

from __future__ import annotations

import io
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from iastm_coach.cli import app
from iastm_coach.clock import SystemClock
from iastm_coach.context import AppContext, app_context
from iastm_coach.journal.store import Journal
from tests.builders import REPO
from tests.cli import context_at, runner
from tests.fakes import FakeClock

COMMANDS = REPO / "iastm_coach" / "commands"
THEN = datetime(2031, 7, 15, 9, 0, tzinfo=timezone(timedelta(hours=2)))  # a Tuesday

# What a command module must not do: take the time, the data directory or standard
# input from the process instead of from its AppContext.
FORBIDDEN = {
    "SystemClock": "constructs the real clock",
    "datetime.now(": "reads the real clock",
    "date.today(": "reads the real clock",
    "time.time(": "reads the real clock",
    "IASTM_COACH_HOME": "reads the data directory from the environment",
    "journal_dir()": "finds the journal without the context",
    "installed_protocols_dir()": "finds installed protocols without the context",
    "user_dir()": "finds the data directory without the context",
    "sys.stdin": "reads standard input without the context",
    "get_console()": "takes a console without the context",
    "get_plain_console()": "takes a console without the context",
    "get_error_console()": "takes a console without the context",
    "say_literal(": "prints without the context's console",
}


def test_no_command_module_reaches_for_the_real_world() -> None:
    """A grep over commands/: none of them builds its own clock, data directory, input or
    console (the context does)."""
    found = []
    for path in sorted(COMMANDS.glob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for needle, why in FORBIDDEN.items():
                if needle in line:
                    found.append(f"{path.name}:{number}: {why}: {line.strip()}")
    assert found == []


def test_the_grep_sees_a_real_clock(tmp_path: Path) -> None:
    """The check above would catch the usual spellings."""
    line = "    now = SystemClock().now()  # and dt.date.today() and datetime.now()"
    assert [needle for needle in FORBIDDEN if needle in line] == [
        "SystemClock",
        "datetime.now(",
        "date.today(",
    ]


def test_tests_cannot_read_the_real_clock() -> None:
    """conftest.py makes the real clock fail, so a command that reads it fails its test."""
    with pytest.raises(AssertionError, match="real clock"):
        SystemClock().now()


def test_a_command_that_read_the_real_clock_would_fail() -> None:
    """Run without an injected clock, a command that needs the time cannot pass."""
    result = runner.invoke(app, ["today"], obj=AppContext())
    assert result.exit_code == 1 and "real clock" in result.stderr


def test_the_context_is_the_one_given_or_a_real_one(tmp_path: Path) -> None:
    given = AppContext(clock=FakeClock(THEN), home=tmp_path)
    assert app_context(given) is given
    made = app_context(None)
    assert isinstance(made.clock, SystemClock)
    assert made.journal_dir == made.home / "journal"


# --- every command answers for the injected moment and data directory ------------------------


@pytest.fixture(name="elsewhere")
def _elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The environment points at one directory; the context at another."""
    monkeypatch.setenv("IASTM_COACH_HOME", str(tmp_path / "from-the-environment"))
    return tmp_path / "from-the-context"


def at(moment: datetime, home: Path, *args: str, stdin: str | None = None) -> tuple[int, str]:
    context = AppContext(
        clock=FakeClock(moment), home=home, stdin=io.StringIO(stdin) if stdin else None
    )
    result = runner.invoke(app, list(args), obj=context)
    return result.exit_code, result.stdout + result.stderr


def test_a_week_at_an_injected_moment_in_an_injected_directory(elsewhere: Path) -> None:
    journal = Journal(elsewhere / "journal")

    code, out = at(THEN, elsewhere, "log", "neck", "--soreness", "2", "--minutes", "5")
    assert code == 0, out
    (session,) = journal.recent(kinds={"session"})
    assert session.at == THEN and session.data["ended"] == THEN
    assert not (elsewhere.parent / "from-the-environment" / "journal").exists()

    # A day later history reminds of the 24 h follow-up: it reads the injected time.
    next_day = THEN + timedelta(hours=25)
    code, out = at(next_day, elsewhere, "history")
    assert code == 0 and "1 check-in due (neck 24 h)" in " ".join(out.split())
    code, out = at(next_day, elsewhere, "checkin", stdin="3\ny\nn\nn\nn\n\n")
    assert code == 0 and "Recorded the 24 h check-in for neck" in out
    (checkin,) = journal.recent(kinds={"checkin"})
    assert checkin.at == next_day
    assert [hold.at for hold in journal.recent(kinds={"hold"})] == [next_day]  # bruising

    code, out = at(next_day, elsewhere, "today", "--json")
    plan = json.loads(out)
    assert datetime.fromisoformat(plan["now"]) == next_day
    assert [item["region"] for item in plan["on_hold"]] == ["neck"]

    later = next_day + timedelta(days=3)
    lift = ("hold", "clear", "neck", "--reason", "physio: fine", "--examined-by", "Dr Ng")
    assert at(later, elsewhere, *lift)[0] == 0
    (lifted,) = journal.recent(kinds={"hold_clear"})
    assert lifted.at == later and lifted.data["examined_by"] == "Dr Ng"

    code, out = at(later, elsewhere, "measure", "calf", "--value", "9.5", "--side", "left")
    assert code == 0, out
    assert journal.recent(kinds={"measure"})[0].at == later

    code, out = at(later, elsewhere, "trend", "--json")
    trend = json.loads(out)
    assert datetime.fromisoformat(trend["now"]) == later and trend["this_week"] == "2031-07-14"

    code, out = at(later, elsewhere, "report", "--format", "json")
    assert datetime.fromisoformat(json.loads(out)["generated"]) == later

    code, out = at(later, elsewhere, "journal", "path")
    assert out.strip() == str(elsewhere / "journal")


def test_protocol_files_are_stamped_with_the_injected_day(elsewhere: Path) -> None:
    """`protocol new` dates the file issued today; `install --replace` names the backup
    after the injected moment."""
    written = elsewhere.parent / "calf-anna.toml"
    code, out = at(THEN, elsewhere, "protocol", "new", "calf", "--out", str(written))
    assert code == 0, out
    assert re.search(r"^issued_on = 2031-07-15$", written.read_text(), flags=re.MULTILINE)
    assert at(THEN, elsewhere, "protocol", "install", str(written))[0] == 0
    written.write_text(written.read_text() + "# a second version\n")
    code, out = at(THEN, elsewhere, "protocol", "install", str(written), "--replace")
    assert code == 0, out
    backups = list((elsewhere / "protocols").glob("calf.toml.replaced-*"))
    assert [path.name for path in backups] == ["calf.toml.replaced-20310715T090000"]
    assert not (elsewhere.parent / "from-the-environment").exists()
    # Every command reads the protocols installed in the context's data directory.
    code, out = at(THEN, elsewhere, "protocol", "show", "calf", "--json")
    assert json.loads(out)["source"] == "installed"
    assert at(THEN, elsewhere, "log", "calf", "--soreness", "1")[0] == 0
    (logged, _) = Journal(elsewhere / "journal").recent(kinds={"session"})
    assert logged.data["protocol_source"] == "installed"


def test_repair_names_its_side_file_after_the_injected_moment(elsewhere: Path) -> None:
    at(THEN, elsewhere, "log", "neck", "--soreness", "2")
    month = elsewhere / "journal" / "2031-07.toml"
    month.write_text(month.read_text() + "\n[[session]\nthis is not toml\n")
    code, out = at(THEN + timedelta(hours=1), elsewhere, "journal", "repair")
    assert code == 0, out
    assert "2031-07.toml.damaged-20310715T080000Z" in out  # 10:00 at UTC+2


def test_every_cli_test_helper_runs_at_a_fixed_moment() -> None:
    """tests/cli.py gives each run a FakeClock, in the test's own data directory."""
    context = context_at()
    assert isinstance(context.clock, FakeClock)
    assert context.home.name == "coach-home"
