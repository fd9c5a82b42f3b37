"""How the stroke timer looks: a full-screen Rich Live view, or plain timestamped lines.

Both implement `iastm_coach.session.timer.TimerView`. Text from the protocol is
untrusted and always shown literally (`ui.literal`): "[bold]" in a cue is
printed as those seven characters, never interpreted as Rich markup.

The bars are drawn with block characters rather than Rich's ProgressBar, so
they stay readable without colour.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import IO

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.layout import Layout
from rich.live import Live
from rich.measure import Measurement
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from iastm_coach.clock import Clock
from iastm_coach.session.area_check import CHECK_QUESTION
from iastm_coach.session.timer import (
    REASSESS_WORDS,
    RunResult,
    Step,
    StepResult,
    TimerState,
    TimerView,
)
from iastm_coach.views.ui import literal

KEY_FOOTER = "space pause · n next area · q quit · ? help"
HELP_LINES = (
    ("space", "pause, and press again to carry on (paused time does not count)"),
    ("n", "end this area now and go on to the next one"),
    ("q", "quit the session (asks first); what you did so far is kept"),
    ("?", "show or hide this help"),
)
STOP_ADVICE = (
    "Stop at once if the pain turns sharp, you feel tingling or numbness, "
    "or the skin breaks or bruises."
)
BAR_WIDTH = 40
MIN_BAR = 8  # narrower, a bar says little; the compact layout takes over before that
BEAT_WIDTH = 24


def format_clock(seconds: float) -> str:
    """Whole seconds as m:ss (rounded up while counting down, so 0:00 means done)."""
    whole = max(0, int(-(-seconds // 1)))
    return f"{whole // 60}:{whole % 60:02d}"


def step_heading(step: Step) -> str:
    return f"Area {step.number}/{step.total}, {step.place}"


def step_summary(step: Step) -> str:
    """ "sweep, ankle to knee, 45°, light pressure, 60 s" (protocol text: show literally)."""
    area = step.area
    return (
        f"{area.stroke}, {area.direction}, {area.angle_deg}°, "
        f"{step.pressure} pressure, {step.planned_s} s"
    )


def bar(fraction: float, width: int = BAR_WIDTH, style: str = "green") -> Text:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return Text.assemble(("█" * filled, style), ("░" * (width - filled), "dim"))


class FittedBar:
    """A progress bar as wide as the room left (up to `BAR_WIDTH`, at least `MIN_BAR`):
    on a narrow terminal the bar gives way, never the time labels beside it."""

    def __init__(self, fraction: float, style: str = "green") -> None:
        self.fraction = fraction
        self.style = style

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(MIN_BAR, max(MIN_BAR, min(BAR_WIDTH, options.max_width)))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield bar(self.fraction, max(MIN_BAR, min(BAR_WIDTH, options.max_width)), self.style)


def beat_track(beat: float, width: int = BEAT_WIDTH) -> Text:
    """A marker sweeping once across the track per stroke; bright as each stroke starts."""
    position = min(width - 1, int(beat * width))
    marker_style = "bold reverse cyan" if beat < 0.15 else "bold cyan"
    return Text.assemble(
        ("·" * position, "dim"),
        ("●", marker_style),
        ("·" * (width - position - 1), "dim"),
    )


def summary_line(result: RunResult) -> str:
    total = len(result.steps)
    partial = sum(1 for step in result.steps if step.status == "partial")
    how = {
        "finished": "finished",
        "quit": "stopped (you quit)",
        "interrupted": "interrupted (Ctrl-C)",
    }[result.ended_by]
    parts = [f"{result.done_count} of {total} areas done"]
    if partial:
        parts.append(f"{partial} partly")
    parts.append(f"{format_clock(result.actual_s)} of {format_clock(result.planned_s)} planned")
    if result.paused_s:
        parts.append(f"paused {format_clock(result.paused_s)}")
    return f"Timed strokes {how}: " + ", ".join(parts) + "."


def _help_table() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    for key, meaning in HELP_LINES:
        table.add_row(key, meaning)
    return table


def _details(step: Step) -> Group:
    """How to hold and move the tool, in as few lines as possible."""
    area = step.area
    first = Text.assemble(
        ("Stroke ", "dim"),
        literal(area.stroke, "bold"),
        ("  ·  Angle ", "dim"),
        (f"{area.angle_deg}° to the skin", "bold"),
        ("  ·  Pressure ", "dim"),
        literal(step.pressure, "bold"),
    )
    direction = Table.grid(padding=(0, 1))
    direction.add_column(style="dim", no_wrap=True)
    direction.add_column()
    direction.add_row("Direction", literal(area.direction))
    return Group(first, direction)


def _bullets(items: Sequence[str], style: str = "") -> Table:
    """A list with hanging indents, each item shown literally."""
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column()
    for item in items:
        table.add_row(Text("•", style=style or "dim"), literal(item, style))
    return table


def _progress(state: TimerState) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim", no_wrap=True)
    table.add_column()  # the bar: it takes what the labels leave
    table.add_column(no_wrap=True)
    if state.phase == "area":
        table.add_row(
            "This area",
            FittedBar(state.area_fraction),
            f"{format_clock(state.remaining_s)} left of {format_clock(state.phase_s)}",
        )
    table.add_row(
        "Session",
        FittedBar(state.session_fraction, style="blue"),
        f"{format_clock(state.session_remaining_s)} left of {format_clock(state.session_total_s)}",
    )
    return table


def _cues_and_avoid(step: Step) -> Table:
    """Cues and danger zones side by side, to keep the screen short."""
    table = Table.grid(padding=(0, 4), expand=True)
    table.add_column(ratio=1)
    table.add_column(ratio=1)
    avoid = step.avoid
    table.add_row(Text("Cues", style="bold"), Text("Avoid", style="bold red") if avoid else Text())
    table.add_row(_bullets(step.cues), _bullets(avoid, "red") if avoid else Text())
    return table


def _banner(state: TimerState, asking_quit: bool, checking: bool = False) -> Text | None:
    if checking:
        return Text(
            f" {CHECK_QUESTION}; Enter = fine ", style="bold black on cyan", justify="center"
        )
    if asking_quit:
        return Text(
            " Quit the session? y = quit, n = carry on ",
            style="bold white on red",
            justify="center",
        )
    if state.paused:
        return Text(
            " PAUSED: press space to carry on ", style="bold black on yellow", justify="center"
        )
    if state.reassessing:
        return Text(
            f" {REASSESS_WORDS} ({format_clock(state.reassess_left_s)}) ",
            style="bold black on cyan",
            justify="center",
        )
    return None


def render_state(
    state: TimerState, *, asking_quit: bool = False, checking: bool = False
) -> RenderableType:
    """The picture for one moment of the timer.

    Most urgent first (banner, countdown, beat), then how to do the stroke,
    then cues and danger zones: on a short terminal, the bottom is cut.
    """
    step = state.step
    parts: list[RenderableType] = []
    if state.phase == "transition":
        parts.append(Text(f"Next area in {format_clock(state.remaining_s)}", style="bold yellow"))
    parts.append(Text.assemble((step_heading(step), "dim"), ": ", literal(step.area.name, "bold")))
    banner = _banner(state, asking_quit, checking)
    parts.append(banner if banner is not None else Text())
    if state.reassessing:
        parts.append(Text("Lift the tool; strokes carry on after the pause.", style="dim"))
    elif state.phase == "area":
        parts.append(
            Text.assemble(
                ("Stroke beat  ", "dim"),
                beat_track(state.beat),
                f"  one every {step.area.cadence_s:g} s · stroke {state.strokes + 1}",
            )
        )
    else:
        parts.append(Text("Get into position for this area.", style="dim"))
    parts.append(_progress(state))
    nxt = state.next_step
    if nxt is not None:
        parts.append(
            Text.assemble(("Next: ", "dim"), step_heading(nxt), ": ", literal(nxt.area.name))
        )
    else:
        parts.append(Text("Next: this is the last area", style="dim"))
    parts.append(Text())
    parts.append(_details(step))
    if state.help_shown:
        parts.append(Text("Keys", style="bold"))
        parts.append(_help_table())
        parts.append(Text(STOP_ADVICE, style="yellow"))
    else:
        parts.append(_cues_and_avoid(step))
    return Panel(Group(*parts), title="iastm-coach · timed strokes", padding=(0, 1))


# Below this size the full panel would be cut at the bottom, danger zones first.
FULL_MIN_WIDTH = 70
FULL_MIN_HEIGHT = 30


def compact_state(
    state: TimerState,
    *,
    width: int,
    height: int,
    asking_quit: bool = False,
    checking: bool = False,
) -> Group:
    """The picture for a small terminal (60x20, 40x15): no box, most urgent first, and the
    danger zones right after the countdown so they are never the part that is cut. What
    does not fit is named on the last line instead of vanishing."""
    step = state.step
    must: list[RenderableType] = []
    if state.phase == "transition":
        must.append(Text(f"Next area in {format_clock(state.remaining_s)}", style="bold yellow"))
    must.append(Text.assemble((step_heading(step), "dim"), ": ", literal(step.area.name, "bold")))
    banner = _banner(state, asking_quit, checking)
    if banner is not None:
        must.append(banner)
    if state.phase == "area":
        must.append(
            Text(
                f"{format_clock(state.remaining_s)} left · stroke {state.strokes + 1}, one "
                f"every {step.area.cadence_s:g} s · session "
                f"{format_clock(state.session_remaining_s)} left"
            )
        )
    for place in step.area.avoid:
        must.append(Text.assemble(("AVOID ", "bold red"), literal(place, "red")))
    area = step.area
    must.append(
        Text.assemble(
            literal(area.stroke, "bold"),
            f", {area.angle_deg}°, ",
            literal(area.pressure, "bold"),
            " pressure",
        )
    )
    optional: list[tuple[str, RenderableType]] = [
        ("direction", Text.assemble(("Direction ", "dim"), literal(area.direction))),
        *[("cues", Text.assemble(("· ", "dim"), literal(cue))) for cue in area.cues],
    ]
    nxt = state.next_step
    if nxt is not None:
        optional.append(
            (
                "next area",
                Text.assemble(("Next: ", "dim"), step_heading(nxt), ": ", literal(nxt.area.name)),
            )
        )
    measure = Console(width=max(width, 10), file=io.StringIO(), color_system=None)

    def lines(item: RenderableType) -> int:
        return len(measure.render_lines(item, measure.options, pad=False))

    used = sum(lines(item) for item in must)
    fitted: list[tuple[str, RenderableType, int]] = []
    for name, item in optional:
        size = lines(item)
        if used + size > height:
            break
        fitted.append((name, item, size))
        used += size
    hidden = [name for name, _ in optional[len(fitted) :]]

    def note() -> Text:
        names = ", ".join(dict.fromkeys(hidden))  # "cues" once, however many
        return Text(f"Not shown on this small window: {names}.", style="dim")

    while hidden and fitted and used + lines(note()) > height:  # room for saying so
        name, _, size = fitted.pop()
        hidden.insert(0, name)
        used -= size
    shown = must + [item for _, item, _ in fitted]
    if hidden:
        shown.append(note())
    return Group(*shown)


SHORT_FOOTER = "space pause · n next · q quit · ? help"


def footer(width: int | None = None) -> Text:
    """The keys line; the short wording on a terminal too narrow for the long one."""
    narrow = width is not None and width < len(KEY_FOOTER) + 2
    return Text(SHORT_FOOTER if narrow else KEY_FOOTER, style="dim", justify="center")


class LiveTimerView:
    """Full-screen Rich Live view. `close()` leaves the alternate screen."""

    def __init__(self, console: Console, *, bell: bool = True, screen: bool = True) -> None:
        self.console = console
        self.ring = bell
        self.screen = screen
        self._live: Live | None = None
        self._state: TimerState | None = None
        self._asking_quit = False
        self._checking = False

    def start(self, plan: Sequence[Step]) -> None:
        self._live = Live(
            console=self.console,
            screen=self.screen,
            auto_refresh=False,  # we refresh on each tick: no second thread
            transient=True,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._live.start()

    def render(self) -> RenderableType:
        """The current picture; on the full screen the key footer stays at the bottom."""
        if self._state is None:
            return Text("")
        width, height = self.console.size
        if self.screen and (width < FULL_MIN_WIDTH or height < FULL_MIN_HEIGHT):
            body: RenderableType = compact_state(
                self._state,
                width=width,
                height=height - 1,
                asking_quit=self._asking_quit,
                checking=self._checking,
            )
        else:
            body = render_state(self._state, asking_quit=self._asking_quit, checking=self._checking)
        if not self.screen:
            return Group(body, footer())
        layout = Layout()
        layout.split_column(Layout(body, name="body"), Layout(footer(width), name="footer", size=1))
        return layout

    def _show(self, state: TimerState | None = None) -> None:
        if state is not None:
            self._state = state
        if self._live is not None:
            self._live.update(self.render(), refresh=True)

    def step_started(self, state: TimerState) -> None:
        self._show(state)

    def tick(self, state: TimerState) -> None:
        self._show(state)

    def transition(self, state: TimerState) -> None:
        self._show(state)

    def step_ended(self, state: TimerState, result: StepResult) -> None:
        self._show(state)

    def paused(self, state: TimerState) -> None:
        self._show(state)

    def help(self, state: TimerState) -> None:
        self._show(state)

    def quit_prompt(self, asking: bool) -> None:
        self._asking_quit = asking
        self._show()

    def check_prompt(self, asking: bool) -> None:
        self._checking = asking
        self._show()

    def bell(self) -> None:
        if self.ring:
            self.console.bell()

    def close(self) -> None:
        if self._live is not None:
            live, self._live = self._live, None
            live.stop()

    def finish(self, result: RunResult) -> None:
        self.console.print(Text(summary_line(result)))


class PlainTimerView:
    """Timestamped lines, no cursor movement: for pipes, NO_COLOR and --plain."""

    def __init__(
        self, out: Console | IO[str], clock: Clock, *, bell: bool = False, keys: bool = False
    ) -> None:
        self.keys = keys  # the keys work (a terminal at the input): say which
        if isinstance(out, Console):
            self.console = out
        else:
            self.console = Console(file=out, highlight=False, no_color=True, soft_wrap=True)
        self.clock = clock
        self.ring = bell
        self._halfway_said = False
        self._reassess_said = False

    def _line(self, text: Text | str, *, stamp: bool = True) -> None:
        line = Text(f"[{self.clock.now().strftime('%H:%M:%S')}] " if stamp else " " * 11)
        line.append_text(text if isinstance(text, Text) else Text(text))
        self.console.print(line, soft_wrap=True, highlight=False)

    def start(self, plan: Sequence[Step]) -> None:
        total = sum(step.planned_s for step in plan)
        self._line(f"Timed strokes: {len(plan)} areas, {format_clock(total)} in all.")
        if self.keys:
            self._line(f"Keys: {KEY_FOOTER}.", stamp=False)

    def step_started(self, state: TimerState) -> None:
        step = state.step
        self._halfway_said = False
        self._line(
            Text.assemble(
                step_heading(step),
                ": ",
                literal(step.area.name),
                " — ",
                literal(step_summary(step)),
            )
        )
        self._line(Text(f"One slow stroke every {step.area.cadence_s:g} s."), stamp=False)
        for cue in step.cues:
            self._line(Text("· ") + literal(cue), stamp=False)
        for place in step.avoid:
            self._line(Text("Avoid: ") + literal(place), stamp=False)

    def tick(self, state: TimerState) -> None:
        if state.reassessing and not self._reassess_said:
            self._line(f"{REASSESS_WORDS} ({round(state.reassess_left_s)} s)")
        self._reassess_said = state.reassessing
        if (
            state.phase == "area"
            and not state.reassessing
            and not self._halfway_said
            and not state.paused
            and state.elapsed_s >= state.phase_s / 2
            and state.remaining_s > 0
        ):
            self._halfway_said = True
            # The real half of the area, not what is left at this tick: under a time scale
            # a tick is many protocol seconds, and "15 s left" of a 45 s area misleads.
            self._line(f"Halfway: {int(state.phase_s - state.phase_s / 2)} s left.")

    def transition(self, state: TimerState) -> None:
        step = state.step
        self._line(
            Text.assemble(
                f"Break, {round(state.phase_s)} s. Next: ",
                step_heading(step),
                ": ",
                literal(step.area.name),
            )
        )

    def step_ended(self, state: TimerState, result: StepResult) -> None:
        if result.status == "done":
            self._line(f"Area done ({result.actual_s} s).")
        elif result.status == "partial":
            self._line(f"Area ended early ({result.actual_s} of {result.planned_s} s).")
        else:
            self._line("Area skipped.")

    def paused(self, state: TimerState) -> None:
        self._line("Paused: press space to carry on." if state.paused else "Carrying on.")

    def help(self, state: TimerState) -> None:
        if not state.help_shown:
            return
        for key, meaning in HELP_LINES:
            self._line(f"{key:<6} {meaning}", stamp=False)
        self._line(STOP_ADVICE, stamp=False)

    def quit_prompt(self, asking: bool) -> None:
        if asking:
            self._line("Quit the session? y = quit, n = carry on")

    def check_prompt(self, asking: bool) -> None:
        if asking:
            self._line(f"{CHECK_QUESTION}; Enter = fine")

    def bell(self) -> None:
        if self.ring and self.console.is_terminal:
            self.console.bell()

    def close(self) -> None:
        return None

    def finish(self, result: RunResult) -> None:
        self._line(summary_line(result))


def make_timer_view(
    console: Console, *, plain: bool, bell: bool, clock: Clock, keys: bool = False
) -> TimerView:
    """The Live view on a capable terminal; plain lines when asked or when output is not one
    (*keys*: the timer's keys work, so the plain lines name them)."""
    if plain or not console.is_terminal or console.is_dumb_terminal or console.no_color:
        return PlainTimerView(console, clock, bell=bell, keys=keys)
    return LiveTimerView(console, bell=bell)
