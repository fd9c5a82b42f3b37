"""The history table as lines of styled text, one session at a time (no Rich).

`history` of ten years is tens of thousands of lines: Rich's Table measures and
renders every cell through several layers (about 1 ms a session), and slicing a
Rich Text copies the whole text, so a long note cost time in the square of its
length. Here a cell is a tuple of (text, style) runs; wrapping works on plain
strings and slices the runs once, in order, so time grows with the length of
the text; a session's lines are built from its own cells alone, so the first
page can be printed before the last session is read.

Column widths come from a sample of rows (the first page): later rows are
wrapped to the same widths (a word longer than its column is cut with '…' and
carries on on the next line, as in any row: nothing is dropped).

`history --all` runs this once per session, so the common cases take shortcuts:
ASCII text measured by its length and wrapped a line at a time, a cell that fits
kept as it is, a note of one run sliced directly, cells that repeat from row to
row made once, and the columns made of them wrapped once. Each gives exactly what
the general path gives
(tests/views/test_history_table.py sets them side by side).

Only our own wording is styled; notes, names and reasons from the journal or
protocol files are stripped of control characters and never read as markup.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from operator import itemgetter
from typing import TYPE_CHECKING, Final, Literal

from iastm_coach.safe_text import strip_control_characters
from iastm_coach.views.runs import Cell, Line, Run
from iastm_coach.vocabulary import moment_text, place_label

if TYPE_CHECKING:
    from iastm_coach.history.queries import SessionRow
    from iastm_coach.safety.holds import Hold


SHORT_ID: Final = 6  # the tail of a record id people can type (`checkin ID`)
WIDE_FROM: Final = 130  # terminal columns from which every field has its own column
NOTE_MIN: Final = 16  # the narrowest notes column a table layout accepts
GAP: Final = 2  # spaces between two columns
TITLE: Final = "Sessions, newest first (soreness 0-10: right after / 24 h / 48 h)"
ELLIPSIS: Final = "…"
ELLIPSIS_WIDTH: Final = 1  # cell_width(ELLIPSIS)
ON_HOLD: Final = "(on\u00a0hold)"  # a no-break space: never split over two lines
BREAK: Final = re.compile(r"[^ \t]+")  # words end at spaces and tabs, not at no-break spaces
WORD_START: Final = re.compile("[^ ]")  # in a line whose words are parted by spaces only
RULE: Final = "─"
PADDING: Final = tuple((" " * size, "") for size in range(256))  # runs of spaces, made once
SHORT_TEXT: Final = 80  # texts up to this length have their widths kept (`short_width`)
# The fixed wording of a card (`HistoryTable._card`), made once.
INDENT: Final = ("  ", "")
TWO_SPACES: Final = (INDENT,)
MIN: Final = ((" min", ""),)
DOT: Final = ((" · ", ""),)
SORENESS: Final = (("soreness ", ""),)
# The fields whose cells come from the small caches of `session_cells`: a column of only
# these is wrapped once per different content (`HistoryTable.row`), at most this many kept.
REPEATING: Final = frozenset(
    {"place", "protocol", "minutes", "status", "sets", "exercise", "soreness", "72h"}
)
KEPT_BLOCKS: Final = 1024
Block = list[tuple[Line, int]]  # a column's lines in one row, each with its width
CellsKey = Callable[[Mapping[str, Cell]], object]  # the cells a column is made from


# --- text measured in terminal cells ---------------------------------------------------------


@lru_cache(maxsize=4096)
def char_width(char: str) -> int:
    """Terminal cells of one character: 0 for combining marks, 2 for wide East Asian."""
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def cell_width(text: str) -> int:
    """Terminal cells *text* takes (no line breaks in it)."""
    if text.isascii():
        return len(text)
    if len(text) <= SHORT_TEXT:
        return short_width(text)
    return sum(map(char_width, text))


@lru_cache(maxsize=4096)
def short_width(text: str) -> int:
    """`cell_width` of a short text that is not ASCII: our own wording ('·', '–') and the
    words of notes come back row after row, and are measured once."""
    return sum(map(char_width, text))


def wrap_spans(line: str, width: int) -> list[tuple[int, int, bool]]:
    """Where to break *line* (no newlines) to fit *width* cells: (start, end, cut) spans.

    Breaks at whitespace; a word longer than a whole line is cut into pieces of
    width - 1 cells, each *cut* piece to be shown with a trailing ellipsis, the rest
    continuing on the next line. Every character but the whitespace at a break is in
    exactly one span. Time grows with the length of the line.
    """
    if line.isascii() and "\t" not in line:
        return ascii_spans(line, width)
    return word_spans(line, width)


def word_spans(line: str, width: int) -> list[tuple[int, int, bool]]:
    """`wrap_spans` of any line, word by word, each measured in cells."""
    width = max(2, width)
    spans: list[tuple[int, int, bool]] = []
    line_start = line_end = -1  # the output line being filled: line[line_start:line_end]
    used = 0
    for match in BREAK.finditer(line):
        start, end = match.span()
        size = cell_width(match.group())
        if line_start >= 0:
            gap = cell_width(line[line_end:start])
            if used + gap + size <= width:
                line_end, used = end, used + gap + size
                continue
            spans.append((line_start, line_end, False))
        while size > width:  # a word longer than a line: cut it, marking each cut
            taken, cut = 0, start
            while cut < end and (cut == start or taken + char_width(line[cut]) <= width - 1):
                taken += char_width(line[cut])
                cut += 1
            spans.append((start, cut, True))
            start, size = cut, size - taken
        line_start, line_end, used = start, end, size
    if line_start >= 0:
        spans.append((line_start, line_end, False))
    return spans or [(0, 0, False)]


def ascii_spans(line: str, width: int) -> list[tuple[int, int, bool]]:
    """`word_spans` of an ASCII line whose words are parted by spaces only (nearly every
    note), a line at a time rather than a word at a time.

    Each character takes one cell, so a line starting at *start* takes every word
    that ends by start + width: the last space within reach (`rfind`) ends it.
    """
    width = max(2, width)
    spans: list[tuple[int, int, bool]] = []
    length = len(line)
    start = word_start(line, 0)
    while start < length:  # start: the first word of a line
        end = line.find(" ", start)
        if end < 0:
            end = length
        while end - start > width:  # a word longer than a line: cut it, marking each cut
            spans.append((start, start + width - 1, True))
            start += width - 1
        limit = start + width
        if limit >= length:
            spans.append((start, len(line.rstrip(" ")), False))
            break
        last = limit if line[limit] == " " else line.rfind(" ", end, limit)
        if last < 0:
            last = end  # the next word does not fit
        while line[last - 1] == " ":
            last -= 1
        spans.append((start, last, False))
        start = word_start(line, last)
    return spans or [(0, 0, False)]


def word_start(line: str, position: int) -> int:
    """Where the first word at or after *position* starts (the length when none does)."""
    found = WORD_START.search(line, position)
    return len(line) if found is None else found.start()


# --- cells ---------------------------------------------------------------------------------


def literal(text: str, style: str = "") -> Cell:
    """Untrusted text as a cell: control characters removed, never read as markup."""
    return ((safe(text), style),)


def ours(text: str, style: str = "") -> Cell:
    """Our own wording as a cell."""
    return ((text, style),)


def plain(cell: Cell) -> str:
    if len(cell) == 1:  # most cells: one run
        return cell[0][0]
    return "".join([text for text, _style in cell])


def joined(separator: Cell, cells: Iterable[Cell]) -> Cell:
    out: list[Run] = []
    for index, cell in enumerate(cells):
        if index:
            out.extend(separator)
        out.extend(cell)
    return tuple(out)


def stacked(*parts: Cell) -> Cell:
    """Non-empty *parts*, one per line."""
    return joined(ours("\n"), (part for part in parts if plain(part)))


def wrap(cell: Cell, width: int) -> list[Line]:
    """*cell* word-wrapped to *width* cells, keeping its own line breaks and its styles;
    a word longer than a line is cut with '…' and goes on on the next line.

    The runs are walked once, in step with the spans, so time grows with the length
    of the text (a megabyte-long note included).
    """
    return [line for line, _width in sized_wrap(cell, width)]


def sized_wrap(cell: Cell, width: int) -> list[tuple[Line, int]]:
    """`wrap`, each line with its width in cells."""
    text = plain(cell)
    if "\n" not in text:
        size = cell_width(text)
        if size <= width:
            return [(list(cell), size)]  # most cells: one line as it is
    if len(cell) == 1:
        return wrap_run(text, cell[0][1], width)
    return wrap_runs(cell, text, width)


def fits(text: str, width: int) -> bool:
    """*text* shows on one line of *width* cells as it is (`wrap` gives it unchanged)."""
    return "\n" not in text and cell_width(text) <= width


def wrap_run(text: str, style: str, width: int) -> list[tuple[Line, int]]:
    """`wrap_runs` of a cell of one run (a note): each line is one slice of *text*."""
    ascii_only = text.isascii()
    lines: list[tuple[Line, int]] = []
    for raw in text.split("\n"):
        for start, end, cut in wrap_spans(raw, width):
            piece = raw[start:end]
            line: Line = [(piece, style)] if piece else []
            size = end - start if ascii_only else cell_width(piece)
            if cut:
                line.append((ELLIPSIS, "dim"))
                size += ELLIPSIS_WIDTH
            lines.append((line, size))
    return lines


def wrap_runs(cell: Cell, text: str, width: int) -> list[tuple[Line, int]]:
    """*cell* (whose plain text is *text*) wrapped to *width*: the runs are walked once,
    in step with the spans, so time grows with the length of the text."""
    bounds: list[tuple[int, int, str]] = []
    position = 0
    for piece, style in cell:
        if piece:
            bounds.append((position, position + len(piece), style))
            position += len(piece)
    lines: list[tuple[Line, int]] = []
    ascii_only = text.isascii()
    first = 0  # the first run that may still overlap a span
    offset = 0
    for raw in text.split("\n"):
        for start, end, cut in wrap_spans(raw, width):
            low, high = offset + start, offset + end
            while first < len(bounds) and bounds[first][1] <= low:
                first += 1
            line: Line = []
            index = first
            while index < len(bounds) and bounds[index][0] < high:
                run_start, run_end, style = bounds[index]
                left, right = max(low, run_start), min(high, run_end)
                if left < right:
                    line.append((text[left:right], style))
                index += 1
            size = high - low if ascii_only else cell_width(text[low:high])
            if cut:
                line.append((ELLIPSIS, "dim"))
                size += ELLIPSIS_WIDTH
            lines.append((line, size))  # `line_width(line)`, from the span
        offset += len(raw) + 1
    return lines


def line_width(line: Line) -> int:
    return sum(cell_width(text) for text, _style in line)


def widest_line(text: str) -> int:
    return max((cell_width(line) for line in text.split("\n")), default=0)


def longest_word(text: str) -> int:
    return max((cell_width(word) for word in BREAK.findall(text.replace("\n", " "))), default=0)


# --- one session's cells ----------------------------------------------------------------------


def short_id(record_id: str) -> str:
    return record_id[-SHORT_ID:]


def when(moment: datetime) -> str:
    """Date and time as recorded, e.g. '2026-03-02 19:30' (`vocabulary.moment_text`)."""
    return moment_text(moment)


def score(value: int | None) -> str:
    return "–" if value is None else str(value)


def session_cells(row: SessionRow, holds: Mapping[str, Hold]) -> dict[str, Cell]:
    """The text of each field of one row, plain words (no markup), styled where ours.

    Written out run by run (rather than through `ours`/`literal`): it runs once per
    session of a ten-year journal, and the cells that repeat from row to row (place,
    protocol, minutes, soreness) come from small caches.
    """
    if row.checkin_notes:
        notes = [row.note] + [f"{n.hours} h: {n.note}" for n in row.checkin_notes]
        note = " / ".join(item for item in notes if item)
    else:
        note = row.note
    if row.flags:
        flags = ", ".join((*row.flags, ON_HOLD) if row.region in holds else row.flags)
    else:
        flags = ""
    by_hours = row.soreness_by_hours
    exercise = row.exercise
    return {
        "when": ((when(row.started), ""),),
        "id": ((short_id(row.id), "dim"),),
        "place": place_cell(row.region, row.side),
        "protocol": protocol_cell(row.protocol_label(), row.fingerprint),
        "minutes": minutes_cell(row.actual_s, row.planned_s),
        "status": ((row.status(), ""),),
        "sets": ((exercise.sets() if exercise else "", ""),),
        "exercise": ((exercise.text() if exercise else "", ""),),
        "soreness": soreness_cell(row.soreness_after, by_hours.get(24), by_hours.get(48)),
        "72h": h72_cell(by_hours.get(72)),
        "flags": ((safe(flags), "bold red"),),
        "note": ((safe(note), ""),),
    }


def safe(text: str) -> str:
    """*text* without control characters (`strip_control_characters`). Every character
    it strips is unprintable to `str.isprintable`, so printable text (nearly every
    note) is kept as it is without the search."""
    return text if text.isprintable() else strip_control_characters(text)


@lru_cache(maxsize=256)
def place_cell(region: str, side: str) -> Cell:
    """'calf (left)', the same in many rows."""
    return literal(place_label(region, side))


@lru_cache(maxsize=1024)
def minutes_cell(actual_s: int, planned_s: int) -> Cell:
    """'4.8/5.0': minutes done of minutes planned."""
    return ((f"{actual_s / 60:.1f}/{planned_s / 60:.1f}", ""),)


@lru_cache(maxsize=2048)
def soreness_cell(after: int | None, h24: int | None, h48: int | None) -> Cell:
    """'2 / 1 / –': right after, at 24 h and at 48 h (a few hundred combinations at most)."""
    return ((f"{score(after)} / {score(h24)} / {score(h48)}", ""),)


@lru_cache(maxsize=16)
def h72_cell(h72: int | None) -> Cell:
    """'72 h: 1', or nothing when no one answered at 72 h."""
    return (("" if h72 is None else f"72 h: {h72}", ""),)


@lru_cache(maxsize=256)
def protocol_cell(label: str, fingerprint: str) -> Cell:
    """The protocol's label and, dimmed, the start of its fingerprint (the same in many rows)."""
    cell = literal(label)
    if fingerprint:
        cell += literal(f" {fingerprint[:12]}", "dim")
    return cell


# --- columns and their widths ----------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of the history table: its header, how to make its cell, how it narrows.

    A *wrap* column may break its cells between words (never inside a word, so it
    is at least as wide as its longest word); *floor*, when set, is how narrow it may
    get instead (long words are then cut with '…' onto the next line: the notes).
    """

    header: str
    keys: tuple[str, ...]  # the fields shown, one per line (the first alone when one)
    wrap: bool = True
    floor: int | None = None
    justify: Literal["left", "right"] = "left"

    def cell(self, cells: Mapping[str, Cell]) -> Cell:
        if self.keys == ("soreness", "72h"):  # the wide table: on one line
            h72 = plain(cells["72h"])
            return cells["soreness"] + (ours(f" / {h72}") if h72 else ())
        if len(self.keys) == 1:
            return cells[self.keys[0]]
        return stacked(*(cells[key] for key in self.keys))

    def natural(self, texts: Sequence[str]) -> int:
        return max([widest_line(self.header)] + [widest_line(text) for text in texts])

    def least(self, texts: Sequence[str]) -> int:
        header = longest_word(self.header)
        if not self.wrap:
            return max([header] + [widest_line(text) for text in texts])
        if self.floor is not None:
            return max(header, min(self.floor, self.natural(texts)))
        return max([header] + [longest_word(text) for text in texts])


WIDE: Final = (
    Column("When (local)", ("when",), wrap=False),
    Column("Id", ("id",), wrap=False),
    Column("Region", ("place",)),
    Column("Protocol", ("protocol",)),
    Column("Min", ("minutes",), wrap=False, justify="right"),
    Column("Status", ("status",)),
    Column("Exercises", ("sets",), wrap=False),
    Column("Soreness", ("soreness", "72h"), wrap=False),
    Column("Flags", ("flags",)),
    Column("Note", ("note",), floor=NOTE_MIN),
)
STACKED: Final = (
    Column("When (local) / id", ("when", "id"), wrap=False),
    Column("Region / protocol", ("place", "protocol")),
    Column("Min / status", ("minutes", "status", "exercise")),
    Column("Soreness", ("soreness", "72h"), wrap=False),
    Column("Flags / note", ("flags", "note"), floor=NOTE_MIN),
)


def column_lines(
    column: Column, cells: Mapping[str, Cell], width: int, *, wide: bool
) -> list[tuple[Line, int]]:
    """The cell of *column* wrapped to *width*: each stacked field on lines of its own."""
    keys = column.keys
    if len(keys) == 1:
        return sized_wrap(cells[keys[0]], width)
    if wide:
        return sized_wrap(column.cell(cells), width)
    lines: list[tuple[Line, int]] = []
    for key in keys:
        part = cells[key]
        if len(part) > 1 or part[0][0]:
            lines += sized_wrap(part, width)
    return lines


def column_cell(column: Column, cells: Mapping[str, Cell], *, wide: bool) -> Cell:
    """The cell of *column* (stacked tables show 72 h on a line of its own)."""
    if not wide and column.keys == ("soreness", "72h"):
        return stacked(cells["soreness"], cells["72h"])
    return column.cell(cells)


def fit_widths(
    columns: Sequence[Column], texts: Sequence[Sequence[str]], width: int
) -> list[int] | None:
    """Column widths that fit *width* terminal columns, or None when even the narrowest
    do not. *texts* holds each column's cells (plain).

    Spare room first widens the columns that need least to show each cell on one line
    (a status, a protocol), then goes to the notes (columns with a *floor*), then to
    anything still wrapped.
    """
    widths = [column.least(cells) for column, cells in zip(columns, texts, strict=True)]
    room = width - sum(widths) - GAP * (len(columns) - 1)
    if room < 0:
        return None
    naturals = [column.natural(cells) for column, cells in zip(columns, texts, strict=True)]
    for index in sorted(
        (i for i, column in enumerate(columns) if column.floor is None),
        key=lambda i: naturals[i] - widths[i],
    ):
        missing = naturals[index] - widths[index]
        if 0 < missing <= room:
            widths[index] += missing
            room -= missing
    for index in [i for i, c in enumerate(columns) if c.floor is not None] + list(
        range(len(columns))
    ):
        extra = min(room, max(0, naturals[index] - widths[index]))
        widths[index] += extra
        room -= extra
    return widths


def side_by_side(
    blocks: Sequence[list[tuple[Line, int]]], slots: Sequence[tuple[int, int, bool]]
) -> list[Line]:
    """The lines of each column's block (lines and their widths) beside one another;
    *slots*: where each column starts, its width, and whether it is right-justified.

    Spaces go only before text, never at the end of a line. A piece wider than its
    column (in a row after those the widths were chosen from) pushes the rest of its
    line to the right, not the lines below it.
    """
    # Column by column, each line remembering where it ends: a row's blocks are mostly
    # a line or two beside a note of several, so only the pieces there are are visited.
    height = max(map(len, blocks))
    out: list[Line] = [[] for _ in range(height)]
    ends = [0] * height  # where each line ends so far, as if no piece were wider than its column
    for block, (offset, width, right) in zip(blocks, slots, strict=True):
        for number, (piece, size) in enumerate(block):
            if piece:
                start = offset + width - size if right and size < width else offset
                at = ends[number]
                line = out[number]
                if start > at:
                    gap = start - at
                    line.append(PADDING[gap] if gap < len(PADDING) else (" " * gap, ""))
                line += piece
                ends[number] = offset + (size if size < width and not right else width)
    return out


# --- the table, line by line -------------------------------------------------------------------


class HistoryTable:
    """The history fitted to *width* terminal columns, one session at a time.

    From `WIDE_FROM` columns every field has a column of its own; below that,
    related fields are stacked two or three to a cell, so an 80-column terminal
    gets a table; a terminal too narrow for that gets one block of lines per
    session. The layout and column widths are chosen from *sample* (the first rows
    to be shown); `head()` gives the title and header, `rows()` each session's lines.
    """

    def __init__(
        self, sample: Sequence[SessionRow], *, holds: Mapping[str, Hold], width: int
    ) -> None:
        self.width = max(2, width)
        cells = [session_cells(row, holds) for row in sample]
        self.columns: Sequence[Column] | None = None
        self.widths: list[int] = []
        self.wide = False
        for columns, wide in ((WIDE, True), (STACKED, False)):
            if wide and self.width < WIDE_FROM:
                continue
            texts = [[plain(column_cell(c, row, wide=wide)) for row in cells] for c in columns]
            widths = fit_widths(columns, texts, self.width)
            if widths is not None:
                self.columns, self.widths, self.wide = columns, widths, wide
                break
        # Where each column starts, its width and whether it is right-justified.
        self._slots = [
            (sum(self.widths[:index]) + GAP * index, width, column.justify == "right")
            for index, (column, width) in enumerate(
                zip(self.columns or (), self.widths, strict=True)
            )
        ]
        # Each column with its width, and for a column of repeating fields its blocks by
        # the cells they were made from (and how to pick those cells).
        self._made: list[tuple[Column, int, dict[object, Block] | None, CellsKey | None]] = [
            (column, width, {}, itemgetter(*column.keys))
            if REPEATING.issuperset(column.keys)
            else (column, width, None, None)
            for column, width in zip(self.columns or (), self.widths, strict=True)
        ]

    @property
    def cards(self) -> bool:
        return self.columns is None

    def head(self) -> list[Line]:
        if self.columns is None:
            return wrap(ours(TITLE, "bold"), self.width)
        table_width = sum(self.widths) + GAP * (len(self.widths) - 1)
        lines = wrap(ours(TITLE, "italic"), table_width)
        headers = [
            sized_wrap(ours(column.header, "bold"), width)
            for column, width in zip(self.columns, self.widths, strict=True)
        ]
        lines += side_by_side(headers, self._slots)
        from iastm_coach.views.output import plain_requested

        rule = "-" if plain_requested() else RULE  # plain mode draws no box characters
        lines.append([(rule * table_width, "")])
        return lines

    def row(self, row: SessionRow, holds: Mapping[str, Hold], *, first: bool) -> list[Line]:
        """The lines of one session (with the blank line that separates it from the one
        before, where the layout has one)."""
        cells = session_cells(row, holds)
        if self.columns is None:
            return [[], *self._card(cells)]
        blocks = []
        for column, width, made, key_of in self._made:
            if made is None or key_of is None:
                blocks.append(column_lines(column, cells, width, wide=self.wide))
                continue
            key = key_of(cells)  # the same cells wrap to the same lines (blocks are only read)
            block = made.get(key)
            if block is None:
                if len(made) >= KEPT_BLOCKS:
                    made.clear()
                block = made[key] = column_lines(column, cells, width, wide=self.wide)
            blocks.append(block)
        lines = side_by_side(blocks, self._slots)
        return lines if self.wide or first else [[], *lines]

    def _card(self, cells: Mapping[str, Cell]) -> list[Line]:
        """One block of lines per session, for terminals too narrow for a table."""
        lines = wrap(
            cells["when"] + TWO_SPACES + cells["id"] + TWO_SPACES + cells["place"], self.width
        )
        minutes = cells["minutes"] + MIN
        for part in (cells["status"], cells["exercise"]):
            if plain(part):
                minutes += DOT + part
        h72 = plain(cells["72h"])
        details = (
            cells["protocol"],
            minutes,
            SORENESS + cells["soreness"] + (ours(f" / {h72}") if h72 else ()),
            cells["flags"],
            cells["note"],
        )
        for detail in details:
            if plain(detail):
                lines += indented(detail, self.width)
        return lines

    def lines(self, rows: Iterable[SessionRow], holds: Mapping[str, Hold]) -> Iterator[list[Line]]:
        """The lines of each of *rows*, one list per session."""
        for index, row in enumerate(rows):
            yield self.row(row, holds, first=index == 0)


def table_lines(
    rows: Sequence[SessionRow], *, holds: Mapping[str, Hold], width: int = 120
) -> list[Line]:
    """The whole table of *rows* (newest first) as lines."""
    table = HistoryTable(rows, holds=holds, width=width)
    out = table.head()
    for lines in table.lines(rows, holds):
        out += lines
    return out


# --- holds under the table ------------------------------------------------------------------


def holds_lines(holds: Mapping[str, Hold], width: int) -> list[Line]:
    """Each region on hold with every red flag that fired since the hold began; lines
    under a region are indented, and stay indented when they wrap."""
    from iastm_coach.safety.holds import clear_command, serious_rules
    from iastm_coach.safety.redflags import hold_reminder

    lines: list[Line] = []
    for region, hold in sorted(holds.items()):
        reasons = hold.all_reasons
        urgent = hold_reminder(region, hold.all_rules)
        head = ours("On hold: ", "bold red")
        if len(reasons) == 1:
            lines += wrap(head + literal(f"{region} since {when(hold.since)}: {reasons[0]}"), width)
        else:
            lines += wrap(
                head + literal(f"{region} since {when(hold.since)}, {len(reasons)} red flags:"),
                width,
            )
            for reason in reasons:
                lines += indented(literal(f"- {reason}"), width)
        if urgent:  # the same-day advice before the rest (§8b)
            lines += indented(ours(urgent, "bold red"), width)
        lines += indented(
            literal(
                "Do not treat it; contact your clinician. Lift it with "
                f"`{clear_command(hold)}`"
                + (" once a clinician has examined the area." if serious_rules(hold) else ".")
            ),
            width,
        )
    return lines


def indented(cell: Cell, width: int) -> list[Line]:
    """*cell* wrapped to *width* less two cells, each line indented by two spaces."""
    if fits(plain(cell), width - 2):
        return [[INDENT, *cell]]  # most details of a card: one line as `wrap` gives it
    return [[INDENT, *line] for line in wrap(cell, width - 2)]
