"""The history table's fast paths give exactly what the general paths give.

`history --all` renders every session of a long journal, so the common cases (ASCII
text, one line that fits, a note of one run, a printable note, a cell seen before)
take shortcuts. Each property below sets a shortcut against the general path, or
against the formulation it replaced, on text people really write: wide East Asian
characters, combining marks, emoji, control characters, tabs, no-break spaces,
words longer than any column, and nothing at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from iastm_coach.history.queries import CheckinNote, ExerciseSets, SessionRow
from iastm_coach.journal.format import Record
from iastm_coach.safe_text import strip_control_characters
from iastm_coach.views import history_table as table
from iastm_coach.views.runs import Cell, Line

# Pieces of text that each exercise one rule of measuring or wrapping.
AWKWARD = [
    "漢字",  # wide: two cells each
    "ｆｕｌｌ",  # fullwidth forms: two cells each
    "e\u0301",  # a combining acute accent: no cell of its own
    "🦵🏽",  # an emoji and its skin tone modifier
    "👨\u200d👩\u200d👧",  # zero-width joiners (control characters: stripped)
    "\x1b[31m",  # an escape sequence (stripped)
    "\u202e",  # right-to-left override (stripped)
    "\x07",  # bell (stripped)
    "\t",  # a tab: a break, and stripped from notes
    "\u00a0",  # a no-break space: part of a word
    "…",
    "·",
    "–",
    "a" * 45,  # longer than any column
    "https://example.org/" + "x" * 30,
]
WORDS = st.sampled_from(["ok", "calf", "tight", "a", "phone rang", "24 h:", "", *AWKWARD])
TEXT = st.lists(WORDS, max_size=12).flatmap(
    lambda words: st.sampled_from([" ", "  ", "\n", " \n "]).map(lambda space: space.join(words))
) | st.lists(
    st.characters(codec="utf-8") | st.sampled_from(["\n", " ", "\t", *AWKWARD]), max_size=30
).map("".join)
ASCII_LINE = st.lists(
    st.sampled_from([*"ab c.-", "   ", "abcdefghijklmnopqrstuvwxyz"]), max_size=40
).map("".join)
LINE = TEXT.map(lambda text: text.replace("\n", " "))
WIDTHS = st.integers(min_value=0, max_value=40)
STYLES = st.sampled_from(["", "dim", "bold red"])
CELLS = st.lists(st.tuples(TEXT, STYLES), min_size=1, max_size=4).map(tuple)


@settings(max_examples=500)
@given(line=ASCII_LINE, width=WIDTHS)
def test_ascii_lines_break_where_words_do(line: str, width: int) -> None:
    """A line at a time (ASCII, spaces only) breaks where the word-by-word path does,
    long words and runs of spaces included."""
    assert table.ascii_spans(line, width) == table.word_spans(line, width)


@settings(max_examples=300)
@given(line=LINE, width=WIDTHS)
def test_any_line_breaks_where_words_do(line: str, width: int) -> None:
    """Whichever path `wrap_spans` takes, the spans are the word-by-word ones."""
    assert table.wrap_spans(line, width) == table.word_spans(line, width)


@given(text=LINE)
def test_widths_kept_or_counted_agree(text: str) -> None:
    """ASCII by its length, short texts from the cache, long ones counted: one width."""
    expected = sum(map(table.char_width, text))
    assert table.cell_width(text) == expected
    assert table.cell_width(text) == expected  # the second time from the cache
    assert table.cell_width(text * 3) == 3 * expected


@given(text=TEXT)
def test_printable_text_needs_no_stripping(text: str) -> None:
    """`safe` skips the search only where it would find nothing."""
    assert table.safe(text) == strip_control_characters(text)


def test_every_character_stripped_is_unprintable() -> None:
    """Why `safe` may skip printable text: no character the control-character filter
    removes, anywhere in Unicode, counts as printable."""
    every = "".join(map(chr, range(0xD800))) + "".join(map(chr, range(0xE000, 0x110000)))
    stripped = set(every).difference(strip_control_characters(every))
    assert "\x1b" in stripped and "\u202e" in stripped
    assert not any(char.isprintable() for char in stripped)


@settings(max_examples=300)
@given(text=TEXT, style=STYLES, width=WIDTHS)
def test_a_note_of_one_run_wraps_as_the_runs_do(text: str, style: str, width: int) -> None:
    """The one-run path (a note) gives the lines and widths the run-walking path gives."""
    text = table.safe(text)
    assert table.wrap_run(text, style, width) == table.wrap_runs(((text, style),), text, width)


@settings(max_examples=300)
@given(cell=CELLS, width=WIDTHS)
def test_each_wrapped_line_knows_its_width(cell: Cell, width: int) -> None:
    """The width given with each line (from its span) is the width of its runs."""
    for line, size in table.sized_wrap(cell, width):
        assert size == table.line_width(line)


@settings(max_examples=300)
@given(cell=CELLS, width=st.integers(min_value=2, max_value=40))
def test_a_detail_that_fits_is_indented_as_wrapped(cell: Cell, width: int) -> None:
    """A card's detail on one line as it is, or wrapped: the lines `wrap` makes."""
    assert table.indented(cell, width) == [
        [("  ", ""), *line] for line in table.wrap(cell, width - 2)
    ]


# --- whole rows --------------------------------------------------------------------------


def side_by_side_as_before(
    blocks: Sequence[list[tuple[Line, int]]], widths: Sequence[int], right: Sequence[bool]
) -> list[Line]:
    """The columns set side by side as version 0.1 did: spaces owed, paid before text."""
    out: list[Line] = []
    for number in range(max(len(block) for block in blocks)):
        line: Line = []
        pending = 0
        for index, (block, width) in enumerate(zip(blocks, widths, strict=True)):
            pending += table.GAP if index else 0
            if number >= len(block) or not block[number][0]:
                pending += width
                continue
            piece, size = block[number]
            room = max(0, width - size)
            if right[index]:
                pending += room
                room = 0
            if pending:
                line.append((" " * pending, ""))
            line.extend(piece)
            pending = room
        out.append(line)
    return out


PIECES = st.lists(
    st.tuples(st.lists(st.tuples(TEXT, STYLES), max_size=2), st.integers(0, 30)),
    max_size=4,
)


@settings(max_examples=200)
@given(
    columns=st.lists(
        st.tuples(PIECES, st.integers(min_value=1, max_value=100), st.booleans()),
        min_size=1,
        max_size=6,
    )
)
def test_columns_are_placed_as_before(columns: list[tuple[Any, int, bool]]) -> None:
    """Columns placed at their offsets give the lines the spaces-owed version gave:
    pieces wider than their column, empty pieces and short blocks included."""
    blocks = [[(list(piece), size) for piece, size in block] for block, _w, _r in columns]
    widths = [width for _block, width, _right in columns]
    right = [flag for _block, _width, flag in columns]
    slots = [
        (sum(widths[:index]) + table.GAP * index, width, flag)
        for index, (width, flag) in enumerate(zip(widths, right, strict=True))
    ]
    assert table.side_by_side(blocks, slots) == side_by_side_as_before(blocks, widths, right)


def cells_as_before(row: SessionRow, holds: Mapping[str, object]) -> dict[str, Cell]:
    """`session_cells` as version 0.1 wrote it, through `ours` and `literal`."""
    protocol = table.literal(row.protocol_label())
    if row.fingerprint:
        protocol += table.literal(f" {row.fingerprint[:12]}", "dim")
    notes = [row.note] + [f"{n.hours} h: {n.note}" for n in row.checkin_notes]
    flag_list = list(row.flags)
    if flag_list and row.region in holds:
        flag_list.append(table.ON_HOLD)
    soreness = " / ".join(
        table.score(value)
        for value in (row.soreness_after, row.soreness_at(24), row.soreness_at(48))
    )
    h72 = row.soreness_at(72)
    return {
        "when": table.ours(table.when(row.started)),
        "id": table.ours(table.short_id(row.id), "dim"),
        "place": table.literal(row.place()),
        "protocol": protocol,
        "minutes": table.ours(f"{row.actual_s / 60:.1f}/{row.planned_s / 60:.1f}"),
        "status": table.ours(row.status()),
        "sets": table.ours(row.exercise.sets() if row.exercise else ""),
        "exercise": table.ours(row.exercise.text() if row.exercise else ""),
        "soreness": table.ours(soreness),
        "72h": table.ours("" if h72 is None else f"72 h: {h72}"),
        "flags": table.literal(", ".join(flag_list), "bold red"),
        "note": table.literal(" / ".join(item for item in notes if item)),
    }


SCORES = st.none() | st.integers(min_value=0, max_value=10)


@st.composite
def session_rows(draw: st.DrawFn) -> SessionRow:
    """A session row with any text a journal (hand-edited included) may hold."""
    started = datetime(2026, 3, 2, 18, 0, tzinfo=UTC) + timedelta(
        minutes=draw(st.integers(0, 10**6))
    )
    started = started.astimezone(timezone(timedelta(minutes=draw(st.sampled_from([0, 60, -330])))))
    data: dict[str, Any] = {
        "region": draw(st.sampled_from(["calf", "neck", "lower-back", "漢"])),
        "side": draw(st.sampled_from(["left", "right", "none", ""])),
        "started": started,
        "planned_s": draw(st.integers(0, 3600)),
        "actual_s": draw(st.integers(0, 3600)),
        "note": draw(TEXT),
        "protocol_source": draw(st.sampled_from(["built-in", "file", ""])),
        "issued_by": draw(st.sampled_from(["", "Dr 王 小明", "Dr\x1b[31m X"])),
        "protocol_fingerprint": draw(st.sampled_from(["", "ab" * 32, "\u202e" * 14])),
        "complete": draw(st.booleans()),
        "dose_percent": draw(st.sampled_from([100, 70])),
        "source": draw(st.sampled_from(["timer", "log"])),
    }
    record = Record("session", "01KDTWPFFP4SPS8FX0CADY2REC", started, 1, data)
    hours = draw(st.dictionaries(st.sampled_from([24, 48, 72]), st.integers(0, 10)))
    notes = draw(st.lists(st.tuples(st.sampled_from([24, 48]), TEXT), max_size=2))
    exercise = draw(
        st.none() | st.builds(ExerciseSets, st.integers(0, 9), st.integers(0, 9), st.just(2))
    )
    return SessionRow.from_record(
        record,
        soreness_by_hours=hours,
        flags=tuple(
            draw(st.lists(st.sampled_from(["soreness-7", "bruising", "漢\x07"]), max_size=2))
        ),
        checkin_notes=tuple(CheckinNote(hours=h, note=note) for h, note in notes),
        exercise=exercise,
    )


@settings(max_examples=200)
@given(row=session_rows(), on_hold=st.booleans())
def test_cells_are_written_as_before(row: SessionRow, on_hold: bool) -> None:
    """Cells written run by run, and from the caches, are the cells `ours` and `literal`
    made (asked twice: the second answer comes from the caches)."""
    holds: dict[str, Any] = {row.region: object()} if on_hold else {}
    assert table.session_cells(row, holds) == cells_as_before(row, holds)
    assert table.session_cells(row, holds) == cells_as_before(row, holds)


@settings(max_examples=150)
@given(
    distinct=st.lists(session_rows(), min_size=1, max_size=5),
    picks=st.lists(
        st.tuples(st.integers(0, 4), st.sampled_from([(0, 0), (300, 240)])), max_size=12
    ),
    width=st.sampled_from([60, 100, 160]) | st.integers(min_value=2, max_value=200),
)
def test_rows_reusing_blocks_are_the_rows_a_fresh_table_makes(
    distinct: list[SessionRow], picks: list[tuple[int, tuple[int, int]]], width: int
) -> None:
    """A column of repeating fields (place, protocol, minutes, status, soreness) is
    wrapped once per content and its lines used again: every row is the one a table that
    never saw another row makes, however the fields repeat or differ from row to row,
    and changing the lines given out changes nothing that comes after."""
    rows = [
        replace(distinct[index % len(distinct)], planned_s=planned, actual_s=actual)
        for index, (planned, actual) in picks
    ]
    reused = table.HistoryTable(rows[:3], holds={}, width=width)
    for number, row in enumerate(rows):
        lines = reused.row(row, {}, first=number == 0)
        fresh = table.HistoryTable(rows[:3], holds={}, width=width)
        assert lines == fresh.row(row, {}, first=number == 0)
        for line in lines:  # the caller owns what it is given
            line.append(("changed", ""))


def card_as_before(cells: Mapping[str, Cell], width: int) -> list[Line]:
    """A card as version 0.1 made it, through `joined` and `wrap`."""
    ours, plain = table.ours, table.plain
    lines = table.wrap(
        table.joined(ours("  "), [cells["when"], cells["id"], cells["place"]]), width
    )
    minutes = table.joined(
        ours(" · "),
        (
            part
            for part in (cells["minutes"] + ours(" min"), cells["status"], cells["exercise"])
            if plain(part)
        ),
    )
    h72 = plain(cells["72h"])
    details = [
        cells["protocol"],
        minutes,
        ours("soreness ") + cells["soreness"] + (ours(f" / {h72}") if h72 else ()),
        cells["flags"],
        cells["note"],
    ]
    for detail in details:
        if plain(detail):
            lines += [[("  ", ""), *line] for line in table.wrap(detail, width - 2)]
    return lines


@settings(max_examples=200)
@given(row=session_rows(), width=st.integers(min_value=2, max_value=40))
def test_cards_are_made_as_before(row: SessionRow, width: int) -> None:
    """A card (a terminal too narrow for a table) is the one version 0.1 made."""
    cells = table.session_cells(row, {})
    cards = table.HistoryTable([], holds={}, width=width)
    assert cards.cards
    assert cards.row(row, {}, first=False) == [[], *card_as_before(cells, width)]
