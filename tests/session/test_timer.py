"""The stroke timer: plan building and the runner, on a fake clock (no sleeping)."""

from __future__ import annotations

import dataclasses
import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iastm_coach.session.timer import (
    DEFAULT_TICK_S,
    RunResult,
    Side,
    Step,
    TimerState,
    build_plan,
    confirm_with_keys,
)
from tests.fakes import (
    FakeClock,
    RecordingView,
    ScriptedConfirm,
    ScriptedKeys,
    area_data,
    make_protocol,
    run_scripted,
)

# Three 60 s areas per side, two sides, 5 s breaks: 360 s of strokes + 25 s of breaks.
SIDES: list[Side] = ["left", "right"]


def run(
    script: list[tuple[float, object]] | None = None,
    *,
    sides: list[Side] | None = None,
    confirm: ScriptedConfirm | None = None,
    clock: FakeClock | None = None,
    plan: list[Step] | None = None,
    **options: object,
) -> tuple[RunResult, FakeClock, RecordingView, ScriptedKeys]:
    clock = clock or FakeClock()
    keys = ScriptedKeys(clock, script or [])  # type: ignore[arg-type]
    view = RecordingView()
    if plan is None:
        plan = build_plan(make_protocol(), sides or SIDES)
    result = run_scripted(plan, clock=clock, keys=keys, view=view, confirm=confirm, **options)
    return result, clock, view, keys


def statuses(result: RunResult) -> list[tuple[str, int]]:
    return [(step.status, step.actual_s) for step in result.steps]


# -- build_plan ---------------------------------------------------------------


def test_plan_runs_all_areas_of_one_side_then_the_other() -> None:
    """Left side first, every area, then the right; numbered across the whole plan."""
    plan = build_plan(make_protocol(), ["left", "right"])
    assert [(s.side, s.area.name, s.number, s.total) for s in plan] == [
        ("left", "Medial gastrocnemius", 1, 6),
        ("left", "Lateral gastrocnemius", 2, 6),
        ("left", "Soleus", 3, 6),
        ("right", "Medial gastrocnemius", 4, 6),
        ("right", "Lateral gastrocnemius", 5, 6),
        ("right", "Soleus", 6, 6),
    ]
    assert [s.seconds for s in plan] == [60.0] * 6
    assert plan[0].place == "left calf"
    assert plan[0].planned_s == 60


def test_plan_for_an_unsided_region() -> None:
    """Side "none" gives one pass, labelled with the region alone."""
    protocol = make_protocol(sided=False, region="lower-back")
    plan = build_plan(protocol, ["none"])
    assert len(plan) == 3
    assert plan[0].place == "lower back"


def test_dose_scaling_rounds_half_up_and_never_below_five_seconds() -> None:
    """A scale-back rule shortens every area; whole seconds, at least 5 s."""
    protocol = make_protocol([area_data("A", 45), area_data("B", 15), area_data("C", 180)])
    plan = build_plan(protocol, ["left"], dose_percent=50)
    assert [s.seconds for s in plan] == [23.0, 8.0, 90.0]
    low = build_plan(protocol, ["left"], dose_percent=10)
    assert [s.seconds for s in low] == [5.0, 5.0, 18.0]


def test_skipped_areas_are_left_out_on_both_sides() -> None:
    """An area the user works around (local contraindication) is not planned."""
    plan = build_plan(make_protocol(), ["left", "right"], skip={"Soleus"})
    assert [s.area.name for s in plan] == ["Medial gastrocnemius", "Lateral gastrocnemius"] * 2
    assert [s.total for s in plan] == [4] * 4
    assert [s.number for s in plan] == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("sides", "options", "message"),
    [
        ([], {}, "at least one side"),
        (["left", "left"], {}, "each side may appear once"),
        (["middle"], {}, "unknown side 'middle'"),
        (["left"], {"dose_percent": 0}, "between 1 and 100"),
        (["left"], {"dose_percent": 150}, "between 1 and 100"),
        (["left"], {"skip": ["Hamstring"]}, "unknown area(s): Hamstring"),
    ],
)
def test_plan_rejects_bad_input(
    sides: list[Side], options: dict[str, object], message: str
) -> None:
    """Programming mistakes fail loudly rather than producing an odd plan."""
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_plan(make_protocol(), sides, **options)  # type: ignore[arg-type]


# -- a plain run ----------------------------------------------------------------


def test_full_run_times_every_area_and_break() -> None:
    """No keys: every area done in full, ending exactly when the plan says."""
    result, clock, _, _ = run()
    assert result.ended_by == "finished"
    assert statuses(result) == [("done", 60)] * 6
    assert (result.planned_s, result.actual_s, result.paused_s) == (360, 360, 0)
    assert pytest.approx(clock.elapsed, abs=1e-9) == 385.0
    assert result.finished and result.done_count == 6


def test_view_calls_come_in_order_and_close_before_finish() -> None:
    """start, areas and breaks, then close (restore the screen), then finish."""
    _, _, view, _ = run()
    names = [name for name in view.names() if name != "tick"]
    assert names[0] == "start"
    assert names[-2:] == ["close", "finish"]
    assert 6 == names.count("step_started") == names.count("step_ended")
    assert names.count("transition") == 5
    assert names.count("bell") == 6  # one per break and one at the end
    assert names.index("transition") > names.index("step_ended")


def test_bell_can_be_turned_off_and_breaks_skipped() -> None:
    """bell=False rings nothing; transition_s=0 goes straight to the next area."""
    result, clock, view, _ = run(bell=False, transition_s=0)
    assert "bell" not in view.names()
    assert "transition" not in view.names()
    assert pytest.approx(clock.elapsed) == 360.0
    assert result.finished


def test_empty_plan_finishes_at_once() -> None:
    """Every area skipped for a local problem: nothing to time."""
    result, clock, view, _ = run(plan=[])
    assert RunResult([], "finished", 0, 0) == result
    assert clock.elapsed == 0
    assert view.names() == ["start", "close", "finish"]


def test_ticks_come_often_and_no_wait_overshoots_a_tick() -> None:
    """The view is updated about every 0.2 s; each wait is at most one tick."""
    _, _, view, keys = run(sides=["left"])
    assert max(keys.waits) <= DEFAULT_TICK_S + 1e-9
    ticks = len(view.of("tick"))
    # 190 s of areas and breaks at 5 ticks a second, plus one tick at each phase start.
    assert 950 <= ticks <= 960


def test_states_describe_progress() -> None:
    """Snapshots count down the area, count up the session, and beat at the cadence."""
    _, _, view, _ = run(sides=["left"])
    ticks: list[TimerState] = [s for s in view.of("tick") if s.phase == "area"]
    first_area = [s for s in ticks if s.step.number == 1]
    assert first_area[0].elapsed_s == 0.0
    assert first_area[0].remaining_s == 60.0
    halfway = next(s for s in first_area if s.elapsed_s >= 30)
    assert pytest.approx(halfway.elapsed_s) == 30.0
    assert pytest.approx(halfway.area_fraction) == 0.5
    assert pytest.approx(halfway.session_fraction) == 30.0 / 180
    assert pytest.approx(halfway.session_remaining_s) == 150.0
    assert halfway.strokes == 20  # cadence 1.5 s
    assert halfway.next_step.area.name == "Lateral gastrocnemius"  # type: ignore[union-attr]
    assert all(0.0 <= s.beat < 1.0 for s in ticks)
    sessions = [s.session_elapsed_s for s in ticks]
    assert sessions == sorted(sessions)
    assert ticks[-1].next_step is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        halfway.paused = True  # type: ignore[misc]


def test_transition_announces_the_next_area() -> None:
    """A break's state names the area coming up and counts down the break."""
    _, _, view, _ = run(sides=["left"])
    breaks: list[TimerState] = view.of("transition")
    assert [s.step.number for s in breaks] == [2, 3]
    assert all(s.phase == "transition" and s.phase_s == 5.0 for s in breaks)
    assert breaks[0].session_elapsed_s == 60.0


# -- keys -------------------------------------------------------------------------


def test_pause_time_does_not_count() -> None:
    """Space pauses and resumes; the area still gets its full 60 s of work."""
    result, clock, view, _ = run([(20.0, " "), (50.0, " ")], sides=["left"])
    assert statuses(result) == [("done", 60)] * 3
    assert result.paused_s == 30
    assert pytest.approx(clock.elapsed) == 190.0 + 30.0
    paused: list[TimerState] = view.of("paused")
    assert [s.paused for s in paused] == [True, False]
    assert pytest.approx(paused[0].elapsed_s) == 20.0
    assert pytest.approx(paused[1].elapsed_s) == 20.0
    frozen = [s.elapsed_s for s in view.of("tick") if s.paused]
    assert {20.0} == {round(x, 6) for x in frozen}


def test_pause_during_a_break_holds_the_break() -> None:
    """Pausing in a break delays the next area by the paused time."""
    result, clock, view, _ = run([(62.0, " "), (100.0, " ")], sides=["left"])
    assert statuses(result) == [("done", 60)] * 3
    assert pytest.approx(clock.elapsed) == 190.0 + 38.0
    assert [pytest.approx(s.elapsed_s) for s in view.of("paused")] == [2.0] * 2


def test_next_ends_the_area_early_as_partial() -> None:
    """`n` after 25 s: that area is partial (25 s), the rest of the plan moves up."""
    result, clock, _, _ = run([(25.0, "n")], sides=["left"])
    assert statuses(result) == [("partial", 25), ("done", 60), ("done", 60)]
    assert result.actual_s == 145
    assert pytest.approx(clock.elapsed) == 190.0 - 35.0
    assert result.ended_by == "finished"


def test_next_at_the_start_marks_the_area_skipped() -> None:
    """`n` before any work was done: skipped, 0 s."""
    result, _, _, _ = run([(0.2, "N")], sides=["left"])
    assert statuses(result)[0] == ("skipped", 0)


def test_next_while_paused_ends_the_area_without_counting_the_pause() -> None:
    """Pause at 10 s, press `n` at 40 s: 10 s of work recorded."""
    result, clock, _, _ = run([(10.0, " "), (40.0, "n")], sides=["left"])
    assert statuses(result)[0] == ("partial", 10)
    assert result.paused_s == 30
    assert pytest.approx(clock.elapsed) == 190.0 - 50.0 + 30.0


def test_next_in_a_break_starts_the_next_area_now() -> None:
    """`n` during a break skips the rest of the break, not an area."""
    result, clock, _, _ = run([(61.0, "n")], sides=["left"])
    assert statuses(result) == [("done", 60)] * 3
    assert pytest.approx(clock.elapsed) == 190.0 - 4.0


def test_help_toggles_without_pausing() -> None:
    """`?` shows help, `?` again hides it; the timer keeps running."""
    result, clock, view, _ = run([(5.0, "?"), (9.0, "?")], sides=["left"])
    assert [s.help_shown for s in view.of("help")] == [True, False]
    assert any(s.help_shown for s in view.of("tick"))
    assert pytest.approx(clock.elapsed) == 190.0
    assert result.paused_s == 0


def test_unknown_keys_are_ignored() -> None:
    """Stray keys change nothing."""
    result, clock, _, _ = run([(5.0, "x"), (6.0, "\x1b[A"), (7.0, "\n")], sides=["left"])
    assert statuses(result) == [("done", 60)] * 3
    assert pytest.approx(clock.elapsed) == 190.0


def test_quit_confirmed_keeps_what_was_done() -> None:
    """`q` + yes in the second area: first done, second partial, rest not started."""
    clock = FakeClock()
    confirm = ScriptedConfirm(True, clock=clock, takes=12.0)
    result, _, view, _ = run([(95.0, "q")], confirm=confirm, clock=clock)
    assert result.ended_by == "quit"
    assert statuses(result) == [("done", 60), ("partial", 30)] + [("not-started", 0)] * 4
    assert result.actual_s == 90
    assert result.planned_s == 360
    assert confirm.calls == 1
    assert result.paused_s == 12  # answering took 12 s and did not count as work
    assert view.names()[-2:] == ["close", "finish"]


def test_quit_declined_carries_on_with_the_pause_excluded() -> None:
    """`q` + no: nothing lost, and the time spent answering is not counted."""
    clock = FakeClock()
    confirm = ScriptedConfirm(False, clock=clock, takes=8.0)
    result, _, view, _ = run([(30.0, "q")], confirm=confirm, clock=clock, sides=["left"])
    assert statuses(result) == [("done", 60)] * 3
    assert pytest.approx(clock.elapsed) == 190.0 + 8.0
    assert result.paused_s == 8
    assert not any(s.paused for s in view.of("tick") if s.elapsed_s > 31)


def test_quit_declined_while_paused_stays_paused() -> None:
    """Paused, `q`, no: still paused until space."""
    result, clock, _, _ = run(
        [(10.0, " "), (20.0, "q"), (40.0, " ")], confirm=ScriptedConfirm(False), sides=["left"]
    )
    assert statuses(result) == [("done", 60)] * 3
    assert result.paused_s == 30
    assert pytest.approx(clock.elapsed) == 190.0 + 30.0


def test_quit_in_a_break_leaves_the_next_area_not_started() -> None:
    """Quitting between areas records the finished ones only."""
    result, _, _, _ = run([(62.0, "q")], confirm=ScriptedConfirm(True), sides=["left"])
    assert statuses(result) == [("done", 60), ("not-started", 0), ("not-started", 0)]


def test_ctrl_c_is_caught_and_returns_partial_results() -> None:
    """KeyboardInterrupt from the key wait: view closed, partial kept, ended "interrupted"."""
    result, _, view, _ = run([(100.0, KeyboardInterrupt)])
    assert result.ended_by == "interrupted"
    assert statuses(result) == [("done", 60), ("partial", 35)] + [("not-started", 0)] * 4
    assert view.names()[-2:] == ["close", "finish"]
    assert result == view.of("finish")[0]


def test_ctrl_c_while_paused_counts_work_up_to_the_pause() -> None:
    """Ctrl-C during a pause: the paused time is not work."""
    result, _, _, _ = run([(10.0, " "), (50.0, KeyboardInterrupt)])
    assert statuses(result)[0] == ("partial", 10)
    assert result.paused_s == 40


def test_ctrl_c_while_asked_to_quit() -> None:
    """Ctrl-C at the "quit?" question is an interruption."""

    def confirm() -> bool:
        raise KeyboardInterrupt

    plan = build_plan(make_protocol(), ["left"])
    result = run_scripted(plan, [(15.0, "q")], confirm=confirm)
    assert result.ended_by == "interrupted"
    assert statuses(result)[0] == ("partial", 15)


def test_other_errors_still_close_the_view() -> None:
    """A bug in a view or key source propagates, but the screen is restored first."""
    with pytest.raises(RuntimeError):
        run([(5.0, RuntimeError("boom"))])
    view = RecordingView()
    with pytest.raises(RuntimeError):
        run_scripted(
            build_plan(make_protocol(), ["left"]), [(5.0, RuntimeError("boom"))], view=view
        )
    assert view.closed
    assert "finish" not in view.names()


# -- time ----------------------------------------------------------------------------


def test_time_scale_plays_fast_and_reports_protocol_seconds() -> None:
    """At 0.01 a 4 x 60 s plan takes 2.4 s of real time (+ breaks); results stay in plan time."""
    protocol = make_protocol([area_data(name) for name in "ABCD"])
    plan = build_plan(protocol, ["left"])
    # `n` in the third area, 0.3 real s in = 30 protocol s.
    result, clock, view, _ = run([(1.2 + 0.1 + 0.3, "n")], plan=plan, time_scale=0.01)
    assert statuses(result) == [("done", 60), ("done", 60), ("partial", 30), ("done", 60)]
    assert pytest.approx(clock.elapsed) == 2.4 + 0.15 - 0.3
    assert {5.0} == {s.phase_s for s in view.of("transition")}


def test_time_scale_with_pause() -> None:
    """Paused time is reported in protocol seconds too."""
    plan = build_plan(make_protocol(), ["left"])
    result, _, _, _ = run([(0.1, " "), (0.5, " ")], plan=plan, time_scale=0.01)
    assert result.paused_s == 40
    assert statuses(result) == [("done", 60)] * 3


def test_late_wakeups_do_not_accumulate() -> None:
    """Every sleep overshoots by 0-30 ms, yet the run ends within one tick of the plan.

    About 1,900 waits: a timer that re-armed "now + duration" after each area,
    or counted ticks, would drift by many seconds.
    """
    rng = random.Random(7)
    clock = FakeClock(overshoot=lambda _: rng.uniform(0.0, 0.030))
    result, clock, _, keys = run(clock=clock)
    overshoot_total = sum(keys.waits) - clock.elapsed  # negative: time lost to overshoot
    assert clock.elapsed - 385.0 < DEFAULT_TICK_S
    assert clock.elapsed >= 385.0
    assert overshoot_total < -10  # the jitter really was there
    assert statuses(result) == [("done", 60)] * 6


@settings(max_examples=40, deadline=None)
@given(
    durations=st.lists(st.integers(15, 180), min_size=1, max_size=3),  # 20 min limit
    jitter_ms=st.integers(0, 150),
    seed=st.integers(0, 1000),
    scale=st.sampled_from([1.0, 0.1, 0.01]),
)
def test_end_lands_within_one_tick_of_plan(
    durations: list[int], jitter_ms: int, seed: int, scale: float
) -> None:
    """Property: whatever the jitter, the end is within a tick (+ one wake-up) of the plan."""
    rng = random.Random(seed)
    clock = FakeClock(overshoot=lambda _: rng.uniform(0.0, jitter_ms / 1000))
    protocol = make_protocol([area_data(f"Area {i}", d) for i, d in enumerate(durations)])
    plan = build_plan(protocol, ["left", "right"])
    result, clock, _, _ = run(clock=clock, plan=plan, time_scale=scale)
    planned_real = (2 * sum(durations) + (2 * len(durations) - 1) * 5) * scale
    assert -1e-9 <= clock.elapsed - planned_real <= DEFAULT_TICK_S + jitter_ms / 1000 + 1e-9
    assert result.actual_s == result.planned_s


def test_a_stopped_program_does_not_tick_off_areas() -> None:
    """Ctrl-Z for two minutes mid-area: treated as a pause, the area still gets 60 s."""
    stalls = iter([0.0] * 100 + [120.0])
    clock = FakeClock(overshoot=lambda _: next(stalls, 0.0))
    result, clock, _, _ = run(clock=clock, sides=["left"])
    assert statuses(result) == [("done", 60)] * 3
    assert pytest.approx(result.paused_s, abs=1) == 120
    assert pytest.approx(clock.elapsed, abs=DEFAULT_TICK_S) == 190.0 + 120.0


def test_run_plan_rejects_bad_timing_options() -> None:
    """A zero or negative time scale is a programming error."""
    with pytest.raises(ValueError, match="time_scale"):
        run(time_scale=0)
    with pytest.raises(ValueError, match="transition_s"):
        run(transition_s=-1)


# -- confirm_with_keys ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("keys", "expected"),
    [(["y"], True), (["Y"], True), (["q"], True), (["n"], False), (["\x1b"], False),
     (["x", " "], False), (["z", "y"], True)],
)  # fmt: skip
def test_confirm_with_keys(keys: list[str], expected: bool) -> None:
    """y or q again quits; n, Esc or space carries on; other keys are ignored."""
    clock = FakeClock()
    scripted = ScriptedKeys(clock, [(1.0 + i, key) for i, key in enumerate(keys)])
    view = RecordingView()
    assert expected is confirm_with_keys(scripted, view)()
    assert view.of("quit_prompt") == [True, False]
    assert scripted.exhausted


def test_quit_with_keys_end_to_end() -> None:
    """`q` then `y` from the same key source quits the run."""
    clock = FakeClock()
    keys = ScriptedKeys(clock, [(30.0, "q"), (33.0, "y")])
    view = RecordingView()
    plan = build_plan(make_protocol(), ["left"])
    result = run_scripted(
        plan, clock=clock, keys=keys, view=view, confirm=confirm_with_keys(keys, view)
    )
    assert result.ended_by == "quit"
    assert statuses(result)[0] == ("partial", 30)
    assert result.paused_s == 3


class SlowView(RecordingView):
    """A view whose every redraw takes 30 ms of (fake) time."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock

    def tick(self, state: TimerState) -> None:
        super().tick(state)
        self.clock.advance(0.030)


def test_slow_drawing_does_not_delay_the_end() -> None:
    """The wait after a redraw is measured from when drawing finished."""
    clock = FakeClock()
    view = SlowView(clock)
    plan = build_plan(make_protocol(), ["left"])
    result = run_scripted(plan, clock=clock, view=view)
    assert result.finished
    assert clock.elapsed == pytest.approx(190.0, abs=1e-6)


class StoppedWhileDrawing(RecordingView):
    """The program is stopped (Ctrl-Z) for *stopped_s* while drawing the screen *at* s in."""

    def __init__(self, clock: FakeClock, *, at: float, stopped_s: float) -> None:
        super().__init__()
        self.clock = clock
        self.at = clock.monotonic() + at
        self.stopped_s = stopped_s

    def tick(self, state: TimerState) -> None:
        super().tick(state)
        if self.stopped_s and self.clock.monotonic() >= self.at:
            self.clock.advance(self.stopped_s)
            self.stopped_s = 0.0


def test_time_stopped_with_ctrl_z_while_drawing_is_not_treatment() -> None:
    """Stopped for 10 minutes while the live screen was being drawn, 20 s into the first
    area: on return the first area still has 40 s to go (nothing ticked off unseen), and the
    gap is reported as a pause."""
    clock = FakeClock()
    view = StoppedWhileDrawing(clock, at=20.0, stopped_s=600.0)
    plan = build_plan(make_protocol(), ["left"])
    result = run_scripted(plan, clock=clock, view=view)
    assert result.ended_by == "finished" and result.paused_s >= 600
    ticks_in_first = [
        state.elapsed_s
        for name, state in view.events
        if name == "tick" and state.phase == "area" and state.step is plan[0]
    ]
    assert max(ticks_in_first) == pytest.approx(60.0, abs=1.0)
    assert sorted(ticks_in_first) == ticks_in_first, "the countdown never jumps ahead"
    jumps = [b - a for a, b in itertools.pairwise(ticks_in_first)]
    assert max(jumps) < 5.0, "no area time passes unseen"
