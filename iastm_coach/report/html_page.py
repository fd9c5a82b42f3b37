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
from iastm_coach.report.glance import (
    NO_DEVIATIONS,
    at_a_glance,
    deviation_box,
    heading_facts,
    integrity_line,
    urgent_suffix,
)
from iastm_coach.report.soreness_charts import small_multiples
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
    protocols_table,
    rule_text,
    screenings_table,
    sessions_table,
    weeks_table,
)
from iastm_coach.safety.redflags import RULES

if TYPE_CHECKING:
    from iastm_coach.report.build import Report

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
.glance{border:2px solid #333;padding:.4em .8em;margin:.8em 0}
.glance dl{display:grid;grid-template-columns:max-content 1fr;gap:.15em 1em;margin:0}
.glance dt{font-weight:bold}.glance dd{margin:0}.alert{color:#a00}
.deviations{border:2px solid #a00;padding:.3em .8em;margin:.8em 0;background:#fff5f5}
.deviations.none{border-color:#2e7d32;background:#f3fbf3}
.deviations h2{margin-top:.2em;border:0}.deviations ul{margin:.2em 0;padding-left:1.2em}
.charts{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:.4em .8em}
figure.small{margin:0}figure.small figcaption{font-size:.85em;font-weight:bold}
.legend{font-size:.85em}.legend .key{white-space:nowrap;margin-right:.8em}
.legend svg{width:auto;border:0;vertical-align:middle}
table.compact{font-size:.75em}table.compact td,table.compact th{padding:.1em .25em}
@page{size:auto;margin:12mm 11mm}
@media print{body{margin:0;max-width:none;font-size:9.5pt;line-height:1.3}
h1{font-size:1.4em;margin-top:0}h2{page-break-after:avoid;break-after:avoid;margin-top:1em}
tr,figure,svg,.glance,.deviations{page-break-inside:avoid;break-inside:avoid}
a{color:inherit}.appendix{break-before:page;page-break-before:always}
table.compact{font-size:7pt}.charts{gap:.2em .6em}}
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


def html_table(table: Table, *, css: str = "") -> list[str]:
    lines = [
        f'<table class="{css}">' if css else "<table>",
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


def html_glance(report: Report) -> list[str]:
    """The summary block at the top: holds, deviations, adherence, soreness, outcome."""
    out = ['<section class="glance"><dl>']
    for item in at_a_glance(report):
        css = ' class="alert"' if item.alert else ""
        lines = "<br>".join(esc(line) for line in item.lines)
        out.append(f"<dt{css}>{esc(item.label)}</dt><dd{css}>{lines}</dd>")
    out.append("</dl></section>")
    return out


def html_deviations(report: Report) -> list[str]:
    """The Deviations box: every kind with its first items, or "None", and the journal's
    integrity in every case."""
    groups = deviation_box(report)
    css = "deviations" if groups else "deviations none"
    out = [f'<section class="{css}" id="deviations"><h2>Deviations</h2>']
    if not groups:
        out.append(f"<p>{esc(NO_DEVIATIONS)}</p>")
    else:
        out.append("<ul>")
        for group in groups:
            more = (
                f"<li>and {group.more} more (the JSON format lists every one)</li>"
                if (group.more)
                else ""
            )
            items = "".join(f"<li>{esc(text)}</li>" for text in group.items)
            head = f"<strong>{esc(group.label)}</strong> ({group.count})"
            out.append(f"<li>{head}<ul>{items}{more}</ul></li>")
        out.append("</ul>")
    out.append(f"<p>{esc(integrity_line(report))}</p></section>")
    return out


def render_html(report: Report) -> str:
    facts = heading_facts(report)
    patients = dict(facts)["Patient"]
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
        + "<br>".join(f"<strong>{label}:</strong> {esc(text)}" for label, text in facts)
        + "</p>",
        *html_glance(report),
        *html_deviations(report),
        "<h2>Holds now in force</h2>",
    ]
    if report.active_holds:
        out.append("<ul>")
        out.extend(
            f'<li class="hold">{esc(h.region)} on hold since {esc(local(h.since))}: '
            f"{esc(h.reason_text())} ({esc(', '.join(h.all_rules))}){esc(urgent_suffix(h))}</li>"
            for h in report.active_holds
        )
        out.append("</ul>")
    else:
        out.append("<p>None.</p>")
    out.append("<h2>Soreness by region and side</h2>")
    if report.earlier:
        out.append(f'<p class="muted">{esc(earlier_text(report, "Sessions"))}</p>')
    out.extend(small_multiples(report, report.detailed_rows))
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
    # The long table last, compact, on its own pages when printed.
    out.append('<section class="appendix"><h2>Appendix: every session</h2>')
    if report.earlier:
        out.append(f'<p class="muted">{esc(earlier_text(report, "Sessions"))}</p>')
        out.extend(html_table(earlier_table(report), css="compact"))
        out.append(f"<h3>{esc(detailed_heading(report))}</h3>")
    out.extend(
        html_table(sessions_table(report, minutes_header="Minutes done/planned"), css="compact")
    )
    out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
