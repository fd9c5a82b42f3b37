"""`iastm-coach journal path | check | repair`."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iastm_coach.commands.journal_cmd import journal_app
from iastm_coach.errors import DataFileError
from iastm_coach.journal import Journal
from iastm_coach.paths import journal_dir

T0 = datetime(2024, 11, 5, 7, 15, tzinfo=timezone(timedelta(hours=1)))


@pytest.fixture(name="runner")
def _runner() -> CliRunner:
    return CliRunner()


def fill(count: int) -> Journal:
    journal = Journal(journal_dir())
    for n in range(count):
        journal.append("session", {"region": "calf", "n": n}, at=T0 + timedelta(days=40 * n))
    return journal


def damage(journal: Journal) -> Path:
    path = journal.month_files()[-1]
    with path.open("a") as handle:
        handle.write('\n[[session]]\nid = "01J')
    return path


def test_path_prints_the_journal_directory(runner: CliRunner, isolated_home: Path) -> None:
    """`journal path` prints $IASTM_COACH_HOME/journal and creates nothing."""
    result = runner.invoke(journal_app, ["path"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout == f"{isolated_home / 'journal'}\n"
    assert not (isolated_home / "journal").exists()


def test_check_on_a_healthy_journal(runner: CliRunner) -> None:
    """`journal check` counts records and files."""
    fill(3)
    result = runner.invoke(journal_app, ["check"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout == "Journal OK: 3 records in 3 files.\n"


def test_check_on_an_empty_journal(runner: CliRunner) -> None:
    """No journal yet is a healthy journal."""
    result = runner.invoke(journal_app, ["check"], catch_exceptions=False)
    assert result.stdout == "Journal OK: 0 records in 0 files.\n"


def test_check_reports_damage_as_a_data_error(runner: CliRunner) -> None:
    """Damage raises DataFileError (exit 4) listing file and line of each problem."""
    path = damage(fill(2))
    result = runner.invoke(journal_app, ["check"])
    error = result.exception
    assert isinstance(error, DataFileError)
    assert error.exit_code == 4
    assert error.message == "The journal has 1 problem (2 readable records):"
    assert len(error.problems) == 1
    assert error.problems[0].startswith(f"{path}, line ")
    assert "journal repair" in (error.hint or "")


def test_repair_moves_damage_aside(runner: CliRunner) -> None:
    """`journal repair` lists the side file; afterwards check is clean again."""
    journal = fill(2)
    path = damage(journal)
    result = runner.invoke(journal_app, ["repair"], catch_exceptions=False)
    assert result.exit_code == 0
    (side,) = journal.directory.glob("*.damaged-*")
    assert side.name.startswith(path.name)
    assert f"Moved damaged text to {side}\n" in result.stdout
    assert "readable again" in result.stdout
    check = runner.invoke(journal_app, ["check"], catch_exceptions=False)
    assert check.exit_code == 0
    assert "Journal OK: 2 records in 2 files." in check.stdout
    assert "damaged text moved aside" in check.stderr


def test_repair_on_a_healthy_journal(runner: CliRunner) -> None:
    """Nothing to do is said plainly."""
    fill(1)
    result = runner.invoke(journal_app, ["repair"], catch_exceptions=False)
    assert result.stdout == "Nothing to repair: the journal is healthy.\n"


def test_repair_makes_loosened_files_private_again(runner: CliRunner) -> None:
    """Loose permissions are warned about by check and fixed by repair."""
    journal = fill(1)
    path = journal.month_files()[0]
    path.chmod(0o644)
    check = runner.invoke(journal_app, ["check"], catch_exceptions=False)
    assert check.exit_code == 0
    assert "be read by other users (mode 0644)" in check.stderr
    result = runner.invoke(journal_app, ["repair"], catch_exceptions=False)
    assert f"Made private again (owner only): {path}" in result.stdout
    assert path.stat().st_mode & 0o777 == 0o600


def test_journal_commands_through_the_program(isolated_home: Path) -> None:
    """The installed program exits 4 on damage and names the file (when `journal` is registered)."""
    from iastm_coach import cli

    names = {group.name for group in cli.app.registered_groups}
    if "journal" not in names:
        pytest.skip("`journal` is not registered in cli.py yet")
    path = damage(fill(1))
    env = dict(os.environ, IASTM_COACH_HOME=str(isolated_home))
    run = subprocess.run(
        [sys.executable, "-m", "iastm_coach", "journal", "check"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert run.returncode == 4
    assert str(path) in run.stderr
    repaired = subprocess.run(
        [sys.executable, "-m", "iastm_coach", "journal", "repair"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert repaired.returncode == 0
    assert "Moved damaged text to" in repaired.stdout
