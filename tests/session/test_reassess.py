"""Reassess pauses (issue 10): every `strokes_before_reassess` strokes the timer pauses for
a few seconds to look at the skin and ask about discomfort, so the plan, the cues and the
get-ready screen agree. On the fake clock, with scripted keys."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from iastm_coach.session.timer import REASSESS_S, build_plan
from iastm_coach.views.timer import PlainTimerView
from tests.builders import MILD, make_deps, session
from tests.fakes import (
    FakeClock,
    RecordingView,
    area_data,
    make_protocol,
    run_scripted,
)
from tests.scripted_talk import ScriptedTalk

ONE_AREA = make_protocol([area_data("Calf", 60)])  # 1.5 s a stroke, 15 strokes: 22.5 s


def test_an_area_pauses_every_15_strokes_and_the_strokes_wait() -> None:
    """A 60 s area pauses at 22.5 s and 45 s of strokes for 5 s each: the clock runs 70 s,
    the strokes stand still during each pause (the beat too), a bell rings as it begins,
    and all 60 s of strokes are recorded."""
    (step,) = build_plan(ONE_AREA, ["left"], reassess=True)
    assert step.reassess_at == (22.5, 45.0) and step.window_s == 60 + 2 * REASSESS_S
    clock = FakeClock()
    view = RecordingView()
    result = run_scripted([step], clock=clock, view=view)
    assert clock.elapsed == 70.0
    assert result.steps[0].actual_s == 60 and result.steps[0].status == "done"
    pausing = [s for s in view.of("tick") if s.reassessing]
    assert pausing and {s.elapsed_s for s in pausing} == {22.5, 45.0}
    assert {s.strokes for s in pausing} == {15, 30}
    assert view.names().count("bell") == 3  # two pauses, and the end of the plan
    assert not build_plan(ONE_AREA, ["left"])[0].reassess_at, "off unless asked for"


def test_n_during_a_pause_keeps_the_strokes_done() -> None:
    """`n` pressed during the first pause ends the area with 22 s of strokes (partial)."""
    (step,) = build_plan(ONE_AREA, ["left"], reassess=True)
    result = run_scripted([step], [(24.0, "n")])
    assert (result.steps[0].actual_s, result.steps[0].status) == (22, "partial")


def test_a_skin_check_plan_pauses_at_most_every_15_strokes() -> None:
    """A physio's 20 strokes between checks become 15 for someone with a skin check (§8e),
    and the cue says the same number."""
    protocol = make_protocol([area_data("Calf", 60, strokes_before_reassess=20)])
    (usual,) = build_plan(protocol, ["left"], reassess=True)
    (checked,) = build_plan(protocol, ["left"], reassess=True, skin_check=True)
    assert usual.reassess_at == (30.0,) and checked.reassess_at == (22.5, 45.0)
    assert checked.cues[0].startswith("Look at the skin every 15 strokes")


def test_the_plain_view_says_each_pause_once() -> None:
    (step,) = build_plan(ONE_AREA, ["left"], reassess=True)
    clock = FakeClock()
    out = io.StringIO()
    view = PlainTimerView(Console(file=out, width=100), clock)
    run_scripted([step], clock=clock, view=view)
    assert out.getvalue().count("Pause: look at the skin. How is the discomfort?") == 2


def test_the_session_plan_and_the_get_ready_words_agree(tmp_path: Path) -> None:
    """The calf session's timer gets the pauses, and the get-ready screen names them."""
    plans = []
    talk = ScriptedTalk([*MILD, ("assessed", True)])
    deps = make_deps(tmp_path, talk)
    timer = deps.run_timer
    deps.run_timer = lambda plan: (plans.append(plan), timer(plan))[1]
    session(deps, side="left")
    (plan,) = plans
    assert [step.reassess_at for step in plan] == [(22.5,), (22.5,), (22.5,)]
    assert "Reassess: every 15 strokes (about 22 s) the timer pauses for 5 s" in talk.transcript
