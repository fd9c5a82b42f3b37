"""Long listings: styles as ANSI codes only on a colour terminal, the pager named by
$PAGER, and plain text everywhere else."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iastm_coach.views import output
from iastm_coach.views.runs import Line


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_styles_become_codes_only_in_colour() -> None:
    line = [("On hold: ", "bold red"), ("calf", ""), (" abc", "dim"), ("", "bold")]
    assert output.render(line, color=False) == "On hold: calf abc"
    assert output.render(line, color=True) == "\x1b[1;31mOn hold: \x1b[0mcalf\x1b[2m abc\x1b[0m"
    assert output.sgr("bold unknown") == "\x1b[1m" and output.sgr("unknown") == ""


def render_as_before(line: Line, *, color: bool) -> str:
    """One line as version 0.1 rendered it: a code and a reset around each styled run."""
    if not color:
        return "".join(text for text, _style in line)
    parts = []
    for text, style in line:
        codes = ";".join(output.SGR[word] for word in style.split() if word in output.SGR)
        start = f"\x1b[{codes}m" if codes and text else ""
        parts.append(f"{start}{text}{output.RESET}" if start else text)
    return "".join(parts)


RUNS = st.tuples(
    st.sampled_from(["", "a", "calf", "漢字", " ", "\x1b"]),
    st.sampled_from(["", "dim", "bold red", "unknown", "bold  unknown italic", " "]),
)


@given(lines=st.lists(st.lists(RUNS, max_size=5), max_size=5), color=st.booleans())
def test_a_batch_of_lines_is_rendered_as_each_line_was(lines: list[Line], color: bool) -> None:
    """A whole batch joined at once (styles worked out once each) is the lines rendered
    one by one, each ended by a newline."""
    expected = "".join(render_as_before(line, color=color) + "\n" for line in lines)
    assert output.render_lines(lines, color=color) == expected
    assert all(
        output.render(line, color=color) == render_as_before(line, color=color) for line in lines
    )


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
