"""Today's plan on screen (`iastm-coach today`, and `iastm-coach` alone)."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.text import Text

from iastm_coach.plans.today import FIRST_REGION, RegionStatus, TodayPlan
from iastm_coach.safety.holds import clear_command
from iastm_coach.safety.redflags import hold_reminder
from iastm_coach.views.ui import literal
from iastm_coach.vocabulary import describe_end, describe_moment, describe_wait, place_label, until


def _week(item: RegionStatus) -> str:
    if item.sessions_per_week is None:
        count = item.sessions_this_week
        return f"{count} session{'s' * (count != 1)} this week"
    return f"{item.sessions_this_week} of {item.sessions_per_week} sessions this week"


def _note(item: RegionStatus) -> Text:

    return literal(f" · {item.note}") if item.note else literal("")


MIN_TEXT_WIDTH: Final = 20  # narrower than this, the two columns are stacked


class _Aligned:
    """Two columns without a table (no padding spaces at the ends of lines): a long right
    column wraps under itself (a hanging indent), never back to the left edge."""

    def __init__(self, rows: list[tuple[Text, Text]], indent: int, gap: int = 3) -> None:
        self.rows = rows
        self.indent = indent
        self.gap = gap

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max((len(left) for left, _ in self.rows), default=0)
        hang = self.indent + width + self.gap
        stacked = options.max_width - hang < MIN_TEXT_WIDTH  # too narrow for two columns
        if stacked:  # each left cell on its own line, its text indented under it
            hang = self.indent + 2
        for left, right in self.rows:
            line = Text(" " * self.indent) + left
            if not right:
                yield line
                continue
            if stacked:
                yield line
                line = Text(" " * hang)
            else:
                line.append(" " * (width - len(left) + self.gap))
            wrapped = right.wrap(console, max(1, options.max_width - hang))
            for number, part in enumerate(wrapped):
                part.rstrip()
                yield line + part if number == 0 else Text(" " * hang) + part


def _aligned(rows: list[tuple[Text, Text]], indent: int = 2, gap: int = 3) -> list[RenderableType]:
    return [_Aligned(rows, indent, gap)]


def render_welcome() -> RenderableType:

    steps = _aligned(
        [
            (
                Text("iastm-coach learn", style="bold"),
                Text("what scraping is, what is normal, the evidence"),
            ),
            (Text("iastm-coach protocol list", style="bold"), Text("the regions and protocols")),
            (
                Text(f"iastm-coach session {FIRST_REGION}", style="bold"),
                Text("a guided session; a safety check comes first"),
            ),
        ]
    )
    return Group(
        Text("Welcome to iastm-coach. Nothing is recorded yet.", style="bold"),
        Text(),
        Text("Where to start:"),
        *steps,
        Text(),
        Text("If your physio gave you a protocol file, install it first:"),
        Text("  iastm-coach protocol install FILE", style="bold"),
        Text("iastm-coach guides home self-treatment; it does not diagnose."),
    )


def follow_up_window(hours: int, closes: datetime, now: datetime) -> str:
    """'48 h follow-up, open until today 18:30', or, once its window has passed unanswered,
    '48 h follow-up, overdue (window closed Sat 12 Dec 09:00): answer now, for how it is
    today' (never 'open until' a moment already past: it is still asked, and still counts
    for the session gate, as `history/followups.py` says)."""
    if closes > now:
        return f"{hours} h follow-up, open until {describe_end(closes, now)}"
    return (
        f"{hours} h follow-up, overdue (window closed {describe_end(closes, now)}): "
        "answer now, for how it is today"
    )


def render_plan(plan: TodayPlan) -> RenderableType:
    """The one screen: check-ins, due, resting, on hold, done for the week, next step."""

    if plan.new_user:
        return render_welcome()
    now = plan.now
    parts: list[RenderableType] = [Text(f"Today: {now:%a} {now.day} {now:%b %H:%M}", style="bold")]

    def section(title: str, rows: list[tuple[Text, Text]]) -> None:
        if rows:
            parts.extend([Text(), Text(title, style="bold"), *_aligned(rows)])

    if plan.checkins_due:
        section(
            "Check-ins due: run `iastm-coach checkin`",
            [
                (
                    literal(
                        place_label(
                            str(c.session.data.get("region", "")),
                            str(c.session.data.get("side", "none")),
                        )
                    ),
                    Text(follow_up_window(c.hours, c.closes, now)),
                )
                for c in plan.checkins_due
            ],
        )

    def last(item: RegionStatus) -> str:
        if item.last_ended is None:
            return "not treated yet"
        return f"last session {describe_moment(item.last_ended, now, with_time=False)}"

    section(
        "Due",
        [
            (literal(i.region, "green"), Text(f"{last(i)} · {_week(i)}") + _note(i))
            for i in plan.due
        ],
    )
    section(
        "Resting",
        [
            (
                literal(i.region),
                Text(
                    f"until {describe_end(i.until, now)} "
                    f"(in {describe_wait(until(i.until, now))}) · {_week(i)}"
                )
                + _note(i),
            )
            for i in plan.resting
            if i.until is not None
        ],
    )
    if plan.on_hold:
        holds: list[RenderableType] = [
            Text(),
            Text("On hold: see your clinician before treating these again", style="bold"),
        ]
        for item in plan.on_hold:
            since = f"since {describe_moment(item.hold.since, now)}: " if item.hold else ""
            reasons = item.hold.all_reasons if item.hold else ("",)
            held = item.hold.region if item.hold else item.region
            shown = reasons[0] if held == item.region else f"{held} on hold: {reasons[0]}"
            first = Text(since) + literal(shown)
            rows = [(literal(item.region, "red"), first)]
            urgent = hold_reminder(item.hold.region, item.hold.all_rules) if item.hold else ""
            if urgent:  # the same-day advice leads, before the reasons (§8b)
                rows = [(literal(item.region, "red"), Text(urgent, style="bold red"))]
                rows.append((Text(), first))
            if item.note:
                rows.append((Text(), literal(item.note)))
            # Every red flag since the hold began, one a line.
            rows += [(Text(), Text("also: ") + literal(reason)) for reason in reasons[1:]]
            holds.extend(_aligned(rows))
            command = literal(clear_command(item.hold, '"..."') if item.hold else "")
            lift = Text("then lift the hold:", style="dim")
            holds.extend(_aligned([(lift, command)], indent=4, gap=1))
        parts.extend(holds)
    section(
        "Waiting: not yet",
        [(literal(i.region, "yellow"), literal(i.note)) for i in plan.waiting],
    )
    section(
        "Time to review with your clinician",
        [(literal(i.region, "yellow"), literal(i.note)) for i in plan.review],
    )
    section(
        "Done for this week",
        [
            (
                literal(i.region),
                Text(_week(i) + (f" · next from {describe_end(i.until, now)}" if i.until else "")),
            )
            for i in plan.done_for_week
        ],
    )
    section(
        "Needs attention",
        [(literal(i.region, "yellow"), literal(i.problem)) for i in plan.problems],
    )

    parts.append(Text())
    if plan.next_command:
        parts.append(Text("Next: ", style="bold") + literal(plan.next_command))
    elif (upcoming := plan.next_up) is not None and upcoming.until is not None:
        parts.append(
            Text("Nothing is due today. Next session: ", style="bold")
            + literal(upcoming.region)
            + Text(f" from {describe_end(upcoming.until, now)}.")
        )
    else:
        parts.append(Text("Nothing is due today.", style="bold"))
    return Group(*parts)
