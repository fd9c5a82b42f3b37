"""`--override-rest` has a floor and a cap (issue 10, item 2): stories on the fake clock."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from iastm_coach.errors import SafetyStop
from iastm_coach.journal.store import records
from iastm_coach.safety.rest import daily_cap_problem, floor_problem, week_problem
from tests.builders import MILD, make_deps, refused, session
from tests.fakes import DEFAULT_START, FakeClock
from tests.scripted_talk import ScriptedTalk

ASSESSED = ("assessed the problem", True)  # regions that need it first (neck, Achilles)
HOUR = 3600
SOONER = ("treat this region sooner", True)


def test_three_calf_sessions_in_twenty_minutes_are_refused(tmp_path: Path) -> None:
    """The review's story: a full calf session, then two more within twenty minutes with
    --override-rest and the clinician's word. Both are refused: 24 h is the floor."""
    clock = FakeClock()
    deps = make_deps(tmp_path, ScriptedTalk([SOONER, *MILD, ("smooth", True), ASSESSED]), clock)
    session(deps, side="both")
    for _ in range(2):
        clock.advance(600)
        message = refused(deps, "calf", side="both", override_rest=True)
        assert "within 24 h of the last session, even with --override-rest" in message
    assert len(deps.journal.recent(kinds={records.SESSION})) == 2  # the first sitting only


def test_override_needs_the_clinicians_word_and_is_recorded(tmp_path: Path) -> None:
    """30 h after a calf session: --override-rest asks 'Did your clinician tell you to treat
    sooner?'; no (the default) refuses; yes goes ahead and the record says so."""
    clock = FakeClock()
    talk = ScriptedTalk([*MILD, ("smooth", True), ASSESSED])
    deps = make_deps(tmp_path, talk, clock)
    session(deps, side="left")
    clock.advance(30 * HOUR)
    message = refused(deps, "calf", side="left", override_rest=True)
    assert "only your clinician can shorten it" in message
    assert any("treat this region sooner" in question for question in talk.asked)
    talk.rules.insert(0, SOONER)
    outcome = session(deps, side="left", override_rest=True)
    (override,) = outcome.sessions[0].data["overrides"]
    assert override["rule"] == "rest"
    assert "30 h after the last calf session" in override["detail"]
    assert "answered yes when asked" in override["detail"]


def test_the_flag_answers_for_scripts(tmp_path: Path) -> None:
    """Without a terminal, --clinician-said-sooner answers the question; it is recorded."""
    clock = FakeClock()
    deps = make_deps(tmp_path, ScriptedTalk([*MILD, ("smooth", True), ASSESSED]), clock)
    session(deps, side="left")
    clock.advance(26 * HOUR)
    outcome = session(deps, side="left", override_rest=True, clinician_said_sooner=True)
    assert "--clinician-said-sooner" in outcome.sessions[0].data["overrides"][0]["detail"]


def test_one_override_per_rest_window(tmp_path: Path) -> None:
    """An early session starts a rest window of its own: a second override right after it
    (25 h later) is refused; after the full 48 h it goes ahead, the week permitting."""
    clock = FakeClock(DEFAULT_START - timedelta(days=2))  # a Saturday: the week turns Monday
    deps = make_deps(tmp_path, ScriptedTalk([SOONER, *MILD, ("smooth", True), ASSESSED]), clock)
    session(deps, "forearm-flexors", side="left")
    clock.advance(25 * HOUR)
    session(deps, "forearm-flexors", side="left", override_rest=True)
    clock.advance(25 * HOUR)
    message = refused(deps, "forearm-flexors", side="left", override_rest=True)
    assert "already early" in message


def test_overlapping_region_cannot_be_overridden_below_the_floor(tmp_path: Path) -> None:
    """The Achilles an hour after the calf on the same leg: the override floor counts from
    the calf session (same tissue)."""
    clock = FakeClock()
    deps = make_deps(tmp_path, ScriptedTalk([SOONER, *MILD, ("smooth", True), ASSESSED]), clock)
    session(deps, "calf", side="left")
    clock.advance(HOUR)
    message = refused(deps, "achilles", side="left", override_rest=True)
    assert "of the calf (the same tissue)" in message


def test_a_third_sitting_in_a_two_a_week_prescription_is_refused(tmp_path: Path) -> None:
    """Monday, Wednesday, Friday, each after a full rest: Friday is one too many for a
    2-a-week prescription, override or not. Next Monday is a new week."""
    clock = FakeClock()  # Monday 2 March 18:30
    deps = make_deps(tmp_path, ScriptedTalk([SOONER, *MILD, ("smooth", True), ASSESSED]), clock)
    session(deps, side="both")
    clock.advance(49 * HOUR)
    session(deps, side="both")
    clock.advance(49 * HOUR)
    for override in (False, True):
        message = refused(deps, "calf", side="both", override_rest=override)
        assert "2 of 2 prescribed sessions this week" in message
    clock.advance(3 * 24 * HOUR)
    session(deps, side="both")


def test_daily_cap_across_regions(tmp_path: Path) -> None:
    """Regions that do not overlap, one after the other on one day: the session that would
    take the day's strokes over 15 minutes is refused, saying how much is left."""
    clock = FakeClock()
    deps = make_deps(tmp_path, ScriptedTalk([*MILD, ("smooth", True), ASSESSED]), clock)
    done = 0
    regions = (
        "calf",
        "hamstrings",
        "quadriceps",
        "glutes",
        "shin",
        "forearm-flexors",
        "upper-back",
    )
    for region in regions:
        clock.advance(600)
        try:
            outcome = session(deps, region, side="both")
        except SafetyStop as stop:
            assert "over the 15 min a day for all regions together" in stop.message
            assert f"({(900 - done) // 60} min" in stop.message
            break
        done += sum(int(r.data["actual_s"]) for r in outcome.sessions)
    else:
        pytest.fail("the daily cap never refused")
    assert done <= 15 * 60


@pytest.mark.parametrize(
    ("since", "problem"),
    [(timedelta(hours=23, minutes=59), True), (timedelta(hours=24), False)],
)
def test_floor_edges(since: timedelta, problem: bool) -> None:
    assert (floor_problem(since, region="calf", last_region="calf") is not None) is problem


def test_week_and_cap_edges() -> None:
    assert week_problem(1, 2, region="calf") is None
    assert week_problem(2, 2, region="calf") is not None
    assert week_problem(9, None, region="calf") is None
    assert daily_cap_problem(600, 300) is None
    assert daily_cap_problem(600, 301) is not None
