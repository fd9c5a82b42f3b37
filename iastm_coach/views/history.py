"""Terminal views of history and trends (Rich, or plain text with NO_COLOR).

Only our own wording is styled; notes, names and reasons from the journal or
protocol files go through `ui.literal` and are never read as markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Final

from rich.text import Text

from iastm_coach.views.history_table import holds_lines, short_id, table_lines, when
from iastm_coach.views.runs import Line
from iastm_coach.views.ui import ascii_art, literal
from iastm_coach.vocabulary import day_text

if TYPE_CHECKING:
    from iastm_coach.history.outcomes import Series
    from iastm_coach.history.queries import DueCheckin, SessionRow
    from iastm_coach.plans.trend import Trend
    from iastm_coach.safety.holds import Hold
    from iastm_coach.session.shown import Shown

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


def history_table(
    rows: Sequence[SessionRow], *, holds: Mapping[str, Hold], width: int = 120
) -> Text:
    """The history table of *rows* (newest first) fitted to *width* terminal columns, as
    one Rich Text (`history` itself writes the lines of `views.history_table` as they
    are made)."""
    return lines_text(table_lines(rows, holds=holds, width=width))


def holds_text(holds: Mapping[str, Hold], *, width: int | None = None) -> Text:
    """Each region on hold with every red flag that fired since the hold began (the lines
    `history` writes under its table), wrapped to *width* (default: the console's)."""
    if width is None:
        from iastm_coach.views.ui import get_console

        width = get_console().width
    return lines_text(holds_lines(holds, width))


def lines_text(lines: Sequence[Line]) -> Text:
    """Lines of styled runs as one Rich Text."""
    text = Text()
    for index, line in enumerate(lines):
        if index:
            text.append("\n")
        for piece, style in line:
            text.append(piece, style=style or None)
    return text


def due_line(item: DueCheckin) -> Shown:
    """The heading of one follow-up's questions (shown through the conversation)."""
    from iastm_coach.journal.records import session_end
    from iastm_coach.session.shown import line

    moment = session_end(item.session)
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
    start = day_text(first)
    end = day_text(last)
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
    from iastm_coach.plans.trend import week_pending

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
