"""Terminal views of history and trends (Rich, or plain text with NO_COLOR).

Only our own wording is styled; notes, names and reasons from the journal or
protocol files go through `ui.literal` and are never read as markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Final

from rich import box
from rich.table import Table
from rich.text import Text

from iastm_coach.ui import literal

if TYPE_CHECKING:
    from iastm_coach.history import DueCheckin, SessionRow
    from iastm_coach.holds import Hold
    from iastm_coach.outcomes import Series
    from iastm_coach.trend import Trend

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


def history_table(
    rows: Sequence[SessionRow], *, holds: Mapping[str, Hold], width: int = 120
) -> Table:
    """The history table, rows as given (newest first).

    Below 130 columns, related cells are stacked two to a cell so that every
    column still fits an 80-column terminal.
    """
    narrow = width < 130
    table = Table(
        title="Sessions, newest first (soreness 0-10: right after / 24 h / 48 h)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_lines=narrow,
    )
    headers = (
        ["When (local) / id", "Region / protocol", "Min / status", "Soreness", "Flags / note"]
        if narrow
        else [
            "When (local)",
            "Id",
            "Region",
            "Protocol",
            "Min",
            "Status",
            "Exercises",
            "Soreness",
            "Flags",
            "Note",
        ]
    )
    for header in headers:
        table.add_column(
            header,
            no_wrap=header.startswith("When") or header in ("Id", "Min", "Soreness", "Exercises"),
            overflow="fold",
            justify="right" if header == "Min" else "left",
            min_width=20 if header in ("Note", "Flags / note") else None,
        )
    for row in rows:
        status = "complete" if row.complete else "interrupted"
        if row.data.get("source") == "log":
            status += ", logged"
        dose = int(row.data.get("dose_percent", 100))
        if dose != 100:
            status += f", {dose} % dose"
        protocol = literal(row.protocol_label())
        if row.fingerprint:
            protocol.append(f" {row.fingerprint[:12]}", style="dim")
        notes = [row.note] + [f"{n.hours} h: {n.note}" for n in row.checkin_notes]
        note = literal(" / ".join(item for item in notes if item))
        flag_list = list(row.flags)
        if flag_list and row.region in holds:
            flag_list.append("(on hold)")
        flags = literal(", ".join(flag_list), style="bold red")
        soreness = " / ".join(
            score(value) for value in (row.soreness_after, row.soreness_at(24), row.soreness_at(48))
        )
        if row.soreness_at(72) is not None:
            soreness += f" / 72 h: {row.soreness_at(72)}"
        minutes = f"{row.actual_s / 60:.1f}/{row.planned_s / 60:.1f}"
        if narrow:
            exercise = row.exercise.text() if row.exercise else ""
            table.add_row(
                Text.assemble(when(row.started), "\n", (short_id(row.id), "dim")),
                Text.assemble(literal(row.place()), "\n", protocol),
                f"{minutes}\n{status}" + (f"\n{exercise}" if exercise else ""),
                soreness,
                Text.assemble(flags, "\n" if flag_list else "", note),
            )
        else:
            exercise = row.exercise.sets() if row.exercise else ""
            table.add_row(
                when(row.started),
                Text(short_id(row.id), style="dim"),
                literal(row.place()),
                protocol,
                minutes,
                status,
                exercise,
                soreness,
                flags,
                note,
            )
    return table


def holds_text(holds: Mapping[str, Hold]) -> Text:
    """Each region on hold with every red flag that fired since the hold began."""
    text = Text()
    for region, hold in sorted(holds.items()):
        reasons = hold.all_reasons
        text.append("On hold: ", style="bold red")
        if len(reasons) == 1:
            text.append_text(literal(f"{region} since {when(hold.since)}: {reasons[0]}"))
        else:
            text.append_text(
                literal(f"{region} since {when(hold.since)}, {len(reasons)} red flags:")
            )
            for reason in reasons:
                text.append_text(literal(f"\n  - {reason}"))
        text.append(
            f"\n  Do not treat it; contact your clinician. Lift it with "
            f"`iastm-coach hold clear {region} --reason TEXT`.\n"
        )
    return text


def due_line(item: DueCheckin) -> Text:
    ended = item.session.data.get("ended")
    moment = ended if isinstance(ended, datetime) else item.session.at
    text = Text()
    text.append(f"{item.hours} h follow-up", style="bold")
    text.append(" for ")
    text.append_text(literal(item.place))
    text.append(f", session of {when(moment)} (id {short_id(item.session.id)})")
    return text


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
    text.append("    └" + "─" * len(columns) + "\n", style="dim")
    first = f"{points[0].when.astimezone():%Y-%m-%d}"
    last = f"{points[-1].when.astimezone():%Y-%m-%d}"
    gap = max(1, len(columns) - len(first) - len(last))
    text.append(f"     {first}{' ' * gap}{last}\n" if len(points) > 1 else f"     {first}\n")
    text.append("     ")
    for _key, marker, style, legend in SERIES:
        text.append(marker, style=style)
        text.append(f" {legend}   ")
    text.append(f"{OVERLAP} same level\n")
    return text


def weekly_chart(trend: Trend) -> Text:
    """Sittings per week as bars, with the prescribed number when one region is shown."""
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
        style = "green" if target is None or count == target else "yellow"
        text.append("".join(cells), style=style)
        text.append(f"  {count}")
        if target is not None and count > target:
            text.append("  more than prescribed", style="yellow")
        text.append("\n")
    return text


def outcome_chart(series: Series) -> Text:
    """One test on one side: weekly medians as bars, then the last sessions' before → after.

    Bars run from the lowest weekly median shown (short bar) to the highest (full
    bar), so small differences stay visible; the numbers carry the values. A 0-10
    score is drawn on its own scale, 0 to 10.
    """
    from iastm_coach.measure import is_score
    from iastm_coach.outcomes import number, signed, with_unit

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
    text.append_text(soreness_chart(trend, width=width))
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
