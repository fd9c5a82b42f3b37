"""Long listings: styles as ANSI codes only on a colour terminal, the pager named by
$PAGER, and plain text everywhere else."""

from __future__ import annotations

import io

import pytest

from iastm_coach.views import output


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_styles_become_codes_only_in_colour() -> None:
    line = [("On hold: ", "bold red"), ("calf", ""), (" abc", "dim"), ("", "bold")]
    assert output.render(line, color=False) == "On hold: calf abc"
    assert output.render(line, color=True) == "\x1b[1;31mOn hold: \x1b[0mcalf\x1b[2m abc\x1b[0m"
    assert output.sgr("bold unknown") == "\x1b[1m" and output.sgr("unknown") == ""


@pytest.mark.parametrize(
    ("env", "terminal", "expected"),
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1"}, True, False),
        ({"TERM": "dumb"}, True, False),
        ({"FORCE_COLOR": "1"}, False, True),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, True, False),
    ],
)
def test_colour_follows_the_terminal_and_the_environment(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], terminal: bool, expected: bool
) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    stream = Terminal() if terminal else io.StringIO()
    assert output.wants_color(stream) is expected


def test_plain_flag_turns_colour_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from iastm_coach.views import ui

    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.delenv("NO_COLOR", raising=False)
    ui.set_plain(True)
    try:
        assert output.wants_color(Terminal()) is False
    finally:
        ui.set_plain(False)


@pytest.mark.parametrize(
    ("pager", "expected"),
    [
        (None, ["less"]),
        ("most -s", ["most", "-s"]),
        ("", None),
        ("cat", None),
        ('less "-R', None),
    ],
)
def test_pager_command(
    monkeypatch: pytest.MonkeyPatch, pager: str | None, expected: object
) -> None:
    if pager is None:
        monkeypatch.delenv("PAGER", raising=False)
    else:
        monkeypatch.setenv("PAGER", pager)
    assert output.pager_command() == expected
