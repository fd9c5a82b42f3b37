"""Soreness as small multiples: one small chart per region and side, on one shared time
axis, with every hold drawn as a band from the moment it was placed to the moment it
was lifted (to the right edge while it is still in force).

On paper a single chart of every region and side cannot be told apart; one chart per
place, all on the same axis and the same 0-10 scale, can. Shapes differ per series
(right after, 24 h, 48 h, 72 h), so the charts read in black and white too.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Final

from iastm_coach.report.tables import local, local_day

if TYPE_CHECKING:
    from iastm_coach.history.queries import SessionRow
    from iastm_coach.report.build import Report
    from iastm_coach.safety.hold_spans import HoldSpan

# (key, label, colour, marker)
SERIES: Final = (
    ("after", "right after", "#1f4e9c", "circle"),
    ("24h", "24 h", "#c15400", "square"),
    ("48h", "48 h", "#2e7d32", "triangle"),
    ("72h", "72 h", "#7b1fa2", "diamond"),
)
HOLD_FILL: Final = "#f4c7c3"


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def time_range(
    rows: Sequence[SessionRow], spans: Sequence[HoldSpan], now: datetime
) -> tuple[float, float]:
    """The shared axis: from the first session or hold to the last session or hold event
    (to *now* while a hold is still in force)."""
    moments = [row.started.timestamp() for row in rows]
    for span in spans:
        moments.append(span.placed.timestamp())
        moments.append((span.lifted or now).timestamp())
    low, high = min(moments), max(moments)
    if high - low < 3600:
        low, high = low - 43200, high + 43200  # one day around a single moment
    return low, high


def marker(kind: str, x: float, y: float, attrs: str, title: str) -> str:
    inner = f"<title>{title}</title>" if title else ""
    if kind == "circle":
        return f'<circle {attrs} cx="{x:.1f}" cy="{y:.1f}" r="3">{inner}</circle>'
    if kind == "square":
        return f'<rect {attrs} x="{x - 2.7:.1f}" y="{y - 2.7:.1f}" width="5.4" height="5.4">{inner}</rect>'  # noqa: E501
    if kind == "triangle":
        return (
            f'<polygon {attrs} points="{x:.1f},{y - 3.6:.1f} {x + 3.6:.1f},{y + 2.7:.1f} '
            f'{x - 3.6:.1f},{y + 2.7:.1f}">{inner}</polygon>'
        )
    return (
        f'<polygon {attrs} points="{x:.1f},{y - 3.6:.1f} {x + 3.6:.1f},{y:.1f} {x:.1f},'
        f'{y + 3.6:.1f} {x - 3.6:.1f},{y:.1f}">{inner}</polygon>'
    )


def place_chart(
    place: str,
    rows: Sequence[SessionRow],
    spans: Sequence[HoldSpan],
    axis: tuple[float, float],
    now: datetime,
    *,
    width: int = 440,
    height: int = 150,
) -> str:
    """One region and side: soreness 0-10 over the shared axis, holds as red bands."""
    left, right, top, bottom = 26, 8, 8, 20
    plot_w, plot_h = width - left - right, height - top - bottom
    low, high = axis

    def x_of(moment: datetime) -> float:
        return left + plot_w * (moment.timestamp() - low) / (high - low)

    def y_of(value: int) -> float:
        return top + plot_h * (1 - value / 10)

    name = esc(place)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Soreness, {name}" class="small-chart" data-place="{name}">',
        f"<title>Soreness (0-10), {name}</title>",
    ]
    for span in spans:
        x1 = x_of(span.placed)
        x2 = x_of(span.lifted or now)
        lifted = f"lifted {local(span.lifted)}" if span.lifted else "still in force"
        title = esc(
            f"Hold on {span.region}, {local(span.placed)} to {lifted}: " + "; ".join(span.reasons)
        )
        out.append(
            f'<rect class="hold-span" data-region="{esc(span.region)}" '
            f'data-placed="{span.placed.isoformat()}" '
            f'data-lifted="{span.lifted.isoformat() if span.lifted else ""}" '
            f'x="{x1:.1f}" y="{top}" width="{max(x2 - x1, 2):.1f}" height="{plot_h}" '
            f'fill="{HOLD_FILL}" stroke="#c00" stroke-dasharray="3 2"><title>{title}</title></rect>'
        )
    for level in (0, 5, 10):
        y = y_of(level)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 4}" y="{y + 3.5:.1f}" font-size="10" '
            f'text-anchor="end">{level}</text>'
        )
    for key, label, colour, kind in SERIES:
        hours = None if key == "after" else int(key[:-1])
        points = []
        for row in rows:
            value = row.soreness_after if hours is None else row.soreness_by_hours.get(hours)
            if value is not None:
                points.append((x_of(row.started), y_of(value), row, value))
        if not points:
            continue
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
            out.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="1" '
                'stroke-opacity=".6"/>'
            )
        out.append(f'<g fill="{colour}" data-series="{key}">')
        out.extend(
            marker(
                kind,
                x,
                y,
                f'class="point" data-series="{key}" data-value="{value}" '
                f'data-session="{esc(row.id)}" data-when="{row.started.isoformat()}"',
                f"{local(row.started)}: {label} {value}/10",
            )
            for x, y, row, value in points
        )
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def small_multiples(report: Report, rows: Sequence[SessionRow] | None = None) -> list[str]:
    """The soreness section's charts (HTML), one per region and side, and one legend."""
    rows = report.rows if rows is None else rows
    spans = report.hold_spans
    if not rows and not spans:
        return ["<p>No sessions in this period.</p>"]
    axis = time_range(rows, spans, report.generated)
    by_place: dict[str, list[SessionRow]] = {}
    for row in rows:
        by_place.setdefault(row.place(), []).append(row)
    for span in spans:  # a region held but not treated in the period still shows its hold
        if not any(place.split(" (")[0] == span.region for place in by_place):
            by_place.setdefault(span.region, [])
    from iastm_coach.safety.hold_spans import reaching
    from iastm_coach.safety.zones import ANY_SIDE, remembered

    links_for = remembered()
    out = ['<div class="charts">']
    for place, place_rows in sorted(by_place.items()):
        region = place.split(" (")[0]
        side = place_rows[0].side if place_rows else ANY_SIDE
        # The bands of every hold that reached this place, as the session gate decides.
        held = reaching(spans, region, side, links_for)
        out.append(
            f'<figure class="small"><figcaption>{esc(place)}</figcaption>'
            + place_chart(place, place_rows, held, axis, report.generated)
            + "</figure>"
        )
    out.append("</div>")
    start = datetime.fromtimestamp(axis[0]).astimezone()
    end = datetime.fromtimestamp(axis[1]).astimezone()
    legend = " ".join(
        f'<span class="key"><svg viewBox="0 0 10 10" width="10" height="10" fill="{colour}">'
        f"{marker(kind, 5, 5, '', '')}</svg> {esc(label)}</span>"
        for _key, label, colour, kind in SERIES
    )
    out.append(
        f'<p class="legend">{legend} <span class="key"><svg viewBox="0 0 14 10" width="14" '
        f'height="10"><rect width="14" height="10" fill="{HOLD_FILL}" stroke="#c00"/></svg> '
        f"on hold (placed to lifted)</span> · every chart {esc(local_day(start))} to "
        f"{esc(local_day(end))}, soreness 0-10</p>"
    )
    return out
