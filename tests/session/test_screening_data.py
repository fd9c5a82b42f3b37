"""Stories around the checklist data: which questions a region gets, what a "yes" means
there, and names that lead to advice. Scripted answers, a fake clock, a real journal."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from iastm_coach.cli import app
from iastm_coach.context import AppContext
from iastm_coach.errors import SafetyStop
from iastm_coach.journal.store import records
from iastm_coach.safety.checklist import ScreeningHistory, load_checklist, questions_for_today
from tests.builders import MILD, make_deps, session
from tests.fakes import FakeClock
from tests.scripted_talk import ScriptedTalk

ASSESSED = "assessed the problem"


def test_neck_needs_an_assessment_first_but_calf_only_recommends_it(tmp_path: Path) -> None:
    """ "Has a clinician assessed this problem?" is asked per region: no → stop for the
    neck (asked again next time), a recommendation for the calf (not asked again)."""
    clock = FakeClock()
    talk = ScriptedTalk([*MILD, (ASSESSED, False)])
    deps = make_deps(tmp_path, talk, clock)
    with pytest.raises(SafetyStop) as caught:
        session(deps, region="neck")
    assert "serious conditions" in (caught.value.hint or "")
    (refused,) = deps.journal.recent(kinds={records.SCREENING})
    assert refused.data["stopped_by"] == "clinician-assessed"

    session(deps, region="calf", side="left")
    assert sum(ASSESSED in q for q in talk.asked) == 2  # neck, then calf
    clock.advance(3 * 24 * 3600)
    session(deps, region="calf", side="left")
    assert sum(ASSESSED in q for q in talk.asked) == 2  # the calf was assessed once
    with pytest.raises(SafetyStop):
        session(deps, region="neck")
    assert sum(ASSESSED in q for q in talk.asked) == 3  # the neck asks again


def test_fluoroquinolones_stop_the_achilles_and_are_not_asked_for_the_arm(
    tmp_path: Path,
) -> None:
    talk = ScriptedTalk([*MILD, (ASSESSED, True), ("ciprofloxacin", True)])
    deps = make_deps(tmp_path, talk)
    with pytest.raises(SafetyStop) as caught:
        session(deps, region="achilles", side="left")
    assert "tendon" in (caught.value.hint or "")
    session(deps, region="forearm-flexors", side="left")
    assert sum("ciprofloxacin" in q for q in talk.asked) == 1


def test_pregnancy_stops_the_back_and_needs_an_obstetrician_for_the_legs(
    tmp_path: Path,
) -> None:
    talk = ScriptedTalk(
        [*MILD, (ASSESSED, True), ("Are you pregnant", True), ("partner here", True),
         ("midwife or obstetrician cleared", True)]
    )  # fmt: skip
    deps = make_deps(tmp_path / "back", talk)
    with pytest.raises(SafetyStop):
        session(deps, region="lower-back")
    calf = make_deps(tmp_path / "calf", talk)
    session(calf, region="calf", side="left")
    assert any("Has your midwife or obstetrician cleared you" in q for q in talk.asked)
    (screening,) = calf.journal.recent(kinds={records.SCREENING})
    assert screening.data["cleared_cautions"] == ["pregnancy"]


def test_a_region_warning_sign_gives_urgent_advice_first(tmp_path: Path) -> None:
    talk = ScriptedTalk([*MILD, (ASSESSED, True), ("double vision", True)])
    with pytest.raises(SafetyStop) as caught:
        session(make_deps(tmp_path, talk), region="neck")
    assert (caught.value.hint or "").startswith("Call emergency services")


def test_region_questions_are_asked_only_before_their_region() -> None:
    checklist = load_checklist()
    fresh = ScreeningHistory(first_use=True, confirmed_at={})

    def asked(region: str, zone: str) -> set[str]:
        today = questions_for_today(
            checklist, fresh, now=FakeClock().now(), region=region, zone=zone
        )
        return {item.id for item in today.items}

    neck, arm, calf = asked("neck", "trunk"), asked("forearm-flexors", "arm"), asked("calf", "leg")
    assert "neck-warning-signs" in neck and "neck-warning-signs" not in arm | calf
    assert {"calf-clot-risk", "postpartum"} <= calf and not {"calf-clot-risk", "postpartum"} & arm
    assert "fluoroquinolones" not in calf


def test_first_use_shows_the_pressure_check_once(tmp_path: Path) -> None:
    clock = FakeClock()
    talk = ScriptedTalk([*MILD, (ASSESSED, True)])
    deps = make_deps(tmp_path, talk, clock)
    session(deps, side="left")
    assert talk.transcript.count("kitchen scale") == 1
    clock.advance(3 * 24 * 3600)
    session(deps, side="left")
    assert talk.transcript.count("kitchen scale") == 1


def test_get_ready_shows_the_leg_clot_advice_and_glutes_suggest_a_partner(
    tmp_path: Path,
) -> None:
    talk = ScriptedTalk([*MILD, (ASSESSED, True)])
    session(make_deps(tmp_path, talk), region="glutes", side="left")
    clot = "Swelling, warmth, redness or pain in this leg"
    assert clot in talk.transcript and "hard to reach on your own" in talk.transcript
    arm = ScriptedTalk([*MILD, (ASSESSED, True)])
    session(make_deps(tmp_path / "arm", arm), region="forearm-flexors", side="left")
    assert clot not in arm.transcript


@pytest.mark.parametrize(
    "command", [["session", "shin-splints"], ["protocol", "show", "shin-splints"]]
)
def test_shin_splints_leads_to_advice_with_exit_3(command: list[str]) -> None:
    result = CliRunner().invoke(app, command, obj=AppContext(clock=FakeClock()))
    assert result.exit_code == 3
    assert "leads to advice" in result.stderr and "inner edge of the shin bone" in result.stderr
    assert "Safety check" not in result.stdout


def test_get_ready_pressure_covers_every_area(tmp_path: Path) -> None:
    """The calf has moderate and light areas: the get-ready line says both, not the first."""
    talk = ScriptedTalk([*MILD, (ASSESSED, True)])
    session(make_deps(tmp_path, talk), side="left")
    assert "Pressure: light to moderate (each area says which)" in talk.transcript


def test_the_soreness_question_reads_as_english(tmp_path: Path) -> None:
    """'How sore is the forearm extensors' read badly: a muscle group reads as its body
    part, and a plural region takes 'are'."""
    from iastm_coach.safety.checklist import ScreeningResult
    from iastm_coach.session.screening import ask_soreness_before

    asked = {}
    for region in ("forearm-extensors", "hamstrings", "lower-back", "calf"):
        talk = ScriptedTalk([("right now", 1)])
        ask_soreness_before(make_deps(tmp_path / region, talk), region, ScreeningResult())
        asked[region] = talk.asked[0].split(" right now")[0]
    assert asked == {
        "forearm-extensors": "How sore is your forearm (extensors)",
        "hamstrings": "How sore are your hamstrings",
        "lower-back": "How sore is your lower back",
        "calf": "How sore is your calf",
    }
