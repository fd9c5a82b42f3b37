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
from iastm_coach.journal.store import Journal
from iastm_coach.paths import journal_dir
from tests.builders import example
from tests.cli import FixedRunner

T0 = datetime(2024, 11, 5, 7, 15, tzinfo=timezone(timedelta(hours=1)))


@pytest.fixture(name="runner")
def _runner() -> CliRunner:
    return FixedRunner()


def fill(count: int) -> Journal:
    journal = Journal(journal_dir())
    for n in range(count):
        journal.append("session", example("session", note=f"n {n}"), at=T0 + timedelta(days=40 * n))
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
    assert result.stdout == (
        "Journal OK: 3 records in 3 files.\n"
        "Integrity verified: 3 records, each linked to the one before.\n"
    )


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
    """The installed program exits 4 on damage and names the file."""
    path = damage(fill(1))
    env = dict(os.environ, IASTM_COACH_HOME=str(isolated_home))

    def journal(command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "iastm_coach", "journal", command],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )

    run = journal("check")
    assert run.returncode == 4
    assert str(path) in run.stderr
    repaired = journal("repair")
    assert repaired.returncode == 0
    assert "Moved damaged text to" in repaired.stdout


# --- hand edits with values iastm-coach cannot use ------------------------------------------


def hand_edit(path: Path, old: str, new: str, *, count: int = 1) -> int:
    """Replace the first *count* lines equal to *old* by *new*; the 1-based line of the first."""
    lines = path.read_text().split("\n")
    found = [n for n, line in enumerate(lines) if line == old][:count]
    assert len(found) == count, (old, path.read_text())
    for n in found:
        lines[n] = new
    path.write_text("\n".join(lines))
    return found[0] + 1


def one_logged_session(runner: CliRunner) -> Path:
    """`iastm-coach log calf --soreness 4 --side left`: the month file it went into."""
    from iastm_coach.cli import app

    result = runner.invoke(app, ["log", "calf", "--soreness", "4", "--side", "left"])
    assert result.exit_code == 0, result.output
    (path,) = Journal(journal_dir()).month_files()
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("soreness = 4", 'soreness = "four"', "soreness: must be a whole number from -1 to 10 "),
        (
            "soreness = 4",
            "soreness = 15",
            "soreness: must be a whole number from -1 to 10 (got 15)",
        ),
        (
            'side = "left"',
            'side = "middle"',
            "side: must be one of left, right, none (got 'middle')",
        ),
    ],
)
def test_a_hand_edited_value_is_found_by_check_and_stops_history(
    runner: CliRunner, old: str, new: str, message: str
) -> None:
    """The tester's edits: check lists them (file, line, record) with exit 4, and history,
    history --json and report stop with exit 4 instead of showing the value."""
    from iastm_coach.cli import app

    path = one_logged_session(runner)
    (record,) = Journal(journal_dir()).recent(kinds={"session"})
    line = hand_edit(path, old, new)
    check = runner.invoke(app, ["journal", "check"])
    assert check.exit_code == 4
    assert f"{path}, line {line}: session {record.id}: {message}" in check.stderr
    assert "The journal has 1 problem (0 readable records):" in check.stderr
    for args in (["history"], ["history", "--json"], ["report", "--format", "json"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 4, (args, result.output)
        assert f"{path}, line {line}," in result.stderr
        assert message in result.stderr
        assert "journal check" in result.stderr
        assert "15" not in result.stdout and "four" not in result.stdout


def test_repair_moves_a_record_with_a_bad_value_aside(runner: CliRunner) -> None:
    """Like any damage: the record goes, unchanged, into the side file; history works again."""
    from iastm_coach.cli import app

    path = one_logged_session(runner)
    later = runner.invoke(app, ["log", "neck", "--soreness", "1"])
    assert later.exit_code == 0
    hand_edit(path, "soreness = 4", "soreness = 15")
    result = runner.invoke(app, ["journal", "repair"])
    assert result.exit_code == 0, result.output
    (side,) = path.parent.glob("*.damaged-*")
    assert "soreness = 15" in side.read_text()
    assert "soreness = 15" not in path.read_text()
    history = runner.invoke(app, ["history", "--json"])
    assert history.exit_code == 0, history.output
    assert runner.invoke(app, ["journal", "check"]).exit_code == 0


def test_check_lists_every_problem_in_every_file_at_once(runner: CliRunner) -> None:
    """Wrong values (two in one record), two syntax errors in one record, a missing field,
    in three files: all listed in one run, each with its file and line, in order (the
    missing field as a warning: it is read with its default)."""
    journal = fill(3)
    first, second, third = journal.month_files()
    ids = [r.id for r in Journal(journal.directory).scan()]
    bad_soreness = hand_edit(first, "soreness = 2", "soreness = 15")
    bad_side = hand_edit(first, 'side = "left"', 'side = "middle"')
    bad_planned = hand_edit(second, "planned_s = 240", "planned_s = = 240")
    bad_note = hand_edit(second, 'note = "n 1"', 'note = "n 1')
    header = hand_edit(third, "[[session]]", "[[session]]")
    hand_edit(third, "soreness = 2", "")
    result = runner.invoke(journal_app, ["check"])
    error = result.exception
    assert isinstance(error, DataFileError)
    assert error.exit_code == 4
    assert error.message == "The journal has 5 problems (1 readable record):"
    # The record without `soreness` was changed by hand: the hash chain says so (the
    # records with damage in them are said once, as damage).
    *damage, changed = error.problems
    assert changed.startswith(f"{third}, line {header}: integrity: record {ids[2]}, the newest")
    assert damage == [
        f"{first}, line {bad_side}: session {ids[0]}: "
        "side: must be one of left, right, none (got 'middle')",
        f"{first}, line {bad_soreness}: session {ids[0]}: "
        "soreness: must be a whole number from -1 to 10 (got 15)",
        f"{second}, line {bad_planned}: Invalid value",
        f"{second}, line {bad_note}: Illegal character '\\n'",
    ]
    # Read with its default (not answered) by every reader, so a warning, not damage.
    assert (
        f"Warning: {third}, line {header}: session {ids[2]}: soreness: is missing (it must be "
        "a whole number from -1 to 10); it is read without it"
    ) in result.stderr


def test_each_warning_is_printed_once_and_warnings_keep_exit_0(runner: CliRunner) -> None:
    """An edited `at`, a pasted copy of that record, an unknown field, a loose file: each said
    once, on stderr; they are breaks of the hash chain (exit 4), and once the person has
    accepted those the journal is OK (exit 0) with the same warnings."""
    from iastm_coach.cli import app

    journal = fill(2)
    path = journal.month_files()[0]
    (record, _) = Journal(journal.directory).scan()
    text = path.read_text()
    edited = text.replace(record.at.isoformat(), (record.at + timedelta(minutes=5)).isoformat())
    edited = edited.replace('note = "n 0"', 'note = "n 0"\ncolour = "red"')
    path.write_text(edited + "\n" + edited)
    path.chmod(0o644)
    result = runner.invoke(app, ["journal", "check"])
    assert result.exit_code == 4, result.output
    assert "integrity: record" in result.stderr
    accept = runner.invoke(app, ["journal", "repair", "--accept-breaks"])
    assert accept.exit_code == 0 and "Accepted" in accept.output, accept.output
    path.chmod(0o644)  # repair made it private again
    result = runner.invoke(app, ["journal", "check"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Journal OK: 3 records in 2 files.\nIntegrity broken: ")
    warnings_ = [line for line in result.stderr.splitlines() if "integrity: " not in line]
    assert len(warnings_) == len(set(warnings_)) == 4, warnings_
    assert all(line.startswith("Warning: ") for line in warnings_)
    assert sum("`at` was changed" in line for line in warnings_) == 1
    assert sum("unknown field `colour`" in line for line in warnings_) == 1
    assert sum(f"record id {record.id} also appears in" in line for line in warnings_) == 1
    assert sum("mode 0644" in line for line in warnings_) == 1


def test_a_missing_field_is_read_with_its_default_everywhere(runner: CliRunner) -> None:
    """A deleted `soreness` line: history reads the session (soreness not answered), check
    agrees (a warning) but says the record was changed (exit 4); repair has nothing to
    move, and once the person accepts the change, check exits 0."""
    from iastm_coach.cli import app

    path = one_logged_session(runner)
    hand_edit(path, "soreness = 4", "")
    assert runner.invoke(app, ["history"]).exit_code == 0
    check = runner.invoke(app, ["journal", "check"])
    assert check.exit_code == 4 and "was changed after it was written" in check.stderr
    assert runner.invoke(app, ["journal", "repair", "--accept-breaks"]).exit_code == 0
    check = runner.invoke(app, ["journal", "check"])
    assert check.exit_code == 0
    assert "soreness: is missing (it must be a whole number from -1 to 10)" in check.stderr
    assert "it is read without it" in check.stderr and "Journal OK: 1 record" in check.stdout
    repair = runner.invoke(app, ["journal", "repair"])
    assert repair.exit_code == 0
    assert not list(path.parent.glob("*.damaged-*"))


def a_held_calf(runner: CliRunner) -> Path:
    """`log calf --soreness 8`: a session and the hold it places; the month file."""
    from iastm_coach.cli import app

    result = runner.invoke(app, ["log", "calf", "--soreness", "8", "--side", "left"])
    assert result.exit_code == 0, result.output
    assert "On hold: calf" in runner.invoke(app, ["hold", "list"]).stdout
    (path,) = Journal(journal_dir()).month_files()
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('region = "calf"', "", "hold {id}: region: is missing"),
        ("[[hold]]", "[[hodl]]", "is of a kind iastm-coach does not know, [[hodl]]"),
        ("[[hold]]", "[[Hold]]", "is of a kind iastm-coach does not know, [[Hold]]"),
    ],
    ids=["hold-without-region", "misspelt-hold", "capitalised-hold"],
)
def test_a_one_line_edit_cannot_silently_lift_a_hold(
    runner: CliRunner, old: str, new: str, message: str
) -> None:
    """Soreness 8 puts the calf on hold. Deleting the hold's region line, or misspelling
    `[[hold]]`, is damage: every reader stops with exit 4 naming the file and line (no
    session starts, no "nothing on hold"), check lists it, and repair does not move it aside
    and call the journal healthy: it asks for a fix by hand."""
    from iastm_coach.cli import app

    path = a_held_calf(runner)
    (hold,) = Journal(journal_dir()).recent(kinds={"hold"})
    if old.startswith("region"):
        text = path.read_text()
        at = text.index("[[hold]]")
        line = text[:at].count("\n") + 1
        path.write_text(text[:at] + text[at:].replace(old + "\n", "", 1))
    else:
        line = hand_edit(path, old, new)
    for args in (["history"], ["hold", "list"], ["today"], ["session", "calf", "--side", "left"]):
        result = runner.invoke(app, args, input="")
        assert result.exit_code == 4, (args, result.output)
        assert f"{path}, line {line}" in result.stderr, (args, result.stderr)
    check = runner.invoke(app, ["journal", "check"])
    assert check.exit_code == 4
    assert f"{path}, line {line}: " in check.stderr
    assert message.format(id=hold.id) in check.stderr
    repair = runner.invoke(app, ["journal", "repair"])
    assert repair.exit_code == 4 and "cannot be repaired automatically" in repair.stderr
    assert not list(path.parent.glob("*.damaged-*"))
    assert runner.invoke(app, ["journal", "check"]).exit_code == 4


def test_check_json(runner: CliRunner, isolated_home: Path) -> None:
    """`journal check --json`: counts, ok and every problem; exit 4 with errors, as without
    --json, and the JSON on standard output still parses."""
    import json

    from iastm_coach.cli import app

    result = runner.invoke(app, ["journal", "check", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "check_version": 1,
        "ok": True,
        "records": 0,
        "files": 0,
        "problems": [],
        "integrity": {
            "status": "empty",
            "verified": False,
            "text": "not verified: the journal has no records yet",
        },
    }

    path = damage(fill(2))
    result = runner.invoke(app, ["journal", "check", "--json"])
    assert result.exit_code == 4
    data = json.loads(result.stdout)
    assert data["check_version"] == 1
    assert data["ok"] is False
    assert (data["records"], data["files"]) == (2, 2)
    errors = [p for p in data["problems"] if p["severity"] == "error"]
    assert len(errors) == 1
    assert list(errors[0]) == ["file", "line", "severity", "message"]
    assert errors[0]["file"] == str(path) and isinstance(errors[0]["line"], int)
    assert "1 problem" in result.stderr


def test_check_json_warnings_keep_ok(runner: CliRunner) -> None:
    """A loose permission is a warning: ok stays true and the exit code 0."""
    import json

    path = fill(1).month_files()[0]
    path.chmod(0o644)
    result = runner.invoke(journal_app, ["check", "--json"], catch_exceptions=False)
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["records"] == 1
    (problem,) = data["problems"]
    assert problem["severity"] == "warning" and problem["file"] == str(path)
    assert "mode 0644" in problem["message"]
