"""How the timer looks: the Live view's picture and the plain line view, on a fake clock."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import pytest
from rich.console import Console

from iastm_coach.session.timer import RunResult, StepResult, TimerState, build_plan
from iastm_coach.views.timer import (
    LiveTimerView,
    PlainTimerView,
    beat_track,
    format_clock,
    make_timer_view,
    render_state,
    summary_line,
)
from tests.fakes import (
    FakeClock,
    RecordingView,
    ScriptedConfirm,
    area_data,
    make_protocol,
    run_scripted,
)

HOSTILE_NAME = "Medial [bold]x[/bold]"
HOSTILE_CUE = "[link=http://evil]click me[/link]"
ANSI = re.compile(r"\x1b[\[\]]")


def hostile_protocol() -> object:
    return make_protocol(
        [
            area_data(
                HOSTILE_NAME,
                cues=[HOSTILE_CUE, "Discomfort 5/10 at most"],
                avoid=["The back of the knee", "[red]varicose veins[/red]"],
            ),
            area_data("Soleus", stroke="fan", pressure="moderate", angle_deg=30),
        ]
    )


def states(script: list[tuple[float, str]] | None = None) -> RecordingView:
    view = RecordingView()
    plan = build_plan(hostile_protocol(), ["left", "right"])  # type: ignore[arg-type]
    run_scripted(plan, script or [], view=view)
    return view


def area_state(at: float = 30.0, **changes: object) -> TimerState:
    """The first area's snapshot `at` seconds in."""
    ticks: list[TimerState] = states().of("tick")
    state = next(s for s in ticks if s.phase == "area" and s.elapsed_s >= at - 1e-9)
    from dataclasses import replace

    return replace(state, **changes)  # type: ignore[arg-type]


def text_console(**options: object) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=False, **options)  # type: ignore[arg-type]
    return console, out


def render(state: TimerState, *, asking_quit: bool = False) -> str:
    console, out = text_console()
    console.print(render_state(state, asking_quit=asking_quit))
    return out.getvalue()


# -- the Live picture ---------------------------------------------------------------


def test_the_live_picture_shows_a_reassess_pause_and_the_break_check() -> None:
    """In a reassess pause the banner says what to do and the beat gives way; at a break
    the discomfort check is a banner with its keys."""
    pausing = render(area_state(30.0, reassess_left_s=3.0))
    assert "Pause: look at the skin. How is the discomfort? (0:03)" in pausing
    assert "Stroke beat" not in pausing
    console, out = text_console()
    console.print(render_state(area_state(30.0), checking=True))
    assert "Discomfort now? 0-9 (7 or more stops), s = sharp pain, t = tingling" in out.getvalue()


def test_both_views_show_today_s_adjusted_plan() -> None:
    """After a cleared caution the timer shows the capped pressure, the skin-check cue in
    place of 'Discomfort 5/10' and the spot to work around, live and plain alike."""
    plan = build_plan(
        hostile_protocol(),  # type: ignore[arg-type]
        ["left"],
        pressure_cap="light",
        skin_check=True,
        avoid=["The scar you mentioned today: work around it, never over it"],
    )
    soleus = plan[1]
    assert soleus.area.pressure == "moderate" and soleus.pressure == "light"
    view = RecordingView()
    clock = FakeClock()
    run_scripted(plan, clock=clock, view=view)
    state = next(s for s in view.of("tick") if s.phase == "area" and s.step is soleus)
    live = render(state)
    console, out = text_console()
    plain = PlainTimerView(console, clock)
    plain.step_started(state)
    for screen in (live, out.getvalue()):
        assert "Pressure light" in screen or "light pressure" in screen
        assert "moderate" not in screen
        assert "Look at the skin every 15 strokes" in screen
        assert "The scar you mentioned today" in screen
    assert "Discomfort 5/10" not in render(replace(state, step=plan[0]))


def test_area_screen_shows_everything_needed_to_do_the_stroke() -> None:
    """Area, side, stroke, direction, angle, pressure, cues, avoid, countdowns, beat, next."""
    screen = render(area_state(30.0))
    for expected in [
        "Area 1/4, left calf",
        HOSTILE_NAME,
        "Stroke sweep  ·  Angle 45° to the skin  ·  Pressure light",
        "Direction ankle to knee",
        "Cues",
        HOSTILE_CUE,
        "Discomfort 5/10 at most",
        "Avoid",
        "The back of the knee",
        "[red]varicose veins[/red]",
        "0:30 left of 1:00",
        "Session",
        "3:30 left of 4:00",
        "Stroke beat",
        "one every 1.5 s · stroke 21",
        "Next: Area 2/4, left calf: Soleus",
    ]:
        assert expected in screen, expected
    assert "PAUSED" not in screen


def test_protocol_text_is_never_markup_even_on_a_colour_terminal() -> None:
    """ "[bold]" and "[link=...]" are shown as typed; no hyperlink or style escapes from them."""
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=True, color_system="truecolor")
    console.print(render_state(area_state()))
    screen = out.getvalue()
    assert "\x1b]8;" not in screen  # no OSC 8 hyperlink
    plain = ANSI.sub("", screen)
    assert "[link=http://evil]" in re.sub(r"\[[0-9;]*m", "", plain)
    assert "[bold]x[/bold]" in re.sub(r"\[[0-9;]*m", "", plain)


def test_bars_fill_with_progress() -> None:
    """Half an area: the area bar is half full (20 of 40 blocks)."""
    screen = render(area_state(30.0))
    area_line = next(line for line in screen.splitlines() if "This area" in line)
    assert area_line.count("█") == 20
    assert area_line.count("░") == 20


def test_paused_banner() -> None:
    """Paused: a banner says so and how to carry on."""
    assert "PAUSED: press space to carry on" in render(area_state(paused=True))


def test_quit_question_replaces_the_paused_banner() -> None:
    """While asking to quit, the question is shown (the timer is paused meanwhile)."""
    screen = render(area_state(paused=True), asking_quit=True)
    assert "Quit the session? y = quit, n = carry on" in screen
    assert "PAUSED" not in screen


def test_help_overlay_lists_the_keys_and_the_stop_advice() -> None:
    """`?`: the keys and when to stop, in place of the cues."""
    screen = render(area_state(help_shown=True))
    assert "space  pause" in screen
    assert "n      end this area now" in screen
    assert "q      quit the session" in screen
    assert "Stop at once if the pain turns sharp" in screen
    assert HOSTILE_CUE not in screen


def test_break_screen_announces_the_next_area() -> None:
    """Between areas: what comes next and in how long; no area countdown."""
    state: TimerState = states().of("transition")[0]
    screen = render(state)
    assert "Next area in 0:05" in screen
    assert "Area 2/4, left calf: Soleus" in screen
    assert "Stroke fan  ·  Angle 30° to the skin  ·  Pressure moderate" in screen
    assert "Get into position" in screen
    assert "This area" not in screen
    assert "3:00 left of 4:00" in screen


def test_last_area_says_so() -> None:
    """No "next" on the last area."""
    ticks: list[TimerState] = states().of("tick")
    assert "this is the last area" in render(ticks[-1])


def test_beat_marker_moves_once_per_stroke() -> None:
    """The marker sweeps the track: start at the left, half-way in the middle."""
    assert beat_track(0.0).plain.index("●") == 0
    assert beat_track(0.5).plain.index("●") == 12
    assert beat_track(0.999).plain.index("●") == 23
    assert len(beat_track(0.3).plain) == 24


@pytest.mark.parametrize(
    ("seconds", "shown"), [(0, "0:00"), (0.2, "0:01"), (59.01, "1:00"), (60, "1:00"), (125, "2:05")]
)
def test_format_clock_rounds_up_while_counting_down(seconds: float, shown: str) -> None:
    """0:00 appears only when the time is really up."""
    assert format_clock(seconds) == shown


# -- the Live view's lifecycle -----------------------------------------------------


@pytest.fixture(name="xterm")
def _xterm(monkeypatch: pytest.MonkeyPatch) -> None:
    """A capable terminal (conftest sets TERM=dumb, where Rich draws no Live frames)."""
    monkeypatch.setenv("TERM", "xterm-256color")


def terminal_console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=100, height=40, force_terminal=True), out


@pytest.mark.usefixtures("xterm")
def test_live_view_runs_a_whole_plan_and_restores_the_screen() -> None:
    """Full screen on, frames drawn, full screen off, then a one-line summary."""
    console, out = terminal_console()
    view = LiveTimerView(console, bell=True)
    plan = build_plan(hostile_protocol(), ["left"])  # type: ignore[arg-type]
    result = run_scripted(plan, [(10.0, " "), (12.0, " ")], view=view, time_scale=0.1)
    text = out.getvalue()
    assert result.finished
    assert text.count("\x1b[?1049h") == 1  # alternate screen on...
    assert text.rindex("\x1b[?1049l") > text.rindex("Soleus")  # ...and off after the last frame
    assert text.endswith(
        "Timed strokes finished: 2 of 2 areas done, 2:00 of 2:00 planned, paused 0:20.\n"
    )
    assert "\x1b[?25h" in text  # cursor shown again
    assert "PAUSED" in text
    assert text.count("\x07") == 2  # a bell at the break and at the end


@pytest.mark.usefixtures("xterm")
def test_live_view_bell_can_be_off() -> None:
    """bell=False: no BEL character at all."""
    console, out = terminal_console()
    view = LiveTimerView(console, bell=False)
    view.start([])
    view.bell()
    view.close()
    assert "\x07" not in out.getvalue()


def test_live_view_close_is_safe_twice_and_finish_prints_summary() -> None:
    """close() is idempotent; finish() prints after the screen is restored."""
    console, out = text_console()
    view = LiveTimerView(console)
    view.start([])
    view.close()
    view.close()
    view.finish(RunResult([StepResult("left", "A", 60, 60, "done")], "finished", 60, 60))
    assert "Timed strokes finished: 1 of 1 areas done, 1:00 of 1:00 planned." in out.getvalue()


def test_live_view_shows_quit_question_on_request() -> None:
    """quit_prompt(True) redraws with the question; False takes it away."""
    view = LiveTimerView(text_console()[0])
    view._state = area_state()
    view.quit_prompt(True)
    console, out = text_console()
    console.print(view.render())
    assert "Quit the session?" in out.getvalue()
    view.quit_prompt(False)
    console, out = text_console()
    console.print(view.render())
    assert "Quit the session?" not in out.getvalue()


# -- the plain view ------------------------------------------------------------------


def plain_run(
    script: list[tuple[float, object]] | None = None, confirm: ScriptedConfirm | None = None
) -> str:
    out = io.StringIO()
    clock = FakeClock()
    plan = build_plan(make_protocol(), ["left", "right"])
    run_scripted(
        plan,
        script or [],  # type: ignore[arg-type]
        clock=clock,
        view=PlainTimerView(out, clock, bell=True),
        confirm=confirm,
    )
    return out.getvalue()


def test_plain_view_prints_timestamped_cue_lines() -> None:
    """The header, cues, a halfway line and "Area done", each timestamped."""
    lines = plain_run().splitlines()
    assert lines[:7] == [
        "[18:30:00] Timed strokes: 6 areas, 6:00 in all.",
        "[18:30:00] Area 1/6, left calf: Medial gastrocnemius — sweep, ankle to knee, 45°, "
        "light pressure, 60 s",
        "           One slow stroke every 1.5 s.",
        "           · Slow strokes",
        "           · Discomfort 5/10 at most",
        "           Avoid: The back of the knee",
        "[18:30:30] Halfway: 30 s left.",
    ]
    assert lines[7:9] == [
        "[18:31:00] Area done (60 s).",
        "[18:31:00] Break, 5 s. Next: Area 2/6, left calf: Lateral gastrocnemius",
    ]
    assert lines[9].startswith("[18:31:05] Area 2/6, left calf: Lateral gastrocnemius — ")
    assert lines[-1] == (
        "[18:36:25] Timed strokes finished: 6 of 6 areas done, 6:00 of 6:00 planned."
    )


def test_plain_view_has_no_escapes_or_bells_in_a_pipe() -> None:
    """Safe for pipes and NO_COLOR: no ANSI sequences, no BEL, no long-line wrapping."""
    text = plain_run([(10.0, " "), (15.0, " "), (20.0, "?")])
    assert not ANSI.search(text)
    assert "\x07" not in text
    assert "[18:30:10] Paused: press space to carry on." in text
    assert "[18:30:15] Carrying on." in text
    assert "           q      quit the session (asks first); what you did so far is kept" in text
    assert all(len(line) < 200 for line in text.splitlines())


def test_plain_view_reports_early_ends_and_quitting() -> None:
    """`n` and `q` show up as lines; the summary says how it ended."""
    text = plain_run([(20.0, "n"), (70.0, "q")], confirm=ScriptedConfirm(True))
    assert "[18:30:20] Area ended early (20 of 60 s)." in text
    assert "[18:30:25] Area 2/6" in text
    assert text.endswith(
        "[18:31:10] Timed strokes stopped (you quit): 0 of 6 areas done, 2 partly, "
        "1:05 of 6:00 planned.\n"
    )


def test_plain_view_shows_protocol_text_literally() -> None:
    """Markup in a protocol is printed as typed."""
    out = io.StringIO()
    clock = FakeClock()
    plan = build_plan(hostile_protocol(), ["left"])  # type: ignore[arg-type]
    run_scripted(plan, clock=clock, view=PlainTimerView(out, clock), time_scale=0.01)
    text = out.getvalue()
    assert f"Area 1/2, left calf: {HOSTILE_NAME} — sweep" in text
    assert f"· {HOSTILE_CUE}" in text
    assert "Avoid: [red]varicose veins[/red]" in text


def test_summary_line_for_an_interruption() -> None:
    """Ctrl-C: the summary says so and counts partial areas."""
    result = RunResult(
        [
            StepResult("left", "A", 60, 60, "done"),
            StepResult("left", "B", 60, 12, "partial"),
            StepResult("left", "C", 60, 0, "not-started"),
        ],
        "interrupted",
        180,
        72,
        paused_s=5,
    )
    assert summary_line(result) == (
        "Timed strokes interrupted (Ctrl-C): 1 of 3 areas done, 1 partly, "
        "1:12 of 3:00 planned, paused 0:05."
    )


# -- the factory -------------------------------------------------------------------


@pytest.mark.usefixtures("xterm")
def test_factory_picks_the_live_view_only_on_a_colour_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """--plain, a pipe, NO_COLOR or a dumb terminal all get plain lines."""
    clock = FakeClock()
    terminal = Console(file=io.StringIO(), force_terminal=True)
    assert isinstance(make_timer_view(terminal, plain=False, bell=True, clock=clock), LiveTimerView)
    assert isinstance(make_timer_view(terminal, plain=True, bell=True, clock=clock), PlainTimerView)
    pipe = Console(file=io.StringIO(), force_terminal=False)
    assert isinstance(make_timer_view(pipe, plain=False, bell=True, clock=clock), PlainTimerView)
    no_color = Console(file=io.StringIO(), force_terminal=True, no_color=True)
    assert isinstance(
        make_timer_view(no_color, plain=False, bell=True, clock=clock), PlainTimerView
    )
    monkeypatch.setenv("TERM", "dumb")
    assert isinstance(
        make_timer_view(terminal, plain=False, bell=True, clock=clock), PlainTimerView
    )


@pytest.mark.parametrize(("width", "height"), [(60, 20), (40, 15), (40, 10), (110, 40)])
def test_a_small_terminal_gets_a_compact_screen_with_every_danger_zone(
    width: int, height: int
) -> None:
    """At 60x20 and 40x15 the full panel would be cut at the bottom, danger zones first: the
    compact screen shows the countdown and every danger zone, and names what it leaves out."""
    out = io.StringIO()
    console = Console(file=out, width=width, height=height, force_terminal=False)
    view = LiveTimerView(console)
    view._state = area_state()
    console.print(view.render())
    text = out.getvalue()
    lines = text.splitlines()
    assert len(lines) <= height
    flat = " ".join(line.strip() for line in lines)
    assert "The back of the knee" in flat and "[red]varicose veins[/red]" in flat
    assert "left" in flat and "? help" in flat
    if height < 30:
        hidden = re.search(r"Not shown on this small window: ([a-z, ]+)\.", flat)
        shown_cues = "Discomfort 5/10 at most" in flat
        assert hidden is not None or shown_cues
        if hidden is not None:
            assert not shown_cues or "cues" not in hidden.group(1)


@pytest.mark.parametrize("width", [70, 80])
def test_on_a_narrower_full_screen_the_bars_give_way_not_the_times(width: int) -> None:
    """70 columns (the narrowest full panel), tall enough: the time labels ('0:30 left of 0:45')
    were cut to '0:…' and 'This area' to 'This ar…'; the bars now shrink instead."""
    out = io.StringIO()
    console = Console(file=out, width=width, height=40, force_terminal=False)
    view = LiveTimerView(console)
    view._state = area_state()
    console.print(view.render())
    text = out.getvalue()
    assert "…" not in "".join(line for line in text.splitlines() if "left of" in line)
    assert re.search(r"This area .* \d+:\d\d left of \d+:\d\d", text)
    assert re.search(r"Session .* \d+:\d\d left of \d+:\d\d", text)


def test_what_does_not_fit_is_named() -> None:
    """40x10: the cues do not fit under the danger zones, and the screen says so."""
    out = io.StringIO()
    console = Console(file=out, width=40, height=10, force_terminal=False)
    view = LiveTimerView(console)
    view._state = area_state()
    console.print(view.render())
    flat = " ".join(line.strip() for line in out.getvalue().splitlines())
    assert "Not shown on this small window: direction, cues, next area." in flat
    assert "AVOID The back of the knee" in flat


def test_plain_halfway_line_says_the_real_half_even_when_ticks_are_coarse() -> None:
    """With IASTM_COACH_TIME_SCALE a tick is many protocol seconds: a 45 s area's first tick
    past its half came at 30 s and said 'Halfway: 15 s left'. It says the real half."""
    out = io.StringIO()
    clock = FakeClock()
    protocol = make_protocol(areas=[area_data("Inner calf", 45), area_data("Soleus", 30)])
    plan = build_plan(protocol, ["left"])
    run_scripted(plan, clock=clock, view=PlainTimerView(out, clock, bell=False), tick_s=10)
    halfway = [line.split("] ", 1)[1] for line in out.getvalue().splitlines() if "Halfway" in line]
    assert halfway == ["Halfway: 22 s left.", "Halfway: 15 s left."]
