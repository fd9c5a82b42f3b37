"""The history table fitted to the terminal: words kept whole, cuts marked, nothing lost."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console

from iastm_coach.history.queries import SessionRow, session_rows
from iastm_coach.safety.holds import fold_holds
from iastm_coach.safety.redflags import RedFlag
from iastm_coach.views.history import history_table
from iastm_coach.views.history_table import ELLIPSIS, plain, wrap, wrap_spans
from tests.builders import T0, add_checkin, add_session, make_journal, place_hold

NOTE = "Felt tight [bold red]x[/] <b>ok</b>"
LONG_WORD = "https://example.org/a/very/long/address/that/fits/in/no/column/at/all"


def rows_of(tmp_path: Path, *, note: str = NOTE) -> tuple[list[SessionRow], dict[str, object]]:
    """The tester's journal: a logged two-sided calf sitting with a note, 24 h check-ins
    with a note, soreness 7 and bruising: the calf on hold."""
    journal = make_journal(tmp_path)
    sides = [
        add_session(journal, side=side, group="g1", source="log", note=note, minutes=3)
        for side in ("left", "right")
    ]
    for session in sides:
        checkin = add_checkin(journal, session, hours=24, soreness=7, note="stiff in the morning")
        for flag in (RedFlag("soreness-7", "soreness 7/10"), RedFlag("bruising", "bruising")):
            place_hold(
                journal,
                region="calf",
                flag=flag,
                source_id=checkin.id,
                at=T0 + timedelta(days=1),
            )
    rows = session_rows(journal, last=None)
    return rows, dict(fold_holds(journal.recent()).active)


def render(rows: list[SessionRow], holds: dict[str, object], width: int) -> str:
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    console.print(history_table(rows, holds=holds, width=width))  # type: ignore[arg-type]
    return console.export_text()


WHOLE = [
    # every word of every cell, which must never be broken across lines
    "2026-03-02",
    "calf",
    "(left)",
    "(right)",
    "built-in",
    "abababababab",
    "3.0/6.0",
    "complete,",
    "logged",
    "2 / 7 / –",
    "soreness-7,",
    "bruising,",
    "(on\u00a0hold)",
    "Felt",
    "tight",
    "[bold",
    "red]x[/]",
    "<b>ok</b>",
    "24 h:",
    "stiff",
    "morning",
]


@pytest.mark.parametrize("width", [200, 160, 130, 120, 100, 80, 72, 60, 50, 40])
def test_history_fits_and_keeps_words_whole(tmp_path: Path, width: int) -> None:
    """At any width: no line wider than the terminal, no word broken or lost (the note
    shown literally, never as markup), no cell cut without an ellipsis."""
    rows, holds = rows_of(tmp_path)
    out = render(rows, holds, width)
    assert all(cell_len(line) <= width for line in out.splitlines()), out
    for word in WHOLE:
        assert word in out, (word, out)
    assert out.count("<b>ok</b>") == 2 and ELLIPSIS not in out
    flat = " ".join(out.split())
    assert "protoc ol" not in flat and "comple te" not in flat and "3.0/3. 0" not in flat


def test_layout_follows_the_width(tmp_path: Path) -> None:
    """One column per field from 130 columns; stacked cells at 80; a block per session
    where even a stacked table does not fit."""
    rows, holds = rows_of(tmp_path)
    assert "Exercises" in render(rows, holds, 130)
    stacked = render(rows, holds, 80)
    assert "Flags / note" in stacked and "Exercises" not in stacked
    cards = render(rows, holds, 50)
    assert "Flags / note" not in cards
    assert "soreness 2 / 7 / –" in cards and "3.0/6.0 min · complete, logged" in cards


@pytest.mark.parametrize(("width", "header"), [(130, "Note"), (80, "Flags / note"), (40, "")])
def test_long_word_cut_with_ellipsis_and_continued(tmp_path: Path, width: int, header: str) -> None:
    """A word longer than the notes column is cut with '…' and continues on the next
    line: every character is still there."""
    rows, holds = rows_of(tmp_path, note=LONG_WORD)
    out = render(rows[:1], holds, width)
    assert all(cell_len(line) <= width for line in out.splitlines())
    lines = out.splitlines()
    if header:  # the notes column: from its header's position to the end of each line
        head = next(line for line in lines if header in line)
        column = [line[head.index(header) :].strip() for line in lines[lines.index(head) + 2 :]]
    else:
        column = [line.strip() for line in lines]
    pieces = [line for line in column if line.endswith(ELLIPSIS)]
    assert len(pieces) >= 1
    follows = column[column.index(pieces[-1]) + 1]
    joined = "".join(piece.removesuffix(ELLIPSIS) for piece in pieces) + follows.split()[0]
    assert joined == LONG_WORD


def lines_of(cell: tuple[tuple[str, str], ...], width: int) -> list[str]:
    return [plain(tuple(line)) for line in wrap(cell, width)]


def test_wrap_breaks_between_words() -> None:
    """Words stay whole, existing line breaks are kept, styles survive, markup is text."""
    cell = (("24 h: stiff in the morning\n[b]x[/b] ok", "red"),)
    wrapped = wrap(cell, 12)
    assert [plain(tuple(line)) for line in wrapped] == [
        "24 h: stiff",
        "in the",
        "morning",
        "[b]x[/b] ok",
    ]
    assert all(style == "red" for line in wrapped for _text, style in line)
    assert lines_of((("abcdefghij", ""),), 4) == ["abc…", "def…", "ghij"]


def test_wrap_keeps_each_run_its_style() -> None:
    """A cell of several runs keeps each run's style across the breaks, and only the
    ellipsis of a cut word is dimmed."""
    cell = (("calf ", ""), ("built-in", "dim"), (" abcdefghijkl", "bold red"))
    wrapped = wrap(cell, 6)
    assert [plain(tuple(line)) for line in wrapped] == [
        "calf",
        "built…",
        "-in",
        "abcde…",
        "fghij…",
        "kl",
    ]
    styles = {text: style for line in wrapped for text, style in line}
    assert styles["calf"] == "" and styles["built"] == "dim" and styles["-in"] == "dim"
    assert styles["…"] == "dim"
    assert "".join(text for line in wrapped for text, style in line if style == "bold red") == (
        "abcdefghijkl"
    )


@settings(max_examples=200, deadline=None)
@given(
    line=st.text(alphabet=st.sampled_from(list("ab cdé漢 \u00a0…")), max_size=40),
    width=st.integers(min_value=2, max_value=20),
)
def test_wrap_spans_lose_nothing(line: str, width: int) -> None:
    """Every span fits the width (with its ellipsis), the spans keep every character
    but the spaces at the breaks, in order, and only cut words carry an ellipsis."""
    spans = wrap_spans(line, width)
    for start, end, cut in spans:
        assert cell_len(line[start:end]) + cut <= width or end - start == 1
    kept = "".join(line[start:end] for start, end, _cut in spans)
    assert kept.replace(" ", "") == line.replace(" ", "")
