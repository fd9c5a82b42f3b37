"""Screening stories (issue 10 item 8): the soreness gate first, site-level items per region,
"has anything changed?", grouped questions, and the prompt count; the tool's edge every
session and the partner question's default (item 11). Scripted answers, a fake clock."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from iastm_coach.cli import app
from iastm_coach.context import AppContext
from iastm_coach.errors import SafetyStop
from iastm_coach.journal.store import records
from iastm_coach.safety.checklist import load_checklist
from tests.builders import MILD, make_deps, prompt_counts, refused, session
from tests.fakes import FakeClock
from tests.scripted_talk import ScriptedTalk

DAY = 24 * 3600
VEINS = "varicose veins"
THINNERS = "anticoagulant blood thinner"
CHANGED = "Has anything changed in your health or medicines"


def asked_about(talk: ScriptedTalk, words: str) -> int:
    return sum(words in question for question in talk.asked)


def test_too_sore_today_is_asked_nothing_else(tmp_path: Path) -> None:
    """Soreness 5 before the session: refused after that one question, not thirty."""
    talk = ScriptedTalk([("right now", 5)])
    deps = make_deps(tmp_path, talk)
    with pytest.raises(SafetyStop):
        session(deps, side="left")
    assert len(talk.asked) == 1 and "right now" in talk.asked[0]
    (screening,) = deps.journal.recent(kinds={records.SCREENING})
    assert screening.data["stopped_by"] == "soreness-before"


def test_site_items_are_asked_for_each_region_person_items_once(tmp_path: Path) -> None:
    """'No varicose veins' for the forearm says nothing about the calf: the calf's first
    session asks about veins there, while blood thinners (the person) are not asked
    again within 30 days. The calf's next session asks neither."""
    clock = FakeClock()
    talk = ScriptedTalk([*MILD, ("assessed", True)])
    deps = make_deps(tmp_path, talk, clock)
    session(deps, region="forearm-extensors", side="left")
    assert asked_about(talk, VEINS) == 1 and asked_about(talk, THINNERS) == 1
    clock.advance(DAY)
    talk.asked.clear()
    session(deps, region="calf", side="left")
    assert asked_about(talk, VEINS) == 1, "a site-level item is asked for the new region"
    assert asked_about(talk, THINNERS) == 0, "a person-level item is shared"
    (screening,) = deps.journal.recent(kinds={records.SCREENING}, limit=1)
    assert screening.data["answers"]["varicose-veins"] is False
    clock.advance(3 * DAY)
    talk.asked.clear()
    session(deps, region="calf", side="left")
    assert asked_about(talk, VEINS) == 0 and asked_about(talk, THINNERS) == 0
    assert asked_about(talk, CHANGED) == 1


def test_a_change_in_health_reopens_the_lasting_items(tmp_path: Path) -> None:
    """'Has anything changed?' yes: the lasting items are asked again, and a new blood
    thinner stops the session (recorded by its id)."""
    clock = FakeClock()
    talk = ScriptedTalk([*MILD, ("assessed", True)])
    deps = make_deps(tmp_path, talk, clock)
    session(deps, side="left")
    clock.advance(3 * DAY)
    talk.rules = [(CHANGED, True), (THINNERS, True), *talk.rules]
    talk.asked.clear()
    assert "not today" in refused(deps, "calf", side="left")
    assert asked_about(talk, THINNERS) == 1
    screening = deps.journal.recent(kinds={records.SCREENING}, limit=1)[0]
    assert screening.data["stopped_by"] == "blood-thinners"


def test_a_caution_said_yes_last_time_is_not_dropped_by_enter(tmp_path: Path) -> None:
    """Diabetes, cleared: light pressure, 70 % and a skin check for the Achilles. Three days
    later 'Does any of these apply to you? [y/N]' came back with Enter meaning no: one key
    dropped the adjustments and counted as 'no diabetes' for 30 days. Now the group says
    what was answered yes last time and needs a y or an n; a group without such an item
    keeps its default no."""
    clock = FakeClock()
    talk = ScriptedTalk(
        [*MILD, ("assessed", True), ("Do you have diabetes?", True), ("cleared you", True)]
    )
    deps = make_deps(tmp_path, talk, clock)
    session(deps, side="left")
    clock.advance(3 * DAY)
    talk.asked.clear()
    talk.defaults.clear()
    session(deps, side="left")
    (you,) = [q for q in talk.asked if "Does any of these apply to you?" in q]
    assert "Do you have diabetes?" in you and talk.defaults[you] is None
    assert "Last time you answered yes to: Do you have diabetes?" in talk.transcript
    (today,) = [q for q in talk.asked if "Today, does any of these apply to you?" in q]
    assert talk.defaults[today] is False


def test_a_caution_said_yes_after_an_earlier_no_is_asked_every_session(tmp_path: Path) -> None:
    """Day 0: no diabetes. Day 4: 'anything changed?' yes, diabetes yes, cleared: 70 %,
    light pressure, skin check. Day 8 the last answer is that yes, so diabetes is asked
    again and the adjustments stay; it was left out as 'confirmed no' within 30 days (the
    day-0 no), and the session ran at full dose with no skin check."""
    clock = FakeClock()
    talk = ScriptedTalk([*MILD, ("assessed", True)])
    deps = make_deps(tmp_path, talk, clock)
    session(deps, side="left")
    clock.advance(4 * DAY)
    talk.rules = [(CHANGED, True), ("Do you have diabetes?", True), ("cleared you", True)]
    talk.rules += MILD
    session(deps, side="left")
    clock.advance(4 * DAY)
    talk.asked.clear()
    talk.rules = [("Do you have diabetes?", True), ("cleared you", True), *MILD]
    session(deps, side="left")
    assert asked_about(talk, "Do you have diabetes?") == 1
    latest = max(deps.journal.recent(kinds={records.SESSION}), key=lambda r: r.at)
    assert any("diabetes" in text.lower() for text in latest.data["adjustments"])


def test_a_grouped_yes_asks_which_and_records_the_rest_as_no(tmp_path: Path) -> None:
    """'Any of these today?' yes → which one: a bruise (local) is worked around, the rest of
    its list is recorded as no, and the skip-areas step follows."""
    talk = ScriptedTalk(
        [*MILD, ("assessed", True), ("ordinary bruise", True), ("Skip 'Inner", True)]
    )
    deps = make_deps(tmp_path, talk)
    session(deps, side="left")
    assert any(q.startswith("Which one?") for q in talk.asked)
    (screening,) = deps.journal.recent(kinds={records.SCREENING})
    answers = screening.data["answers"]
    assert answers["bruise"] is True and screening.data["local"] == ["bruise"]
    assert answers["open-wound"] is False and answers["fever-unwell"] is False
    checklist = load_checklist()
    applicable = {item.id for item in checklist.item if item.applies_to("calf", "leg")}
    assert set(answers) == applicable, "every item the calf needs is still answered"
    (record,) = deps.journal.recent(kinds={records.SESSION})
    assert next(a["name"] for a in record.data["areas"]).startswith("Outer calf")


def test_prompts_before_the_strokes_are_few(tmp_path: Path) -> None:
    """Measured: a routine calf session asks at most 8 prompts before the first stroke
    (20 before issue 10), a first one at most 12 (42 before)."""
    counts = prompt_counts(tmp_path)
    first, _ = counts["first session"]
    routine, _ = counts["routine session"]
    assert routine <= 8 and first <= 12


def test_the_tool_edge_is_checked_every_session(tmp_path: Path) -> None:
    """The smooth-tool question comes back every session (one key); a chipped edge on the
    second session stops it."""
    clock = FakeClock()
    talk = ScriptedTalk([*MILD, ("assessed", True)])
    deps = make_deps(tmp_path, talk, clock)
    session(deps, side="left")
    clock.advance(3 * DAY)
    talk.rules = [("smooth", False), *talk.rules]
    refused(deps, "calf", side="left")
    assert asked_about(talk, "smooth") == 2
    screening = deps.journal.recent(kinds={records.SCREENING}, limit=1)[0]
    assert screening.data["stopped_by"] == "smooth-tool"


def test_age_is_asked_once_and_under_16_stops(tmp_path: Path) -> None:
    """Under 16: no self-treatment (exit 3, recorded as the band, never the age). An adult's
    band is kept, so the age is not asked again."""
    talk = ScriptedTalk([*MILD, ("assessed", True), ("How old", 14)])
    young = make_deps(tmp_path / "young", talk)
    assert "not today" in refused(young, "calf", side="left")
    (screening,) = young.journal.recent(kinds={records.SCREENING})
    assert screening.data["stopped_by"] == "under-16"

    clock = FakeClock()
    talk = ScriptedTalk([*MILD, ("assessed", True)])
    adult = make_deps(tmp_path / "adult", talk, clock)
    session(adult, side="left")
    (screening,) = adult.journal.recent(kinds={records.SCREENING})
    assert screening.data["age_band"] == "adult"
    clock.advance(40 * DAY)  # past the recheck period: the band is still known
    talk.rules = [("reviewed it with your clinician", True), *talk.rules]
    session(adult, side="left")
    assert asked_about(talk, "How old") == 1


def test_the_partner_question_defaults_to_no(isolated_home: Path) -> None:
    """Enter at 'Is a partner here?' means no: the lower-back session does not start."""
    result = CliRunner().invoke(
        app, ["session", "lower-back", "--plain"], input="\n", obj=AppContext(clock=FakeClock())
    )
    assert result.exit_code == 3
    assert "needs a partner" in result.output + (result.stderr if result.stderr_bytes else "")
    assert "[y/N]" in result.output


def test_the_before_measurement_comes_before_the_get_ready_screen(tmp_path: Path) -> None:
    """The optional 'before' measurement is offered before the warm-up and the lotion: its
    question comes before the get-ready screen and its 'Press Enter when you are ready'."""
    talk = ScriptedTalk([*MILD, ("before you start (optional)", True), ("before the strokes", 9)])
    deps = make_deps(tmp_path, talk)
    session(deps, side="left")
    offered = next(i for i, q in enumerate(talk.asked) if "before you start (optional)" in q)
    measured = next(i for i, q in enumerate(talk.asked) if "before the strokes" in q)
    ready = next(i for i, q in enumerate(talk.asked) if "Press Enter when you are ready" in q)
    assert offered < measured < ready
    transcript = talk.transcript
    assert transcript.index("How: ") < transcript.index("Get ready")
    (measure,) = deps.journal.recent(kinds={records.MEASURE})
    assert measure.data["value"] == 9
