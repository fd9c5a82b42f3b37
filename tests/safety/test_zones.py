"""Holds beyond one region, and one rest clock for overlapping regions (issue 10, item 1).

Each test is a story on the fake clock: a session, its check-ins, then the next
sessions of the same limb, the other side and other zones.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from iastm_coach.cli import app
from iastm_coach.context import AppContext
from iastm_coach.journal.store import Journal, records
from iastm_coach.paths import journal_dir
from iastm_coach.safety.holds import active_holds, clear_hold
from iastm_coach.session.deps import SessionDeps, SessionOutcome
from tests.builders import MILD, answer_checkin, make_deps, refused, session
from tests.fakes import FakeClock
from tests.scripted_talk import ScriptedTalk

ASSESSED = ("assessed the problem", True)  # regions that need it first (neck, Achilles)
DAY = 24 * 3600


def left_calf_then(deps: SessionDeps, clock: FakeClock) -> SessionOutcome:
    outcome = session(deps, "calf", side="left")
    clock.advance(DAY)
    return outcome


def test_leg_swelling_stops_every_leg_region_on_both_legs(tmp_path: Path) -> None:
    """Swelling of the left calf at the 24 h check-in (a possible clot) stops the Achilles
    and plantar fascia of that leg, the other leg and the hamstrings too; not an arm.
    Once a clinician has seen it and the hold is lifted, the Achilles can be treated."""
    clock = FakeClock()
    deps = make_deps(tmp_path, ScriptedTalk([*MILD, ("smooth", True), ASSESSED]), clock)
    outcome = left_calf_then(deps, clock)
    answer_checkin(deps.journal, outcome.sessions[0], clock.now(), swelling=True)
    assert active_holds(deps.journal)["calf"].sides == {"left"}
    clock.advance(3 * DAY)
    for region, side in [
        ("achilles", "left"),
        ("achilles", "right"),
        ("plantar-fascia", "right"),
        ("hamstrings", "right"),
    ]:
        message = refused(deps, region, side=side)
        assert f"the {side} {region} cannot be treated: the calf is on hold" in message
        assert "swelling" in message and "both legs" in message
    session(deps, "forearm-flexors", side="left")  # another zone: not held
    clear_hold(
        deps.journal,
        region="calf",
        reason="GP examined the leg, no clot",
        examined_by="Dr Lee, GP",
        at=clock.now(),
    )
    session(deps, "achilles", side="left")


def test_numbness_in_one_forearm_stops_that_arm_only(tmp_path: Path) -> None:
    """Numbness after the right forearm extensors stops the right flexors (the same nerve
    trunk), but not the left flexors, nor the neck (another zone)."""
    clock = FakeClock()
    talk = ScriptedTalk([("tingling in or below", True), *MILD, ("smooth", True), ASSESSED])
    deps = make_deps(tmp_path, talk, clock)
    outcome = session(deps, "forearm-extensors", side="right")
    assert [flag.rule for flag in outcome.flags] == ["numbness"]
    clock.advance(3 * DAY)
    deps.talk = ScriptedTalk([*MILD, ("smooth", True), ASSESSED])
    message = refused(deps, "forearm-flexors", side="right")
    assert "right forearm-flexors cannot be treated: the forearm-extensors is on hold" in message
    assert "numbness" in message
    session(deps, "forearm-flexors", side="left")
    session(deps, "neck")


def test_bruising_stops_the_overlapping_tissue_on_that_side(tmp_path: Path) -> None:
    """Bruising concerns the tissue: the left calf's bruise stops the left Achilles (same
    chain) but not the left hamstrings, nor the right Achilles."""
    clock = FakeClock()
    talk = ScriptedTalk([("Bruising (more", True), *MILD, ("smooth", True), ASSESSED])
    deps = make_deps(tmp_path, talk, clock)
    session(deps, "calf", side="left")
    clock.advance(3 * DAY)
    deps.talk = ScriptedTalk([*MILD, ("smooth", True), ASSESSED])
    message = refused(deps, "achilles", side="left")
    assert "the calf and the achilles treat the same tissue" in message
    session(deps, "hamstrings", side="left")
    session(deps, "achilles", side="right")


def test_hand_written_hold_without_a_side_counts_for_both(tmp_path: Path) -> None:
    """A hold record written by hand (no side) is read as every side: severe soreness in
    the quadriceps stops the lateral thigh and the shin on both legs."""
    clock = FakeClock()
    deps = make_deps(tmp_path, ScriptedTalk([*MILD, ("smooth", True), ASSESSED]), clock)
    deps.journal.append(
        records.HOLD,
        {"region": "quadriceps", "rule": "soreness-7", "reason": "very sore", "source": ""},
        at=clock.now(),
    )
    for side in ("left", "right"):
        assert "quadriceps is on hold" in refused(deps, "shin", side=side)
    session(deps, "neck")


def test_calf_then_achilles_minutes_later_is_refused(tmp_path: Path) -> None:
    """Calf and Achilles share one rest clock on the same leg: the Achilles ten minutes
    after the calf is refused, naming the calf; the other leg's Achilles is not."""
    clock = FakeClock()
    deps = make_deps(tmp_path, ScriptedTalk([*MILD, ("smooth", True), ASSESSED]), clock)
    session(deps, "calf", side="left")
    clock.advance(600)
    message = refused(deps, "achilles", side="left")
    assert "48 h of rest" in message and "the calf session treated the same tissue" in message
    assert "48 h of rest" in refused(deps, "plantar-fascia", side="both")
    session(deps, "achilles", side="right")
    clock.advance(2 * DAY + 3600)
    session(deps, "achilles", side="left")


def test_neck_and_upper_back_share_rest_across_sides(tmp_path: Path) -> None:
    """The neck has no sides: a neck session rests the upper back on both sides."""
    clock = FakeClock()
    deps = make_deps(tmp_path, ScriptedTalk([*MILD, ("smooth", True), ASSESSED]), clock)
    session(deps, "neck")
    clock.advance(3600)
    for side in ("left", "right"):
        assert "neck session treated the same tissue" in refused(deps, "upper-back", side=side)


def test_today_shows_the_region_held_by_its_neighbour(tmp_path: Path) -> None:
    """`today` says the same: the Achilles is on hold because of the calf's swelling, with
    the command that lifts the calf's hold; the arm is still due."""
    clock = FakeClock()
    deps = make_deps(tmp_path, ScriptedTalk([*MILD, ("smooth", True), ASSESSED]), clock)
    deps.journal = Journal(journal_dir())
    outcome = session(deps, "calf", side="left")
    session(deps, "achilles", side="right")
    session(deps, "forearm-flexors", side="right")
    clock.advance(DAY)
    answer_checkin(deps.journal, outcome.sessions[0], clock.now(), swelling=True)
    clock.advance(3 * DAY)
    result = CliRunner().invoke(app, ["today", "--json"], obj=AppContext(clock=clock))
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    held = {item["region"]: item for item in plan["on_hold"]}
    assert held["achilles"]["held_region"] == "calf"
    assert held["achilles"]["rule"] == "swelling"
    assert "both legs" in held["achilles"]["note"]
    assert [item["region"] for item in plan["due"]] == ["forearm-flexors"]
    text = CliRunner().invoke(app, ["today"], obj=AppContext(clock=clock)).stdout
    assert "calf on hold: swelling" in text
    assert 'iastm-coach hold clear calf --examined-by WHO --reason "..."' in text
