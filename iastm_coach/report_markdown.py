"""The report as Markdown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Final

from iastm_coach.outcomes import (
    CAVEAT,
    Series,
    number,
    summary_line,
)
from iastm_coach.redflags import RULES
from iastm_coach.report_tables import (
    FOOTER,
    RULES_INTRO,
    adherence_text,
    change_text,
    direction_text,
    exercise_text,
    local,
    local_day,
    minutes,
    period_text,
    rule_text,
    score,
    sets_cell,
    value_text,
)

if TYPE_CHECKING:
    from iastm_coach.report import Report

_MD_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<>|#!~"})


def md(text: str) -> str:
    """Untrusted text as inert Markdown (one line; no markup, links or HTML)."""
    flat = " ".join(text.split())
    return flat.translate(_MD_SPECIAL).replace("&", "&amp;")


def md_table(header: Sequence[str], body: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(cells) + " |" for cells in body)
    return lines


def render_markdown(report: Report) -> str:
    out: list[str] = ["# IASTM self-treatment report", ""]
    out.append(f"- Patient: {md(', '.join(report.patients)) or 'not named in the protocol'}")
    out.append(f"- Period: {period_text(report)}")
    out.append(f"- Generated: {local(report.generated)}")
    out.append(f"- Sessions: {len(report.rows)} (one per treated side)")
    out.append("")
    out.append("## Holds now in force")
    out.append("")
    if report.active_holds:
        for hold in report.active_holds:
            out.append(
                f"- **{md(hold.region)}** on hold since {local(hold.since)}: "
                f"{md(hold.reason_text())} (rules: {md(', '.join(hold.all_rules))})"
            )
    else:
        out.append("None.")
    out.append("")
    out.append("## Protocols followed")
    out.append("")
    out.extend(
        md_table(
            ["Region", "Protocol", "Version", "From", "Fingerprint", "Sessions", "First", "Last"],
            (
                [
                    md(u.region),
                    md(u.protocol_id),
                    md(u.version),
                    md(u.label),
                    f"`{md(u.fingerprint[:12])}`",
                    str(u.sessions),
                    local_day(u.first),
                    local_day(u.last),
                ]
                for u in report.protocols
            ),
        )
    )
    out.append("")
    out.append("## Adherence")
    out.append("")
    out.extend(
        md_table(
            ["Region", "Sittings", "Complete", "Interrupted", "Weeks", "Adherence", "Exercises"],
            (
                [
                    md(a.region),
                    str(a.sittings),
                    str(a.complete),
                    str(a.interrupted),
                    str(a.weeks),
                    md(adherence_text(a)),
                    md(exercise_text(a)),
                ]
                for a in report.adherence
            ),
        )
    )
    out.append("")
    out.extend(markdown_outcomes(report))
    out.append("## Red flags and holds")
    out.append("")
    if report.hold_events:
        out.extend(
            md_table(
                ["When", "Region", "Event", "Rule", "Reason"],
                (
                    [
                        local(e.at),
                        md(e.region),
                        "hold" if e.kind == "hold" else "lifted",
                        md(e.rule),
                        md(e.reason),
                    ]
                    for e in report.hold_events
                ),
            )
        )
    else:
        out.append("No red flags in this period.")
    out.append("")
    out.extend(["### Red-flag rules", "", md(RULES_INTRO), ""])
    out.extend(f"- `{md(rule)}`: {md(rule_text(rule))}" for rule in RULES)
    out.append("")
    out.append("## Screening: cautions and stops")
    out.append("")
    if report.screenings:
        out.extend(
            md_table(
                ["When", "Region", "Outcome", "Cautions cleared by a clinician", "Work around"],
                (
                    [
                        local(s.at),
                        md(s.region),
                        md(s.outcome + (f" ({s.stopped_by})" if s.stopped_by else "")),
                        md("; ".join(report.caution_label(c) for c in s.cleared_cautions)),
                        md("; ".join(report.caution_label(c) for c in s.local)),
                    ]
                    for s in report.screenings
                ),
            )
        )
    else:
        out.append("No caution answers or screening stops in this period.")
    out.append("")
    out.append("## Soreness timeline (0-10)")
    out.append("")
    out.extend(
        md_table(
            [
                "Date",
                "Region",
                "Protocol",
                "Minutes (done/planned)",
                "Status",
                "Dose",
                "After",
                "24 h",
                "48 h",
                "72 h",
                "Exercise sets",
                "Flags",
            ],
            (
                [
                    local(r.started),
                    md(r.place()),
                    f"`{md(r.fingerprint[:12])}`",
                    f"{minutes(r.actual_s)}/{minutes(r.planned_s)}",
                    r.status(dose=False),
                    f"{r.dose_percent} %",
                    score(r.soreness_after),
                    score(r.soreness_at(24)),
                    score(r.soreness_at(48)),
                    score(r.soreness_at(72)),
                    sets_cell(r),
                    md(", ".join(r.flags)),
                ]
                for r in report.rows
            ),
        )
    )
    out.append("")
    out.append("## Notes")
    out.append("")
    if report.notes:
        out.extend(
            f"- {local(n.at)}, {md(n.place)}, {md(n.context)}: {md(n.text)}" for n in report.notes
        )
    else:
        out.append("No notes.")
    out.append("")
    out.append(f"_{md(FOOTER)}_")
    return "\n".join(out) + "\n"


def markdown_outcomes(report: Report) -> list[str]:
    """The outcome measures section: summary, week by week, before and after each session."""
    out = ["## Outcome measures", ""]
    if not report.outcomes:
        out.extend(["No outcome measurements in this period.", ""])
        return out
    out.extend([f"_{md(CAVEAT)}_", ""])
    out.extend(
        md_table(
            [
                "Region",
                "Test",
                "Better when",
                "Values",
                "Weeks measured",
                "First weeks (median)",
                "Last weeks (median)",
                "Change over weeks",
                "Sessions measured before and after",
                "Average change right after",
            ],
            (
                [
                    md(s.place()),
                    md(f"{s.test} ({s.unit})"),
                    direction_text(s),
                    str(len(s.values)),
                    str(len(s.weeks)),
                    md(value_text(s.overall.early if s.overall else None, s.unit)),
                    md(value_text(s.overall.late if s.overall else None, s.unit)),
                    md(change_text(s.overall.change if s.overall else None, s.unit)),
                    str(len(s.paired)),
                    md(change_text(s.mean_session_change, s.unit)),
                ]
                for s in report.outcomes
            ),
        )
    )
    out.append("")
    out.extend(f"- {md(summary_line(s))}" for s in report.outcomes)
    out.extend(["", "### Week by week", ""])
    out.append(
        "Values taken before a session or on their own (not right after a session), "
        "per week from Monday."
    )
    out.append("")
    out.extend(md_table(WEEK_HEADER, week_rows(report.outcomes, md)))
    out.extend(["", "### Before and after each session", ""])
    if any(s.changes for s in report.outcomes):
        out.extend(md_table(CHANGE_HEADER, change_rows(report.outcomes, md)))
    else:
        out.append("No session was measured before and after.")
    out.append("")
    return out


WEEK_HEADER: Final = ("Week of", "Region", "Test", "Values", "Median", "Lowest", "Highest")
CHANGE_HEADER: Final = ("When", "Region", "Test", "Before", "After", "Change")


class SeriesWords:
    """One series' words, escaped once for a format (*escape*), for its many table rows.

    Numbers, signs, dates and our own words need no escaping; the region, test
    and unit (protocol text) go through *escape*.
    """

    def __init__(self, series: Series, escape: Callable[[str], str]) -> None:
        from iastm_coach.measure import is_score

        self.place = escape(series.place())
        self.test = escape(series.test)
        self.score = is_score(series.unit)
        self.suffix = "/10" if self.score else f" {escape(series.unit)}"

    def value(self, value: float | None) -> str:
        """'9.5 cm', '4/10', '–' when missing (as `outcomes.with_unit`)."""
        return "–" if value is None else number(value) + self.suffix

    def change(self, value: float | None) -> str:
        """'+1.5 cm', '-2 points', '–' when missing (as `outcomes.signed`)."""
        if value is None:
            return "–"
        text = ("+" if value > 0 else "") + number(value)
        return f"{text} point{'s' * (abs(value) != 1)}" if self.score else text + self.suffix


def week_rows(outcomes: Sequence[Series], escape: Callable[[str], str]) -> Iterator[list[str]]:
    """Week by week, per series: the values taken before a session or on their own."""
    for series in outcomes:
        words = SeriesWords(series, escape)
        for w in series.weeks:
            yield [
                f"{w.monday:%Y-%m-%d}",
                words.place,
                words.test,
                str(w.count),
                words.value(w.median),
                words.value(w.low),
                words.value(w.high),
            ]


def change_rows(outcomes: Sequence[Series], escape: Callable[[str], str]) -> Iterator[list[str]]:
    """Before and after each session, per series, oldest first."""
    for series in outcomes:
        words = SeriesWords(series, escape)
        for c in series.changes:
            yield [
                local(c.at),
                words.place,
                words.test,
                words.value(c.before),
                words.value(c.after),
                words.change(c.change),
            ]


