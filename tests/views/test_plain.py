"""`--plain`, `COMMAND --plain` and `NO_COLOR` are one mode, on every command.

Someone using a screen reader, or piping into grep, asks for plain output once, in
whichever of the three ways they know, and gets the same text: no colour, no box
characters (a panel becomes a title line, a table a row of dashes under its header).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iastm_coach.cli import app
from iastm_coach.context import AppContext
from iastm_coach.views import ui
from tests.builders import T0, add_checkin, add_hold, add_session, make_journal
from tests.fakes import FakeClock

runner = CliRunner()
BOX_CHARACTERS = set("─━│┃┌┐└┘├┤┬┴┼╭╮╯╰═║┏┓┗┛┣┫┳┻╋┡┩╇")
NOW = "2026-03-04T09:00:00+00:00"

SCREENS = [
    ["today"],
    ["history"],
    ["trend"],
    ["hold", "list"],
    ["protocol", "list"],
    ["protocol", "show", "calf"],
    ["learn"],
    ["learn", "what-is-iastm"],
    ["journal", "check"],
    ["report"],
    ["schedule"],
    ["protocol", "keys"],
]


@pytest.fixture
def journal_with_a_hold(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IASTM_COACH_NOW", NOW)
    journal = make_journal(isolated_home)
    left = add_session(journal, side="left", started=T0, note="tight after the run")
    add_checkin(journal, left, hours=24, soreness=3)
    add_session(journal, region="shin", side="right", started=T0)
    add_hold(journal, region="shin", at=T0 + timedelta(hours=2))


def output(args: list[str], env: dict[str, str] | None = None) -> str:
    ui.set_plain(False)  # consoles are cached per process: each run starts afresh
    # A clock that stands still: the three runs must not straddle a minute.
    context = AppContext(clock=FakeClock(datetime.fromisoformat(NOW)))
    result = runner.invoke(app, args, env=env, prog_name="iastm-coach", obj=context)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.usefixtures("journal_with_a_hold")
@pytest.mark.parametrize("args", SCREENS, ids=" ".join)
def test_three_ways_to_ask_give_the_same_plain_text(args: list[str]) -> None:
    before = output(["--plain", *args])
    after = output([*args, "--plain"])
    no_color = output(args, env={"NO_COLOR": "1"})
    assert before == after == no_color
    assert not BOX_CHARACTERS & set(before), before
    assert "\x1b" not in before


@pytest.mark.usefixtures("journal_with_a_hold")
def test_plain_panels_keep_their_titles() -> None:
    """The protocol's 'Before you start' panel becomes a title line above its text."""
    text = output(["protocol", "show", "calf", "--plain"])
    assert "\nBefore you start\n" in text
    fancy = output(["protocol", "show", "calf"])
    assert BOX_CHARACTERS & set(fancy)  # the colour terminal keeps its panels


def test_plain_red_flag_notice_is_a_title_and_lines() -> None:
    """The hold notice (session, checkin, log) in plain mode: no box, every reason."""
    from rich.console import Console

    from iastm_coach.safety.redflags import RedFlag
    from iastm_coach.views.redflags import red_flag_panel

    console = Console(width=80, record=True, color_system=None)
    console.print(red_flag_panel([RedFlag("numbness", "numbness after")], "calf", plain=True))
    text = console.export_text()
    assert text.startswith("Stop: the calf is now on hold\n- numbness after\n")
    assert not BOX_CHARACTERS & set(text)
