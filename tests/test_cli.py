"""The edges of the command line: closed pipes, help style, metavars, bad values, --plain.

A person pipes output into `head`, mistypes an option value, asks for help on a
sub-command or wants plain text: each gets the same, predictable behaviour from
every command.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iastm_coach.cli import COMMANDS, app, load_command
from iastm_coach.cli_style import short_help
from iastm_coach.errors import EXIT_OK, EXIT_USAGE
from tests.cli import registered_commands

runner = CliRunner()
PROGRAM = [sys.executable, "-m", "iastm_coach"]
BOX_CHARACTERS = set("─━│┃┌┐└┘├┤┬┴┼╭╮╯╰═║╔╗╚╝")


@pytest.fixture(scope="module")
def journal_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with a few sessions, so history and report have something to print."""
    home = tmp_path_factory.mktemp("piped") / "coach-home"
    for day in range(3):
        result = runner.invoke(
            app,
            ["log", "calf", "--soreness", "2", "--when", f"2026-03-0{day + 2} 18:30"],
            env={"IASTM_COACH_HOME": str(home)},
        )
        assert result.exit_code == 0, result.output
    return home


@pytest.fixture
def logged(journal_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IASTM_COACH_HOME", str(journal_home))


def run_into_closed_pipe(*args: str) -> subprocess.CompletedProcess[str]:
    """Run with standard output a pipe whose reader has already gone: every write fails."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [*PROGRAM, *args], stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60
        )
    finally:
        os.close(write_end)


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ["learn"],
        ["learn", "what-is-iastm"],
        ["history"],
        ["history", "--json"],
        ["report"],
        ["report", "--format", "csv"],
        ["today"],
        ["--help"],
        ["protocol", "show", "calf"],
    ],
)
@pytest.mark.usefixtures("logged")
def test_a_closed_pipe_ends_quietly(args: list[str]) -> None:
    """The reader went away: no 'internal error', no traceback, exit 0 (as the history
    listing and `git log | head` do)."""
    done = run_into_closed_pipe(*args)
    assert done.stderr == ""
    assert done.returncode == EXIT_OK


@pytest.mark.slow
@pytest.mark.parametrize("command", ["learn", "history", "report"])
@pytest.mark.usefixtures("logged")
def test_head_dash_1_reads_the_first_line_and_nothing_complains(command: str) -> None:
    """`iastm-coach COMMAND | head -1` under pipefail: the first line, and exit 0."""
    program = " ".join(PROGRAM)
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {program} {command} | head -1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stderr == ""
    assert done.returncode == EXIT_OK
    assert len(done.stdout.splitlines()) == 1 and done.stdout.strip()


def help_of(*words: str) -> str:
    result = runner.invoke(app, [*words, "--help"], prog_name="iastm-coach")
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", registered_commands())
def test_every_help_screen_has_one_plain_style(command: str) -> None:
    """Group and single-command help look alike: plain sections, no boxes, no completion
    options (those belong to the root command only)."""
    text = help_of(*command.split())
    assert not BOX_CHARACTERS & set(text), text
    assert text.startswith(f"Usage: iastm-coach {command}")
    assert "--install-completion" not in text and "--show-completion" not in text
    assert "Options:" in text


def test_group_help_looks_like_the_root_help() -> None:
    """`protocol --help` (a group) has the same sections as `iastm-coach --help`."""
    for text in (help_of(), help_of("protocol"), help_of("journal"), help_of("hold")):
        assert not BOX_CHARACTERS & set(text)
        assert "\nOptions:\n" in text and "\nCommands:\n" in text
    assert "--install-completion" in help_of()


def test_usage_names_arguments_in_capitals_without_braces() -> None:
    """`log REGION`, `history [REGION]`, `protocol show REGION|FILE`: never `{region}`."""
    assert "Usage: iastm-coach log [OPTIONS] REGION\n" in help_of("log")
    assert "Usage: iastm-coach history [OPTIONS] [REGION]\n" in help_of("history")
    assert "Usage: iastm-coach protocol show [OPTIONS] REGION|FILE\n" in help_of("protocol", "show")
    for command in registered_commands():
        usage = help_of(*command.split()).splitlines()[0]
        assert "{" not in usage and "<" not in usage, usage


def test_option_values_are_named_for_people() -> None:
    """`--last N`, `--since YYYY-MM-DD`, `--format md|html|csv|json`, not `<int>`."""
    history = help_of("history")
    assert "--last N " in history and "--since YYYY-MM-DD " in history
    assert "--format md|html|csv|json|fhir " in help_of("report")
    assert "<int>" not in history and "%Y" not in history
    assert "\n  REGION  " in history and "<str>" not in history  # no Python type names
    assert "<list[Path]>" not in help_of("protocol", "validate")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["session", "calf", "--side", "up"],
            "--side must be one of: left, right, both (got 'up')",
        ),
        (
            ["report", "--format", "pdf"],
            "--format must be one of: md, html, csv, json, fhir (got 'pdf')",
        ),
        (["history", "--last", "many"], "--last must be a whole number (got 'many')"),
        (["history", "--since", "2026-13-01"], "--since must be a date written YYYY-MM-DD"),
        (["log", "calf", "--soreness", "x"], "--soreness must be a whole number (got 'x')"),
        (["log", "calf", "--soreness", "2", "--minutes", "ten"], "--minutes must be a number"),
    ],
)
def test_bad_values_are_refused_in_our_words(args: list[str], message: str) -> None:
    """The allowed values named, no library wording, exit 2 with the usage line."""
    result = runner.invoke(app, args, prog_name="iastm-coach")
    assert result.exit_code == EXIT_USAGE
    assert f"Error: {message}" in result.output
    assert "Invalid value" not in result.output and "Value error" not in result.output
    assert "Input should be" not in result.output
    assert result.output.startswith(f"Usage: iastm-coach {args[0]}")


def test_a_missing_argument_keeps_its_clear_message() -> None:
    result = runner.invoke(app, ["protocol", "show"], prog_name="iastm-coach")
    assert result.exit_code == EXIT_USAGE
    assert "Missing argument 'REGION|FILE'" in result.output


@pytest.mark.parametrize("command", registered_commands())
def test_plain_is_accepted_by_every_command(command: str) -> None:
    """`iastm-coach COMMAND --plain` is never 'No such option'."""
    assert "--plain " in help_of(*command.split())


def test_short_help_stops_at_the_first_sentence_or_a_word() -> None:
    assert short_help("Lift a hold. Recorded in the journal.", 40) == "Lift a hold."
    assert short_help("one two three four", 12) == "one two..."
    assert short_help("short", 40) == "short"


def test_root_listing_is_the_summary_table() -> None:
    text = help_of()
    for name, spec in COMMANDS.items():
        assert f"  {name} " in text
        assert short_help(spec.summary, 40)[:10] in text
    assert load_command("hold").name == "hold"


@pytest.mark.parametrize(
    ("typed", "meant"), [("sesion", "session"), ("chekin", "checkin"), ("histroy", "history")]
)
def test_a_mistyped_command_gets_a_suggestion(typed: str, meant: str) -> None:
    """The commands load lazily (COMMANDS), so Typer alone has none to suggest from."""
    from tests.cli import run

    code, _, err = run(typed, "calf")
    assert code == EXIT_USAGE
    assert f"No such command '{typed}'. Did you mean '{meant}'?" in err


def test_a_region_typo_close_to_an_alias_suggests_the_region_listed() -> None:
    """'calve' is closest to the alias 'calves': the suggestion is 'calf', the id the
    'Known regions' list beside it names."""
    from tests.cli import run

    code, _, err = run("session", "calve", input="")
    assert code == EXIT_USAGE
    assert "Did you mean 'calf'?" in err and "'calves'" not in err


def test_help_names_every_serious_sign_and_every_follow_up() -> None:
    """`hold clear --help` names every sign whose hold needs --examined-by (as the refusal
    and the rules table do: weakness and broken skin too), and `checkin --help` does not
    say the follow-ups stop at 48 h (a 72 h and a day 5-7 one come when needed)."""
    words = " ".join(help_of("hold", "clear").split())
    for sign in ("numbness", "weakness", "swelling", "bruising", "broken skin", "severe soreness"):
        assert sign in words, sign
    checkin = " ".join(help_of("checkin").split())
    assert "72 h" in checkin and "day 5-7" in checkin
