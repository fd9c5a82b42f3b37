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

Only our own wording is styled; notes, names and reasons from the journal or
protocol files are stripped of control characters and never read as markup.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Final, Literal

from iastm_coach.safe_text import strip_control_characters
from iastm_coach.views.runs import Cell, Line, Run
from iastm_coach.vocabulary import moment_text

if TYPE_CHECKING:
    from iastm_coach.history.queries import SessionRow
    from iastm_coach.safety.holds import Hold


SHORT_ID: Final = 6  # the tail of a record id people can type (`checkin ID`)
WIDE_FROM: Final = 130  # terminal columns from which every field has its own column
NOTE_MIN: Final = 16  # the narrowest notes column a table layout accepts
GAP: Final = 2  # spaces between two columns
TITLE: Final = "Sessions, newest first (soreness 0-10: right after / 24 h / 48 h)"
ELLIPSIS: Final = "…"
ON_HOLD: Final = "(on\u00a0hold)"  # a no-break space: never split over two lines
BREAK: Final = re.compile(r"[^ \t]+")  # words end at spaces and tabs, not at no-break spaces
RULE: Final = "─"


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
    return sum(map(char_width, text))


def wrap_spans(line: str, width: int) -> list[tuple[int, int, bool]]:
    """Where to break *line* (no newlines) to fit *width* cells: (start, end, cut) spans.

    Breaks at whitespace; a word longer than a whole line is cut into pieces of
    width - 1 cells, each *cut* piece to be shown with a trailing ellipsis, the rest
    continuing on the next line. Every character but the whitespace at a break is in
    exactly one span. Time grows with the length of the line.
    """
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


# --- cells ---------------------------------------------------------------------------------


def literal(text: str, style: str = "") -> Cell:
    """Untrusted text as a cell: control characters removed, never read as markup."""
    return ((strip_control_characters(text), style),)


def ours(text: str, style: str = "") -> Cell:
    """Our own wording as a cell."""
    return ((text, style),)


def plain(cell: Cell) -> str:
    return "".join(text for text, _style in cell)


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
    text = cell[0][0] if len(cell) == 1 else plain(cell)
    if "\n" not in text:
        size = cell_width(text)
        if size <= width:
            return [(list(cell), size)]  # most cells: one line as it is
    bounds: list[tuple[int, int, str]] = []
    position = 0
    for piece, style in cell:
        if piece:
            bounds.append((position, position + len(piece), style))
            position += len(piece)
    lines: list[tuple[Line, int]] = []
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
            if cut:
                line.append((ELLIPSIS, "dim"))
            lines.append((line, line_width(line)))
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
    """The text of each field of one row, plain words (no markup), styled where ours."""
    protocol = literal(row.protocol_label())
    if row.fingerprint:
        protocol += literal(f" {row.fingerprint[:12]}", "dim")
    notes = [row.note] + [f"{n.hours} h: {n.note}" for n in row.checkin_notes]
    flag_list = list(row.flags)
    if flag_list and row.region in holds:
        flag_list.append(ON_HOLD)
    soreness = " / ".join(
        score(value) for value in (row.soreness_after, row.soreness_at(24), row.soreness_at(48))
    )
    h72 = row.soreness_at(72)
    return {
        "when": ours(when(row.started)),
        "id": ours(short_id(row.id), "dim"),
        "place": literal(row.place()),
        "protocol": protocol,
        "minutes": ours(f"{row.actual_s / 60:.1f}/{row.planned_s / 60:.1f}"),
        "status": ours(row.status()),
        "sets": ours(row.exercise.sets() if row.exercise else ""),
        "exercise": ours(row.exercise.text() if row.exercise else ""),
        "soreness": ours(soreness),
        "72h": ours("" if h72 is None else f"72 h: {h72}"),
        "flags": literal(", ".join(flag_list), "bold red"),
        "note": literal(" / ".join(item for item in notes if item)),
    }


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
    if wide or len(column.keys) == 1:
        return sized_wrap(column_cell(column, cells, wide=wide), width)
    lines: list[tuple[Line, int]] = []
    for key in column.keys:
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
        lines += self._side_by_side(headers)
        from iastm_coach.views.output import plain_requested

        rule = "-" if plain_requested() else RULE  # plain mode draws no box characters
        lines.append([(rule * table_width, "")])
        return lines

    def _side_by_side(self, blocks: Sequence[list[tuple[Line, int]]]) -> list[Line]:
        assert self.columns is not None
        height = max(len(block) for block in blocks)
        out: list[Line] = []
        gap = (" " * GAP, "")
        for number in range(height):
            line: Line = []
            pending = 0  # spaces owed before the next text (none at the end of a line)
            for index, (block, column, width) in enumerate(
                zip(blocks, self.columns, self.widths, strict=True)
            ):
                pending += GAP if index else 0
                if number >= len(block) or not block[number][0]:
                    pending += width
                    continue
                piece, size = block[number]
                room = max(0, width - size)
                if column.justify == "right":
                    pending += room
                    room = 0
                if pending:
                    line.append((" " * pending, "") if pending != GAP else gap)
                line.extend(piece)
                pending = room
            out.append(line)
        return out

    def row(self, row: SessionRow, holds: Mapping[str, Hold], *, first: bool) -> list[Line]:
        """The lines of one session (with the blank line that separates it from the one
        before, where the layout has one)."""
        cells = session_cells(row, holds)
        if self.columns is None:
            return [[], *self._card(cells)]
        blocks = [
            column_lines(column, cells, width, wide=self.wide)
            for column, width in zip(self.columns, self.widths, strict=True)
        ]
        lines = self._side_by_side(blocks)
        return lines if self.wide or first else [[], *lines]

    def _card(self, cells: Mapping[str, Cell]) -> list[Line]:
        """One block of lines per session, for terminals too narrow for a table."""
        lines = wrap(joined(ours("  "), [cells["when"], cells["id"], cells["place"]]), self.width)
        minutes = joined(
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
                lines += [[("  ", ""), *line] for line in wrap(detail, self.width - 2)]
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
    return [[("  ", ""), *line] for line in wrap(cell, width - 2)]
