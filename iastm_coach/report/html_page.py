"""The report as one self-contained HTML page, with its SVG charts.

The page has no script, loads nothing from the network (a Content-Security-Policy
forbids it) and prints cleanly.
"""

from __future__ import annotations

import html
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Final

from iastm_coach.history.outcomes import (
    CAVEAT,
    Series,
    number,
    summary_line,
)
from iastm_coach.report.tables import (
    FOOTER,
    RULES_INTRO,
    Cell,
    Code,
    Table,
    adherence_table,
    changes_table,
    detailed_heading,
    earlier_table,
    earlier_text,
    hold_events_table,
    local,
    local_day,
    outcomes_table,
    period_text,
    protocols_table,
    rule_text,
    screenings_table,
    sessions_table,
    weeks_table,
)
from iastm_coach.safety.redflags import RULES

if TYPE_CHECKING:
    from iastm_coach.report.build import Report

SERIES: Final[tuple[tuple[str, str, str], ...]] = (
    # (key, label, colour): shapes differ too, so the chart reads in black and white
    ("after", "right after", "#1f4e9c"),
    ("24h", "24 h", "#c15400"),
    ("48h", "48 h", "#2e7d32"),
    ("72h", "72 h", "#7b1fa2"),
)

CSS: Final = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#111;
margin:2em auto;max-width:60em;padding:0 1em;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}
h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #999}
table{border-collapse:collapse;width:100%;font-size:.9em;margin:.5em 0}
th,td{border:1px solid #bbb;padding:.25em .4em;text-align:left;vertical-align:top}
th{background:#eee}td.num{text-align:right}code{font-size:.95em}
.hold{color:#a00;font-weight:bold}.muted{color:#555}.caveat{border-left:4px solid #c15400;
padding:.3em .6em;background:#fff6ee}h3{font-size:1.05em;margin-bottom:.2em}
svg{width:100%;height:auto;border:1px solid #ccc}
@media print{body{margin:0;max-width:none;font-size:10pt}h2{page-break-after:avoid}
tr{page-break-inside:avoid}svg{page-break-inside:avoid}a{color:inherit}}
"""


def esc(text: str) -> str:
    return html.escape(text, quote=True)


# The same few strings (places, protocol labels, fingerprints) repeat on every row.
esc_repeated = lru_cache(maxsize=4096)(esc)


def esc_id(text: str) -> str:
    """Record ids are letters and digits (escaped anyway if a hand edit made them not)."""
    return text if text.isalnum() else esc(text)


def html_cell(cell: Cell) -> str:
    if isinstance(cell, str):
        return esc_repeated(cell)
    if isinstance(cell, Code):
        label = "" if cell.label is None else f"{esc_repeated(cell.label)} "
        title = f' title="{esc_repeated(cell.title)}"' if cell.title else ""
        return f"{label}<code{title}>{esc_repeated(cell.text)}</code>"
    return f'<span title="{esc(cell.title)}">{esc(cell.text)}</span>'


def html_table(table: Table) -> list[str]:
    lines = [
        "<table>",
        "<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in table.header) + "</tr></thead>",
        "<tbody>",
    ]
    show = [str if i in table.safe else html_cell for i in range(len(table.header))]
    lines.extend(
        "<tr>"
        + "".join([f"<td>{f(cell)}</td>" for f, cell in zip(show, cells, strict=True)])
        + "</tr>"
        for cells in table.rows
    )
    lines.append("</tbody></table>")
    return lines


def chart_svg(report: Report, *, width: int = 900, height: int = 320) -> str:
    """Soreness over time (the detailed months): every answered value is one marked point,
    holds as red lines."""
    left, right, top, bottom = 40, 12, 14, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    rows = report.detailed_rows
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="Soreness over time" class="chart">',
        "<title>Soreness (0-10) after each session and at the follow-ups</title>",
    ]
    for level in range(0, 11, 2):
        y = top + plot_h * (1 - level / 10)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{level}</text>'
        )
    if not rows:
        out.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle">No sessions</text></svg>'
        )
        return "".join(out)
    first = rows[0].started.timestamp()
    last = rows[-1].started.timestamp()
    span = last - first

    def x_of(moment: datetime) -> float:
        if span <= 0:
            return left + plot_w / 2
        return left + plot_w * (moment.timestamp() - first) / span

    def y_of(value: int) -> float:
        return top + plot_h * (1 - value / 10)

    for event in report.hold_events:
        if event.kind == "hold" and first <= event.at.timestamp() <= last:
            x = x_of(event.at)
            out.append(
                f'<line class="hold-mark" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" '
                f'y2="{top + plot_h}" stroke="#c00" stroke-dasharray="4 3">'
                f"<title>{esc(f'Hold on {event.region}, {local(event.at)}: {event.reason}')}"
                "</title>"
                "</line>"
            )
    # Per session once: its x, and its escaped id, place, local time and instant.
    prepared = [
        # local() and isoformat() produce digits and punctuation only: nothing to escape.
        (row, x_of(row.started), esc_id(row.id), esc_repeated(row.place()), local(row.started),
         row.started.isoformat())
        for row in rows
    ]  # fmt: skip
    for index, (key, label, colour) in enumerate(SERIES):
        hours = None if key == "after" else int(key[:-1])
        points = []
        for item in prepared:
            row = item[0]
            value = row.soreness_after if hours is None else row.soreness_by_hours.get(hours)
            if value is not None:
                points.append((item, value))
        if not points:
            continue
        if len(points) > 1:
            path = " ".join(f"{item[1]:.1f},{y_of(v):.1f}" for item, v in points)
            out.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" '
                f'stroke-width="1" stroke-opacity=".5"/>'
            )
        out.append(f'<g class="series" data-series="{key}" fill="{colour}">')
        for (_row, x, row_id, place, when, instant), value in points:
            title = f"{place}, {when}: soreness {label} {value}/10"
            attrs = (
                f'class="point" data-series="{key}" data-session="{row_id}" '
                f'data-value="{value}" data-when="{instant}"'
            )
            out.append(_marker(index, x, y_of(value), attrs, title))
        out.append("</g>")
    out.append(
        f'<text x="{left}" y="{height - 26}" font-size="11">'
        f"{esc(local_day(rows[0].started))}</text>"
        f'<text x="{left + plot_w}" y="{height - 26}" font-size="11" text-anchor="end">'
        f"{esc(local_day(rows[-1].started))}</text>"
    )
    legend_x = left
    for index, (_key, label, colour) in enumerate(SERIES):
        out.append(
            f'<g fill="{colour}">'
            + _marker(index, legend_x + 5, height - 9, 'class="legend"', esc(label))
            + f'<text x="{legend_x + 13}" y="{height - 5}" font-size="11">{esc(label)}</text></g>'
        )
        legend_x += 100
    out.append(
        f'<line x1="{legend_x}" y1="{height - 9}" x2="{legend_x + 14}" y2="{height - 9}" '
        f'stroke="#c00" stroke-dasharray="4 3"/><text x="{legend_x + 18}" y="{height - 5}" '
        'font-size="11">red-flag hold</text></svg>'
    )
    return "".join(out)


def _marker(index: int, x: float, y: float, attrs: str, title: str) -> str:
    inner = f"<title>{title}</title>"
    if index == 0:
        return f'<circle {attrs} cx="{x:.1f}" cy="{y:.1f}" r="3.5">{inner}</circle>'
    if index == 1:
        return f'<rect {attrs} x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6">{inner}</rect>'
    if index == 2:
        return (
            f'<polygon {attrs} points="{x:.1f},{y - 4:.1f} {x + 4:.1f},{y + 3:.1f} '
            f'{x - 4:.1f},{y + 3:.1f}">{inner}</polygon>'
        )
    return (
        f'<polygon {attrs} points="{x:.1f},{y - 4:.1f} {x + 4:.1f},{y:.1f} {x:.1f},{y + 4:.1f} '
        f'{x - 4:.1f},{y:.1f}">{inner}</polygon>'
    )


MEASURE_COLOURS: Final = {"before": "#1f4e9c", "standalone": "#2e7d32", "after": "#c15400"}
MEASURE_LABELS: Final = {
    "before": "before a session",
    "standalone": "on its own",
    "after": "right after a session",
}


def _measure_marker(phase: str, x: float, y: float, attrs: str, title: str) -> str:
    """A circle before a session, a diamond on its own, a square right after."""
    colour = MEASURE_COLOURS.get(phase, "#111")
    inner = f"<title>{title}</title>"
    if phase == "after":
        return (
            f'<rect {attrs} x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" '
            f'fill="{colour}">{inner}</rect>'
        )
    if phase == "standalone":
        return (
            f'<polygon {attrs} points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},'
            f'{y + 5:.1f} {x - 5:.1f},{y:.1f}" fill="{colour}">{inner}</polygon>'
        )
    return f'<circle {attrs} cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}">{inner}</circle>'


def nice_scale(lowest: float, highest: float, *, ticks: int = 4) -> tuple[float, float, float]:
    """An axis from a round number below *lowest* to one above *highest*, in round steps
    (1, 2, 2.5 or 5 times a power of ten), about *ticks* of them."""
    import math

    if highest - lowest < 1e-9:
        lowest, highest = lowest - 1, highest + 1
    raw = (highest - lowest) / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw - 1e-12)
    low = math.floor(lowest / step + 1e-9) * step
    high = math.ceil(highest / step - 1e-9) * step
    if high - low < step:
        high = low + step
    return low, high, step


def measure_chart_svg(series: Series, *, width: int = 900, height: int = 240) -> str:
    """One test on one side over time: every value is one marked point.

    Values taken before a session or on their own are joined by a line (the
    change over weeks); a dashed segment joins each session's before and after.
    """
    from iastm_coach.history.measure import is_score

    left, right, top, bottom = 56, 12, 14, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    values = series.values
    name = esc(f"{series.test}, {series.place()}, in {series.unit}")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{name} over time" class="measure-chart">',
        f"<title>{name} over time</title>",
    ]
    numbers = [m.value for m in values]
    if is_score(series.unit):
        low, high, step = 0.0, 10.0, 2.0
    else:
        low, high, step = nice_scale(min(numbers), max(numbers))
    first = values[0].at.timestamp()
    span = values[-1].at.timestamp() - first

    def x_of(moment: datetime) -> float:
        if span <= 0:
            return left + plot_w / 2
        return left + plot_w * (moment.timestamp() - first) / span

    def y_of(value: float) -> float:
        return top + plot_h * (1 - (value - low) / (high - low))

    for index in range(round((high - low) / step) + 1):
        level = low + step * index
        y = y_of(level)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">'
            f"{esc(number(level))}</text>"
        )
    placed = {m.id: (x_of(m.at), y_of(m.value)) for m in values}
    rested = [placed[m.id] for m in values if m.rested]
    if len(rested) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in rested)
        out.append(
            f'<polyline points="{path}" fill="none" stroke="{MEASURE_COLOURS["before"]}" '
            'stroke-width="1.2" stroke-opacity=".6"/>'
        )
    pairs: dict[str, dict[str, str]] = {}
    for m in values:
        if m.session and m.phase in ("before", "after"):
            pairs.setdefault(m.session, {})[m.phase] = m.id
    for phases in pairs.values():
        if "before" in phases and "after" in phases:
            (x1, y1), (x2, y2) = placed[phases["before"]], placed[phases["after"]]
            out.append(
                f'<line class="pair" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                f'stroke="{MEASURE_COLOURS["after"]}" stroke-dasharray="3 2"/>'
            )
    place = esc(series.place())
    # The unit is the series' own (escaped once); numbers, phases and times need no escaping.
    suffix = "/10" if is_score(series.unit) else f" {esc(series.unit)}"
    for m in values:
        x, y = placed[m.id]
        title = f"{place}, {local(m.at)}: {number(m.value)}{suffix} {MEASURE_LABELS[m.phase]}"
        attrs = (
            f'class="measure-point" data-id="{esc_id(m.id)}" data-phase="{m.phase}" '
            f'data-value="{m.value!r}" data-when="{m.at.isoformat()}" '
            f'data-session="{esc_id(m.session)}"'
        )
        out.append(_measure_marker(m.phase, x, y, attrs, title))
    out.append(
        f'<text x="{left}" y="{height - 26}" font-size="11">'
        f"{esc(local_day(values[0].at))}</text>"
        f'<text x="{left + plot_w}" y="{height - 26}" font-size="11" text-anchor="end">'
        f"{esc(local_day(values[-1].at))}</text>"
    )
    legend_x = left
    for phase in ("before", "standalone", "after"):
        out.append(
            _measure_marker(
                phase, legend_x + 5, height - 9, 'class="legend"', MEASURE_LABELS[phase]
            )
            + f'<text x="{legend_x + 13}" y="{height - 5}" font-size="11">'
            f"{esc(MEASURE_LABELS[phase])}</text>"
        )
        legend_x += 170
    out.append(
        f'<line x1="{legend_x}" y1="{height - 9}" x2="{legend_x + 14}" y2="{height - 9}" '
        f'stroke="{MEASURE_COLOURS["after"]}" stroke-dasharray="3 2"/>'
        f'<text x="{legend_x + 18}" y="{height - 5}" font-size="11">one session, before to '
        "after</text></svg>"
    )
    return "".join(out)


def html_outcomes(report: Report) -> list[str]:
    """The outcome measures section: caveat, summary, a chart per test and side, tables."""
    out = ["<h2>Outcome measures</h2>"]
    if not report.outcomes:
        out.append("<p>No outcome measurements in this period.</p>")
        return out
    out.append(f'<p class="caveat">{esc(CAVEAT)}</p>')
    out.extend(html_table(outcomes_table(report)))
    out.append("<ul>")
    out.extend(f"<li>{esc(summary_line(s))}</li>" for s in report.outcomes)
    out.append("</ul>")
    if report.earlier:
        out.append(f'<p class="muted">{esc(earlier_text(report, "Values"))}</p>')
    for series in report.detailed_outcomes:
        if series.values:
            out.append(f"<h3>{esc(series.test)}, {esc(series.place())}</h3>")
            out.append(measure_chart_svg(series))
    out.append("<h3>Week by week</h3>")
    out.append(
        '<p class="muted">Values taken before a session or on their own (not right after a '
        "session), per week from Monday.</p>"
    )
    out.extend(html_table(weeks_table(report.detailed_outcomes)))
    out.append("<h3>Before and after each session</h3>")
    if any(s.changes for s in report.detailed_outcomes):
        out.extend(html_table(changes_table(report.detailed_outcomes)))
    else:
        out.append("<p>No session was measured before and after.</p>")
    return out


def render_html(report: Report) -> str:
    patients = ", ".join(report.patients) or "not named in the protocol"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>IASTM report: {esc(patients)}</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>IASTM self-treatment report</h1>",
        "<p>"
        f"<strong>Patient:</strong> {esc(patients)}<br>"
        f"<strong>Period:</strong> {esc(period_text(report))}<br>"
        f"<strong>Generated:</strong> {esc(local(report.generated))}<br>"
        f"<strong>Sessions:</strong> {len(report.rows)} (one per treated side)</p>",
        "<h2>Holds now in force</h2>",
    ]
    if report.active_holds:
        out.append("<ul>")
        out.extend(
            f'<li class="hold">{esc(h.region)} on hold since {esc(local(h.since))}: '
            f"{esc(h.reason_text())} ({esc(', '.join(h.all_rules))})</li>"
            for h in report.active_holds
        )
        out.append("</ul>")
    else:
        out.append("<p>None.</p>")
    out.append("<h2>Soreness over time</h2>")
    if report.earlier:
        out.append(f'<p class="muted">{esc(earlier_text(report, "Sessions"))}</p>')
    out.append(chart_svg(report))
    out.append("<h2>Protocols followed</h2>")
    out.extend(html_table(protocols_table(report)))
    out.append("<h2>Adherence</h2>")
    out.extend(html_table(adherence_table(report)))
    out.extend(html_outcomes(report))
    out.append("<h2>Red flags and holds</h2>")
    if report.hold_events:
        out.extend(html_table(hold_events_table(report)))
    else:
        out.append("<p>No red flags in this period.</p>")
    out.append("<h3>Red-flag rules</h3>")
    out.append(f"<p>{esc(RULES_INTRO)}</p>")
    out.append('<ul class="rules">')
    out.extend(f"<li><code>{esc(rule)}</code>: {esc(rule_text(rule))}</li>" for rule in RULES)
    out.append("</ul>")
    out.append("<h2>Screening: cautions and stops</h2>")
    if report.detailed_screenings:
        out.extend(html_table(screenings_table(report)))
    else:
        out.append("<p>No caution answers or screening stops in this period.</p>")
    if report.earlier and len(report.detailed_screenings) < len(report.screenings):
        out.append(f'<p class="muted">{esc(earlier_text(report, "Caution answers and stops"))}</p>')
    out.append("<h2>Sessions</h2>")
    if report.earlier:
        out.append(f'<p class="muted">{esc(earlier_text(report, "Sessions"))}</p>')
        out.extend(html_table(earlier_table(report)))
        out.append(f"<h3>{esc(detailed_heading(report))}</h3>")
    out.extend(html_table(sessions_table(report, minutes_header="Minutes done/planned")))
    out.append("<h2>Notes</h2>")
    if report.earlier and len(report.detailed_notes) < len(report.notes):
        out.append(f'<p class="muted">{esc(earlier_text(report, "Notes"))}</p>')
    if report.detailed_notes:
        out.append("<ul>")
        out.extend(
            f"<li>{local(n.at)}, {esc_repeated(n.place)}, {esc_repeated(n.context)}: "
            f"{esc(n.text)}</li>"
            for n in report.detailed_notes
        )
        out.append("</ul>")
    else:
        out.append("<p>No notes.</p>")
    out.append(f'<p class="muted">{esc(FOOTER)}</p>')
    out.append("</body></html>")
    return "\n".join(out) + "\n"
