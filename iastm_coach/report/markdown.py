"""The report as Markdown."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from iastm_coach.history.outcomes import (
    CAVEAT,
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

_MD_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<>|#!~"})


def md(text: str) -> str:
    """Untrusted text as inert Markdown (one line; no markup, links or HTML)."""
    flat = " ".join(text.split())
    return flat.translate(_MD_SPECIAL).replace("&", "&amp;")


# The same few strings (places, protocol labels, fingerprints) repeat on every row.
md_repeated = lru_cache(maxsize=4096)(md)


def md_cell(cell: Cell) -> str:
    if isinstance(cell, str):
        return md_repeated(cell)
    if isinstance(cell, Code):
        return f"`{md_repeated(cell.text)}`"
    return md_repeated(cell.text)


def md_table(table: Table) -> list[str]:
    header = table.header
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    show = [str if i in table.safe else md_cell for i in range(len(header))]
    lines.extend(
        "| " + " | ".join([f(cell) for f, cell in zip(show, cells, strict=True)]) + " |"
        for cells in table.rows
    )
    return lines


def render_markdown(report: Report) -> str:
    out: list[str] = ["# IASTM self-treatment report", ""]
    out.extend(f"- {label}: {md(text)}" for label, text in heading_facts(report))
    out.append("")
    out.extend(markdown_glance(report))
    out.extend(markdown_deviations(report))
    out.append("## Holds now in force")
    out.append("")
    if report.active_holds:
        for hold in report.active_holds:
            out.append(
                f"- **{md(hold.region)}** on hold since {local(hold.since)}: "
                f"{md(hold.reason_text())} (rules: {md(', '.join(hold.all_rules))})"
                + md(urgent_suffix(hold))
            )
    else:
        out.append("None.")
    out.extend(["", "## Protocols followed", ""])
    out.extend(md_table(protocols_table(report)))
    out.extend(["", "## Adherence", ""])
    out.extend(md_table(adherence_table(report)))
    out.append("")
    out.extend(markdown_outcomes(report))
    out.append("## Red flags and holds")
    out.append("")
    if report.hold_events:
        out.extend(md_table(hold_events_table(report)))
    else:
        out.append("No red flags in this period.")
    out.append("")
    out.extend(["### Red-flag rules", "", md(RULES_INTRO), ""])
    out.extend(f"- `{md(rule)}`: {md(rule_text(rule))}" for rule in RULES)
    out.append("")
    out.append("## Screening: cautions and stops")
    out.append("")
    if report.detailed_screenings:
        out.extend(md_table(screenings_table(report)))
    else:
        out.append("No caution answers or screening stops in this period.")
    if report.earlier and len(report.detailed_screenings) < len(report.screenings):
        out.extend(["", earlier_text(report, "Caution answers and stops")])
    out.extend(["", "## Soreness timeline (0-10)", ""])
    if report.earlier:
        out.extend([md(earlier_text(report, "Sessions")), ""])
        out.extend(md_table(earlier_table(report)))
        out.extend(["", f"### {detailed_heading(report)}", ""])
    out.extend(md_table(sessions_table(report, minutes_header="Minutes (done/planned)")))
    out.append("")
    out.append("## Notes")
    out.append("")
    if report.earlier and len(report.detailed_notes) < len(report.notes):
        out.extend([md(earlier_text(report, "Notes")), ""])
    if report.detailed_notes:
        out.extend(
            f"- {local(n.at)}, {md(n.place)}, {md(n.context)}: {md(n.text)}"
            for n in report.detailed_notes
        )
    else:
        out.append("No notes.")
    out.append("")
    out.append(f"_{md(FOOTER)}_")
    return "\n".join(out) + "\n"


def markdown_glance(report: Report) -> list[str]:
    """The summary block: one bold label per line, several lines as a nested list."""
    out = ["## At a glance", ""]
    for item in at_a_glance(report):
        if len(item.lines) == 1:
            out.append(f"- **{item.label}**: {md(item.lines[0])}")
        else:
            out.append(f"- **{item.label}**:")
            out.extend(f"  - {md(line)}" for line in item.lines)
    out.append("")
    return out


def markdown_deviations(report: Report) -> list[str]:
    out = ["## Deviations", ""]
    groups = deviation_box(report)
    if not groups:
        out.append(md(NO_DEVIATIONS))
    for group in groups:
        out.append(f"- **{md(group.label)}** ({group.count})")
        out.extend(f"  - {md(text)}" for text in group.items)
        if group.more:
            out.append(f"  - and {group.more} more (the JSON format lists every one)")
    out.extend(["", md(integrity_line(report)), ""])
    return out


def markdown_outcomes(report: Report) -> list[str]:
    """The outcome measures section: summary, week by week, before and after each session."""
    out = ["## Outcome measures", ""]
    if not report.outcomes:
        out.extend(["No outcome measurements in this period.", ""])
        return out
    out.extend([f"_{md(CAVEAT)}_", ""])
    out.extend(md_table(outcomes_table(report)))
    out.append("")
    out.extend(f"- {md(summary_line(s))}" for s in report.outcomes)
    out.extend(["", "### Week by week", ""])
    out.append(
        "Values taken before a session or on their own (not right after a session), "
        "per week from Monday."
    )
    out.append("")
    if report.earlier:
        out.extend([md(earlier_text(report, "Weeks")), ""])
    out.extend(md_table(weeks_table(report.detailed_outcomes)))
    out.extend(["", "### Before and after each session", ""])
    if report.earlier:
        out.extend([md(earlier_text(report, "Sessions measured")), ""])
    if any(s.changes for s in report.detailed_outcomes):
        out.extend(md_table(changes_table(report.detailed_outcomes)))
    else:
        out.append("No session was measured before and after.")
    out.append("")
    return out
