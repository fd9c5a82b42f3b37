"""A cleared caution changes the plan (issue 10 item 3): the pressure cap, a shorter dose
(the lowest of every dose rule wins, and says why), the skin check instead of the
"discomfort 5/10" cue, the skip-areas step for a condition at one place, the age band,
and local answers in every area's danger zones. Scripted answers, a fake clock; the plan
the timer is handed is what is checked, with the get-ready screen and the record."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from iastm_coach.journal.store import records
from iastm_coach.session.deps import SessionDeps
from iastm_coach.session.timer import RunResult, Step
from tests.builders import MILD, answer_checkin, make_deps, session
from tests.fakes import FakeClock
from tests.scripted_talk import ScriptedTalk

DAY = 24 * 3600
CLEARED = ("cleared you", True)
FULL_CALF_S = 45 + 45 + 30  # one side at 100 %


def calf_s(percent: int) -> int:
    """One side of the calf at *percent*, each area rounded as the plan does."""
    return sum(int(seconds * percent / 100 + 0.5) for seconds in (45, 45, 30))


def follow_up(deps: SessionDeps, *answers: int) -> None:
    """Answer the last session's 24 h and 48 h follow-ups with *answers*."""
    last = deps.journal.recent(kinds={records.SESSION}, limit=1)[0]
    for hours, soreness in zip((24, 48), answers, strict=True):
        answer_checkin(deps.journal, last, last.at + timedelta(hours=hours), soreness=soreness)


def planned(deps: SessionDeps) -> list[list[Step]]:
    """Every plan handed to the timer, in order."""
    plans: list[list[Step]] = []
    timer = deps.run_timer

    def run_timer(plan: list[Step]) -> RunResult:
        plans.append(plan)
        return timer(plan)

    deps.run_timer = run_timer
    return plans


def calf(tmp_path: Path, *rules: tuple[str, Any], clock: FakeClock | None = None) -> Any:
    talk = ScriptedTalk([*rules, *MILD, ("assessed", True)])
    deps = make_deps(tmp_path, talk, clock)
    return talk, deps, planned(deps)


def get_ready(talk: ScriptedTalk) -> str:
    return talk.transcript.split("Get ready", 1)[1].split("Normal:", 1)[0]


def test_cleared_osteoporosis_caps_pressure_shortens_and_swaps_the_pain_cue(
    tmp_path: Path,
) -> None:
    """Osteoporosis, cleared: light pressure on every area (no 'moderate'), 70 % of the
    time, 'look at the skin every 15 strokes' instead of 'discomfort no more than 5/10' on
    the get-ready screen and in the timer, and the record says why."""
    talk, deps, plans = calf(tmp_path, ("osteoporosis", True), CLEARED)
    session(deps, side="left")
    (plan,) = plans
    assert {step.pressure for step in plan} == {"light"}
    assert sum(step.planned_s for step in plan) == calf_s(70)
    for step in plan:
        assert step.cues[0].startswith("Look at the skin every 15 strokes")
        assert not any("5/10" in cue for cue in step.cues)
    screen = get_ready(talk)
    assert "Pressure: light; look at the skin every 15 strokes" in screen
    assert "no more than 5 out of 10" not in screen and "moderate" not in screen
    assert "Adjusted for you: osteoporosis (cleared by a clinician)" in screen
    (record,) = deps.journal.recent(kinds={records.SESSION})
    assert record.data["dose_percent"] == 70 and "osteoporosis" in record.data["dose_reason"]
    (adjustment,) = record.data["adjustments"]
    assert adjustment.startswith("osteoporosis") and "light pressure" in adjustment


def test_the_lowest_dose_wins_and_says_why(tmp_path: Path) -> None:
    """A follow-up of 5 scales the next calf session to 70 %; a cleared hypersensitivity
    (50 %) is lower and wins, named in the record. The next sitting without the caution
    is back to the follow-up rule alone."""
    clock = FakeClock()
    talk, deps, plans = calf(tmp_path, clock=clock)
    session(deps, side="left")
    follow_up(deps, 5, 2)
    clock.advance(3 * DAY)
    talk.rules = [("fibromyalgia", True), CLEARED, ("anything changed", True), *talk.rules]
    session(deps, side="left")
    record = deps.journal.recent(kinds={records.SESSION}, limit=1)[0]
    assert record.data["dose_percent"] == 50
    assert record.data["dose_reason"].startswith("hypersensitivity")
    assert sum(step.planned_s for step in plans[-1]) == calf_s(50)


def test_65_and_over_means_light_pressure_every_session(tmp_path: Path) -> None:
    """Age 70, given once: light pressure at full time, today and next time (not asked
    again), and the pain cue stays (no skin-check consequence for age alone)."""
    clock = FakeClock()
    talk, deps, plans = calf(tmp_path, ("How old", 70), clock=clock)
    session(deps, side="left")
    follow_up(deps, 1, 1)
    clock.advance(3 * DAY)
    session(deps, side="left")
    assert sum("How old" in q for q in talk.asked) == 1
    for plan in plans:
        assert {step.pressure for step in plan} == {"light"}
        assert sum(step.planned_s for step in plan) == FULL_CALF_S
    assert "no more than 5 out of 10" in get_ready(talk)
    record = deps.journal.recent(kinds={records.SESSION}, limit=1)[0]
    assert record.data["adjustments"] == ["age band over-65: light pressure at most"]


def test_a_site_bound_caution_offers_the_skip_step_and_names_the_spot(tmp_path: Path) -> None:
    """A device near the calf, cleared by the device clinic: the session offers to skip
    the areas that hold it, and every area's danger zones name the device."""
    talk, deps, plans = calf(tmp_path, ("pacemaker", True), CLEARED, ("Skip 'Lower calf", True))
    session(deps, side="left")
    (plan,) = plans
    assert [step.area.name for step in plan][-1].startswith("Outer calf")
    assert all("The medical device, its site and its tubing" in s.avoid[-1] for s in plan)
    assert "The medical device" in get_ready(talk)


def test_a_local_answer_is_carried_into_every_area_avoid_line(tmp_path: Path) -> None:
    """An open wound on the calf today: nothing skipped, but every area's 'avoid' lines in
    the timer say to work around it."""
    _, deps, plans = calf(tmp_path, ("open wound", True))
    session(deps, side="left")
    (plan,) = plans
    assert len(plan) == 3
    for step in plan:
        assert step.avoid[-1].startswith("The open wound, broken skin, scab or incision you")
        assert "never over it" in step.avoid[-1]
        assert step.pressure == step.area.pressure, "a local answer caps nothing"
