"""Terminal views of history and trends (Rich, or plain text with NO_COLOR).

Only our own wording is styled; notes, names and reasons from the journal or
protocol files go through `ui.literal` and are never read as markup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal

from rich import box
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

from iastm_coach.views.ui import ascii_art, literal, table_box

if TYPE_CHECKING:
    from rich.console import RenderableType

    from iastm_coach.history.outcomes import Series
    from iastm_coach.history.queries import DueCheckin, SessionRow
    from iastm_coach.history.trend import Trend
    from iastm_coach.safety.holds import Hold
    from iastm_coach.session.shown import Line

SHORT_ID: Final = 6  # the tail of a record id people can type (`checkin ID`)
OUTCOME_WEEKS: Final = 12  # measured weeks drawn per test and side (the newest)
OUTCOME_SESSIONS: Final = 5  # before → after lines per test and side (the newest)
BAR: Final = 20  # longest weekly bar, in characters

# (key, marker, style, legend)
SERIES: Final = (
    ("after", "o", "blue", "right after"),
    ("24h", "x", "yellow", "24 h"),
    ("48h", "+", "green", "48 h"),
    ("72h", "^", "magenta", "72 h"),
)
OVERLAP: Final = "#"


def short_id(record_id: str) -> str:
    return record_id[-SHORT_ID:]


def when(moment: datetime) -> str:
    """Local date and time, e.g. '2026-03-02 19:30'."""
    return f"{moment.astimezone():%Y-%m-%d %H:%M}"


def score(value: int | None) -> str:
    return "–" if value is None else str(value)


WIDE_FROM: Final = 130  # terminal columns from which every field has its own column
NOTE_MIN: Final = 16  # the narrowest notes column a table layout accepts
GAP: Final = 2  # spaces between two columns (collapsed padding plus the box's divider)
TITLE: Final = "Sessions, newest first (soreness 0-10: right after / 24 h / 48 h)"
ELLIPSIS: Final = "…"
ON_HOLD: Final = "(on\u00a0hold)"  # a no-break space: never split over two lines
BREAK: Final = re.compile(r"[^ \t]+")  # words end at spaces and tabs, not at no-break spaces


def wrap_spans(line: str, width: int) -> list[tuple[int, int, bool]]:
    """Where to break *line* (no newlines) to fit *width* cells: (start, end, cut) spans.

    Breaks at whitespace; a word longer than a whole line is cut into pieces of
    width - 1 cells, each *cut* piece to be shown with a trailing ellipsis, the rest
    continuing on the next line. Every character but the whitespace at a break is in
    exactly one span.
    """
    width = max(2, width)
    spans: list[tuple[int, int, bool]] = []
    line_start = line_end = -1  # the output line being filled: line[line_start:line_end]
    used = 0
    for match in BREAK.finditer(line):
        start, end = match.span()
        size = cell_len(match.group())
        if line_start >= 0:
            gap = cell_len(line[line_end:start])
            if used + gap + size <= width:
                line_end, used = end, used + gap + size
                continue
            spans.append((line_start, line_end, False))
        while size > width:  # a word longer than a line: cut it, marking each cut
            taken, cut = 0, start
            while cut < end and (cut == start or taken + cell_len(line[cut]) <= width - 1):
                taken += cell_len(line[cut])
                cut += 1
            spans.append((start, cut, True))
            start, size = cut, size - taken
        line_start, line_end, used = start, end, size
    if line_start >= 0:
        spans.append((line_start, line_end, False))
    return spans or [(0, 0, False)]


def wrap_cell(text: Text, width: int) -> Text:
    """*text* word-wrapped to *width* cells, keeping its own line breaks and its styles
    (it is never parsed as markup); a word longer than a line is cut with '…' and goes on
    on the next line, so nothing is lost."""
    pieces: list[Text] = []
    offset = 0
    for line in text.plain.split("\n"):
        for start, end, cut in wrap_spans(line, width):
            piece = text[offset + start : offset + end]
            if cut:
                piece.append(ELLIPSIS, style="dim")
            pieces.append(piece)
        offset += len(line) + 1
    return Text("\n").join(pieces)


def longest_word(text: str) -> int:
    return max((cell_len(word) for word in BREAK.findall(text.replace("\n", " "))), default=0)


def widest_line(text: str) -> int:
    return max((cell_len(line) for line in text.split("\n")), default=0)


@dataclass
class Column:
    """One column of the history table: its header, cells and how it may be narrowed.

    A *wrap* column may break its cells between words (never inside a word, so it
    is at least as wide as its longest word); *floor*, when set, is how narrow it may
    get instead (long words are then cut with '…' onto the next line: the notes).
    """

    header: str
    cells: list[Text]
    wrap: bool = True
    floor: int | None = None
    justify: Literal["left", "right"] = "left"

    @property
    def natural(self) -> int:
        return max([widest_line(self.header)] + [widest_line(c.plain) for c in self.cells])

    @property
    def least(self) -> int:
        header = longest_word(self.header)
        if not self.wrap:
            return max([header] + [widest_line(c.plain) for c in self.cells])
        if self.floor is not None:
            return max(header, min(self.floor, self.natural))
        return max([header] + [longest_word(c.plain) for c in self.cells])


def fit_widths(columns: Sequence[Column], width: int) -> list[int] | None:
    """Column widths that fit *width* terminal columns, or None when even the narrowest do
    not.

    Spare room first widens the columns that need least to show each cell on one line
    (a status, a protocol), then goes to the notes (columns with a *floor*), then to
    anything still wrapped.
    """
    widths = [column.least for column in columns]
    room = width - sum(widths) - GAP * (len(columns) - 1)
    if room < 0:
        return None
    naturals = [column.natural for column in columns]
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


def session_cells(row: SessionRow, holds: Mapping[str, Hold]) -> dict[str, Text]:
    """The text of each field of one row, plain words (no markup), styled where ours."""
    protocol = literal(row.protocol_label())
    if row.fingerprint:
        protocol.append_text(literal(f" {row.fingerprint[:12]}", "dim"))
    notes = [row.note] + [f"{n.hours} h: {n.note}" for n in row.checkin_notes]
    flag_list = list(row.flags)
    if flag_list and row.region in holds:
        flag_list.append(ON_HOLD)
    soreness = " / ".join(
        score(value) for value in (row.soreness_after, row.soreness_at(24), row.soreness_at(48))
    )
    h72 = row.soreness_at(72)
    return {
        "when": Text(when(row.started)),
        "id": Text(short_id(row.id), style="dim"),
        "place": literal(row.place()),
        "protocol": protocol,
        "minutes": Text(f"{row.actual_s / 60:.1f}/{row.planned_s / 60:.1f}"),
        "status": Text(row.status()),
        "sets": Text(row.exercise.sets() if row.exercise else ""),
        "exercise": Text(row.exercise.text() if row.exercise else ""),
        "soreness": Text(soreness),
        "72h": Text("" if h72 is None else f"72 h: {h72}"),
        "flags": literal(", ".join(flag_list), style="bold red"),
        "note": literal(" / ".join(item for item in notes if item)),
    }


def stacked(*parts: Text) -> Text:
    """Non-empty *parts*, one per line."""
    return Text("\n").join(part for part in parts if part.plain)


def wide_columns(cells: list[dict[str, Text]]) -> list[Column]:
    def column(header: str, key: str, **options: Any) -> Column:
        return Column(header, [c[key] for c in cells], **options)

    soreness = [
        c["soreness"] + Text(f" / {c['72h'].plain}") if c["72h"].plain else c["soreness"]
        for c in cells
    ]
    return [
        column("When (local)", "when", wrap=False),
        column("Id", "id", wrap=False),
        column("Region", "place"),
        column("Protocol", "protocol"),
        column("Min", "minutes", wrap=False, justify="right"),
        column("Status", "status"),
        column("Exercises", "sets", wrap=False),
        Column("Soreness", soreness, wrap=False),
        column("Flags", "flags"),
        column("Note", "note", floor=NOTE_MIN),
    ]


def stacked_columns(cells: list[dict[str, Text]]) -> list[Column]:
    return [
        Column("When (local) / id", [stacked(c["when"], c["id"]) for c in cells], wrap=False),
        Column("Region / protocol", [stacked(c["place"], c["protocol"]) for c in cells]),
        Column(
            "Min / status",
            [stacked(c["minutes"], c["status"], c["exercise"]) for c in cells],
        ),
        Column("Soreness", [stacked(c["soreness"], c["72h"]) for c in cells], wrap=False),
        Column("Flags / note", [stacked(c["flags"], c["note"]) for c in cells], floor=NOTE_MIN),
    ]


def table_of(columns: Sequence[Column], widths: Sequence[int], *, lines: bool) -> Table:
    table = Table(
        title=TITLE,
        title_justify="left",
        box=table_box(box.SIMPLE_HEAD),
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
        show_lines=lines,
    )
    for column, width in zip(columns, widths, strict=True):
        # Cells arrive wrapped to the width: Rich neither wraps nor folds them again (an
        # ellipsis would show, should anything still be too long).
        table.add_column(
            wrap_cell(Text(column.header), width),
            width=width,
            no_wrap=True,
            overflow="ellipsis",
            justify=column.justify,
        )
    for index in range(len(columns[0].cells)):
        table.add_row(*(wrap_cell(c.cells[index], w) for c, w in zip(columns, widths, strict=True)))
    return table


def session_cards(cells: list[dict[str, Text]], width: int) -> Text:
    """One block of lines per session, for terminals too narrow for a table."""
    text = wrap_cell(Text(TITLE, style="bold"), width)
    for c in cells:
        text.append("\n\n")
        text.append_text(wrap_cell(Text("  ").join([c["when"], c["id"], c["place"]]), width))
        details = [
            c["protocol"],
            Text(" · ").join(
                part
                for part in (c["minutes"] + Text(" min"), c["status"], c["exercise"])
                if part.plain
            ),
            Text("soreness ")
            + c["soreness"]
            + (Text(f" / {c['72h'].plain}") if c["72h"].plain else Text()),
            c["flags"],
            c["note"],
        ]
        for detail in details:
            if detail.plain:
                text.append("\n")
                lines = wrap_cell(detail, width - 2).split("\n", allow_blank=True)
                text.append_text(Text("\n").join(Text("  ") + line for line in lines))
    return text


def history_table(
    rows: Sequence[SessionRow], *, holds: Mapping[str, Hold], width: int = 120
) -> RenderableType:
    """The history, rows as given (newest first), fitted to *width* terminal columns.

    From `WIDE_FROM` columns every field has a column of its own; below that,
    related fields are stacked two or three to a cell, so an 80-column terminal
    gets a table; a terminal too narrow for that gets one block of lines per
    session. Text is wrapped between words; a word longer than its column (in a
    note) is cut with '…' and carries on on the next line: nothing is dropped.
    """
    cells = [session_cells(row, holds) for row in rows]
    if width >= WIDE_FROM:
        columns = wide_columns(cells)
        widths = fit_widths(columns, width)
        if widths is not None:
            return table_of(columns, widths, lines=False)
    columns = stacked_columns(cells)
    widths = fit_widths(columns, width)
    if widths is not None:
        return table_of(columns, widths, lines=True)
    return session_cards(cells, width)


def holds_text(holds: Mapping[str, Hold]) -> RenderableType:
    """Each region on hold with every red flag that fired since the hold began.

    Lines under a region are indented, and stay indented when the terminal wraps them.
    """
    from rich.console import Group
    from rich.padding import Padding

    from iastm_coach.safety.holds import clear_command, serious_rules

    parts: list[RenderableType] = []
    for region, hold in sorted(holds.items()):
        reasons = hold.all_reasons
        head = Text("On hold: ", style="bold red")
        if len(reasons) == 1:
            head.append_text(literal(f"{region} since {when(hold.since)}: {reasons[0]}"))
            parts.append(head)
        else:
            head.append_text(
                literal(f"{region} since {when(hold.since)}, {len(reasons)} red flags:")
            )
            parts.append(head)
            parts.extend(Padding(literal(f"- {reason}"), (0, 0, 0, 2)) for reason in reasons)
        parts.append(
            Padding(
                literal(
                    "Do not treat it; contact your clinician. Lift it with "
                    f"`{clear_command(hold)}`"
                    + (" once a clinician has examined the area." if serious_rules(hold) else ".")
                ),
                (0, 0, 0, 2),
            )
        )
    return Group(*parts)


def due_line(item: DueCheckin) -> Line:
    """The heading of one follow-up's questions (shown through the conversation)."""
    from iastm_coach.session.shown import line

    ended = item.session.data.get("ended")
    moment = ended if isinstance(ended, datetime) else item.session.at
    return line(
        (f"{item.hours} h follow-up", "strong"),
        " for ",
        item.place,
        f", session of {when(moment)} (id {short_id(item.session.id)})",
    )


# --- trend ----------------------------------------------------------------------------------


def soreness_chart(trend: Trend, *, width: int) -> Text:
    """Soreness 0-10 on the y axis, one column per session (the newest that fit)."""
    points = list(trend.points)[-max(10, width - 8) :]
    text = Text()
    text.append("Soreness (0-10), one column per session, oldest on the left\n", style="bold")
    if not points:
        text.append("  no sessions yet\n")
        return text
    columns: list[dict[int, str]] = []
    for point in points:
        column: dict[int, str] = {}
        for key, marker, _style, _legend in SERIES:
            value = point.values()[key]
            if value is None:
                continue
            column[value] = OVERLAP if value in column else marker
        columns.append(column)
    styles = {marker: style for _key, marker, style, _legend in SERIES}
    for level in range(10, -1, -1):
        text.append(f"{level:>3} │", style="dim")
        for column in columns:
            marker = column.get(level, " ")
            text.append(marker, style=styles.get(marker, "bold"))
        text.append("\n")
    text.append_text(x_axis(points[0].when, points[-1].when, len(columns)))
    text.append("     ")
    for _key, marker, style, legend in SERIES:
        text.append(marker, style=style)
        text.append(f" {legend}   ")
    text.append(f"{OVERLAP} same level\n")
    return text


AXIS_INDENT: Final = 5  # the columns start after "NNN │"


def x_axis(first: datetime, last: datetime, columns: int) -> Text:
    """The time axis under *columns* one-character columns: a tick under the first and the
    last column, the first date starting under its tick and the last one ending under its
    own (or, when both do not fit side by side, starting under it, one line up)."""
    pad = " " * AXIS_INDENT
    start = f"{first.astimezone():%Y-%m-%d}"
    end = f"{last.astimezone():%Y-%m-%d}"
    text = Text()
    if columns == 1:
        text.append("    └┬\n", style="dim")
        text.append(f"{pad}{start}\n")
        return text
    text.append("    └┬" + "─" * (columns - 2) + "┬\n", style="dim")
    if columns >= len(start) + 1 + len(end):
        text.append(f"{pad}{start}{end:>{columns - len(start)}}\n")
        return text
    text.append(pad)
    text.append("│", style="dim")
    text.append(" " * (columns - 2) + f"{end}\n")
    text.append(f"{pad}{start}\n")
    return text


def weekly_chart(trend: Trend) -> Text:
    """Sittings per week as bars, with the prescribed number when one region is shown; the
    week in progress is dimmed and marked "so far" until it is over or on target."""
    from iastm_coach.history.trend import week_pending

    target = trend.target
    text = Text()
    title = "Sessions per week (both sides in one sitting count once)"
    if target is not None:
        title += f"; prescribed: {target} a week, marked |"
    text.append(title + "\n", style="bold")
    widest = max([week.total for week in trend.weeks] + [target or 0, 1])
    for week in trend.weeks:
        count = week.total
        text.append(f"  {week.monday:%Y-%m-%d}  ")
        cells = []
        for index in range(1, widest + 1):
            if index <= count:
                cells.append("█")
            elif target is not None and index == target:
                cells.append("|")
            else:
                cells.append(" ")
        if target is not None and count >= target and target:
            cells[target - 1] = "█"
        in_progress = week.monday == trend.this_week and week_pending(count, target)
        style = "green" if target is None or count == target else "yellow"
        text.append("".join(cells), style="dim" if in_progress else style)
        text.append(f"  {count}")
        if target is not None and count > target:
            text.append("  more than prescribed", style="yellow")
        elif in_progress:
            text.append("  so far this week", style="dim")
        text.append("\n")
    return text


def outcome_chart(series: Series) -> Text:
    """One test on one side: weekly medians as bars, then the last sessions' before → after.

    Bars run from the lowest weekly median shown (short bar) to the highest (full
    bar), so small differences stay visible; the numbers carry the values. A 0-10
    score is drawn on its own scale, 0 to 10.
    """
    from iastm_coach.history.measure import is_score
    from iastm_coach.history.outcomes import number, signed, with_unit

    score = is_score(series.unit)
    unit = "score 0-10" if score else f"in {series.unit}"
    text = Text()
    text.append_text(literal(f"{series.test}, {series.place()}, {unit}", style="bold"))
    text.append("\n")
    weeks = list(series.weeks)[-OUTCOME_WEEKS:]
    if weeks:
        hidden = len(series.weeks) - len(weeks)
        if hidden:
            text.append(f"  ({hidden} earlier measured week{'s' * (hidden != 1)} not shown)\n")
        # A 0-10 score on its own scale; a distance or angle from the lowest week shown.
        low = 0.0 if score else min(week.median for week in weeks)
        high = 10.0 if score else max(week.median for week in weeks)
        numbers = [number(week.median) for week in weeks]
        wide = max([len(n) for n in numbers] + [len("median")])
        text.append(
            f"  {'week of':<10}  {'median':>{wide}}  of the values taken before a session "
            "or on their own\n",
            style="dim",
        )
        for week, shown in zip(weeks, numbers, strict=True):
            share = 1.0 if high == low else (week.median - low) / (high - low)
            bar = "█" * (2 + round((BAR - 2) * share))
            text.append(f"  {week.monday:%Y-%m-%d}  {shown:>{wide}}  ")
            text.append(f"{bar:<{BAR}}", style="cyan")
            text.append(f"  {week.count} value{'s' * (week.count != 1)}\n")
    changes = list(series.changes)[-OUTCOME_SESSIONS:]
    if changes:
        text.append("  before → after the strokes, latest sessions\n", style="dim")
        for change in changes:
            before = "–" if change.before is None else with_unit(change.before, series.unit)
            after = "–" if change.after is None else with_unit(change.after, series.unit)
            line = f"{before} → {after}"
            if change.change is not None:
                line += f" ({signed(change.change, series.unit)})"
            text.append(f"  {when(change.at)}  ")
            text.append_text(literal(line))
            text.append("\n")
    return text


def outcomes_view(trend: Trend) -> Text:
    text = Text()
    text.append("Outcome measures\n", style="bold")
    for series in trend.outcomes:
        text.append_text(outcome_chart(series))
        text.append("\n")
    for line in trend.outcome_summary:
        text.append("• ")
        text.append_text(literal(line))
        text.append("\n")
    return text


def trend_view(trend: Trend, *, width: int) -> Text:
    text = Text()
    scope = trend.region or "all regions"
    text.append(f"Trend for {scope}, last {trend.weeks_back} weeks\n\n", style="bold")
    text.append_text(ascii_art(soreness_chart(trend, width=width)))
    text.append("\n")
    text.append_text(weekly_chart(trend))
    text.append("\n")
    for line in trend.summary:
        text.append("• ")
        text.append_text(literal(line))
        text.append("\n")
    text.append("\n")
    text.append_text(outcomes_view(trend))
    return text
