"""The guided session flow with scripted answers, a fake clock and a real journal."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from iastm_coach.errors import Interrupted, SafetyStop, UsageError
from iastm_coach.journal.store import records
from iastm_coach.safety.holds import active_holds, clear_hold
from tests.builders import MILD, REPO, make_deps, session
from tests.fakes import FakeClock
from tests.scripted_talk import ScriptedTalk


def test_full_session_records_each_side(tmp_path: Path) -> None:
    """Both sides run in turn and are recorded separately, with the screening."""
    talk = ScriptedTalk([*MILD, ("journal", "felt good"), ("Which side", "both")])
    deps = make_deps(tmp_path, talk)
    outcome = session(deps)
    assert outcome.result.ended_by == "finished"
    sessions = deps.journal.recent(kinds={records.SESSION})
    assert sorted(r.data["side"] for r in sessions) == ["left", "right"]
    for record in sessions:
        data = record.data
        assert data["complete"] is True
        assert data["soreness"] == 2 and data["note"] == "felt good"
        assert data["planned_s"] == data["actual_s"] > 0
        assert len(data["protocol_fingerprint"]) == 64
        assert data["started"].tzinfo is not None
        assert {a["status"] for a in data["areas"]} == {"done"}
    assert len({r.data["group"] for r in sessions}) == 1
    (screening,) = deps.journal.recent(kinds={records.SCREENING})
    assert screening.data["outcome"] == "cleared"
    assert screening.data["first_use"] == {
        "taught-by-physio": False,
        "smooth-tool": True,
        "clinician-assessed": False,
    }
    assert "strongly recommend" in talk.transcript
    assert "This region's exercises" in talk.transcript
    assert "checkin" in talk.transcript


def test_first_use_asks_about_training_and_tool(tmp_path: Path) -> None:
    """First use asks about a physio's instruction and a smooth tool; later sessions ask
    only about the tool's edge (every session: it is one key)."""
    talk = ScriptedTalk([*MILD, ("smooth", True), ("shown you", True)])
    clock = FakeClock()
    deps = make_deps(tmp_path, talk, clock)
    session(deps, side="left")
    assert any("smooth" in q for q in talk.asked)
    clock.advance(3 * 24 * 3600)
    talk.asked.clear()
    session(deps, side="left")
    assert sum("smooth" in q for q in talk.asked) == 1
    assert not any("shown you" in q or "blood thinner" in q for q in talk.asked)


def test_blunt_answer_no_smooth_tool_stops(tmp_path: Path) -> None:
    """A tool that is not smooth-edged is a stop (exit 3), recorded by item id only."""
    deps = make_deps(tmp_path, ScriptedTalk([("smooth", False), ("right now", 1)]))
    with pytest.raises(SafetyStop) as caught:
        session(deps, side="left")
    assert caught.value.exit_code == 3
    (screening,) = deps.journal.recent(kinds={records.SCREENING})
    assert dict(screening.data) == {
        "region": "calf", "outcome": "stopped", "stopped_by": "smooth-tool",
    }  # fmt: skip
    assert not deps.journal.recent(kinds={records.SESSION})


def test_stop_item_ends_screening_with_advice(tmp_path: Path) -> None:
    """A `stop` answer (fever) refuses with the item's advice."""
    talk = ScriptedTalk([("smooth", True), ("fever", True), ("right now", 1)])
    deps = make_deps(tmp_path, talk)
    with pytest.raises(SafetyStop) as caught:
        session(deps, side="left")
    assert "rest" in (caught.value.hint or "").lower()
    assert deps.journal.recent(kinds={records.SCREENING})[0].data["stopped_by"] == "fever-unwell"


def test_caution_needs_clinician_clearance(tmp_path: Path) -> None:
    """A caution (diabetes) goes ahead only when a clinician has cleared it."""
    talk = ScriptedTalk(
        [("smooth", True), ("diabetes", True), ("cleared you", False), ("right now", 1)]
    )
    deps = make_deps(tmp_path, talk)
    with pytest.raises(SafetyStop):
        session(deps, side="left")
    talk = ScriptedTalk([*MILD, ("smooth", True), ("diabetes", True), ("cleared you", True)])
    deps = make_deps(tmp_path / "second", talk)
    session(deps, side="left")
    (screening,) = deps.journal.recent(kinds={records.SCREENING})
    assert screening.data["cleared_cautions"] == ["diabetes"]


def test_local_answer_lets_user_skip_an_area(tmp_path: Path) -> None:
    """A bruise: work around it, and the chosen area is left out of the timer."""
    talk = ScriptedTalk(
        [*MILD, ("smooth", True), ("Is there an ordinary bruise", True), ("Skip 'Lower calf", True)]
    )
    deps = make_deps(tmp_path, talk)
    session(deps, side="left")
    (record,) = deps.journal.recent(kinds={records.SESSION})
    names = [area["name"] for area in record.data["areas"]]
    assert names and not any(name.startswith("Lower calf") for name in names)
    assert "Work around that spot" in talk.transcript


def test_rest_period_refuses_and_override_is_recorded(tmp_path: Path) -> None:
    """A second calf session within 48 h is refused with the time left; --override-rest works."""
    clock = FakeClock()
    talk = ScriptedTalk([*MILD, ("smooth", True)])
    deps = make_deps(tmp_path, talk, clock)
    session(deps, side="left")
    clock.advance(20 * 3600)
    with pytest.raises(SafetyStop) as caught:
        session(deps, side="left")
    assert "48 h of rest" in caught.value.message and "to go" in caught.value.message
    clock.advance(10 * 3600)  # 30 h: past the 24 h floor
    talk.rules.insert(0, ("treat this region sooner", True))
    outcome = session(deps, side="left", override_rest=True)
    assert outcome.sessions[0].data["rest_override"] is True
    assert outcome.sessions[0].data["overrides"][0]["rule"] == "rest"
    clock.advance(6 * 24 * 3600)  # next week: the 2-a-week prescription starts again
    assert session(deps, side="left").sessions[0].data["rest_override"] is False


def test_other_region_is_not_blocked_by_rest(tmp_path: Path) -> None:
    """Rest is per region: the hamstrings can be treated the day after the calf."""
    clock = FakeClock()
    deps = make_deps(tmp_path, ScriptedTalk([*MILD, ("smooth", True)]), clock)
    session(deps, side="left")
    clock.advance(3600)
    session(deps, "hamstrings", side="left")


def test_red_flag_in_aftercare_places_hold_that_blocks_even_with_override(
    tmp_path: Path,
) -> None:
    """Soreness 8 puts the region on hold: the next session is refused, override or not."""
    clock = FakeClock()
    talk = ScriptedTalk(
        [("Soreness now", 8), ("smooth", True), ("right now", 0), ("treated area now", 1)]
    )
    deps = make_deps(tmp_path, talk, clock)
    outcome = session(deps, side="left")
    assert [flag.rule for flag in outcome.flags] == ["soreness-7"]
    assert "on hold" in talk.transcript
    assert "calf" in active_holds(deps.journal)
    clock.advance(5 * 24 * 3600)
    for override in (False, True):
        with pytest.raises(SafetyStop) as caught:
            session(deps, side="left", override_rest=override)
        assert "on hold" in caught.value.message
    clear_hold(
        deps.journal, region="calf", reason="physio OK", examined_by="Dr Lee", at=clock.now()
    )
    after = session(deps, side="left")
    assert after.sessions[0].data["dose_percent"] < 100, "restart at a reduced dose"


def test_quit_keeps_partial_session(tmp_path: Path) -> None:
    """q (confirmed) mid-way: aftercare is still asked, the record is incomplete, exit 130."""
    talk = ScriptedTalk([*MILD, ("smooth", True)])
    deps = make_deps(tmp_path, talk, keys=[(30.0, "q")])
    with pytest.raises(Interrupted) as caught:
        session(deps, side="left")
    assert caught.value.exit_code == 130
    (record,) = deps.journal.recent(kinds={records.SESSION})
    assert record.data["complete"] is False
    assert 25 <= record.data["actual_s"] <= 35
    assert record.data["soreness"] == 2
    statuses = [area["status"] for area in record.data["areas"]]
    assert statuses[0] == "partial" and set(statuses[1:]) == {"not-started"}


def test_ctrl_c_in_timer_records_incomplete(tmp_path: Path) -> None:
    """Ctrl-C during the strokes: what was done is kept, no aftercare questions."""
    talk = ScriptedTalk([("smooth", True), ("right now", 0), ("Why did you stop", 5)])
    deps = make_deps(tmp_path, talk, keys=[(70.0, KeyboardInterrupt)])
    with pytest.raises(Interrupted):
        session(deps, side="left")
    (record,) = deps.journal.recent(kinds={records.SESSION})
    assert record.data["complete"] is False and record.data["soreness"] == -1
    assert not any("Soreness now" in q for q in talk.asked)


def test_unknown_region_is_a_usage_error(tmp_path: Path) -> None:
    """A typo in the region gets exit 2 before anything is asked."""
    talk = ScriptedTalk()
    with pytest.raises(UsageError):
        session(make_deps(tmp_path, talk), "calfs-muscle")
    assert talk.asked == []


def test_partner_region_says_so(tmp_path: Path) -> None:
    """The lower back needs a partner: the session says so and asks first."""
    talk = ScriptedTalk([("partner", False)])
    with pytest.raises(SafetyStop):
        session(make_deps(tmp_path, talk), "lower-back")
    assert "partner should do the strokes" in talk.transcript


def test_review_date_passed_warns_and_asks(tmp_path: Path) -> None:
    """A protocol past its review-by date needs a confirmation."""
    path = tmp_path / "old.toml"
    text = (REPO / "data/protocols/calf.toml").read_text()
    path.write_text(
        text.replace("[access]", '[issued]\nauthor = "Dr P"\nreview_by = 2020-01-01\n\n[access]')
    )
    talk = ScriptedTalk([("review", False)])
    with pytest.raises(SafetyStop):
        session(make_deps(tmp_path, talk), None, protocol_file=path)
    talk = ScriptedTalk([("review", True), ("smooth", True), *MILD])
    outcome = session(make_deps(tmp_path / "b", talk), None, protocol_file=path, side="right")
    assert outcome.sessions[0].data["issued_by"] == "Dr P"
    assert outcome.sessions[0].data["protocol_source"] == "file"


def test_periodic_items_are_reconfirmed_after_recheck_days(tmp_path: Path) -> None:
    """Blood thinners are asked on first use, then again only after 30 days."""
    clock = FakeClock()
    # Day 34 is past the 4-week course: carrying on after a review is answered yes.
    talk = ScriptedTalk([*MILD, ("smooth", True), ("reviewed it with your clinician", True)])
    deps = make_deps(tmp_path, talk, clock)
    session(deps, side="left")
    assert any("blood thinner" in q.lower() or "anticoagul" in q.lower() for q in talk.asked)
    for days in (3, 31):
        clock.advance(days * 24 * 3600 - 3600)
        talk.asked.clear()
        session(deps, side="left")
        asked = any("blood thinner" in q.lower() or "anticoagul" in q.lower() for q in talk.asked)
        assert asked is (days == 31)
    assert clock.now() - deps.journal.recent(kinds={records.SESSION})[0].at < timedelta(hours=1)


def test_ctrl_c_in_timer_shows_what_to_watch_for(tmp_path: Path) -> None:
    """Stopping with Ctrl-C (perhaps because it hurt) still shows the warning signs."""
    talk = ScriptedTalk([("smooth", True), ("right now", 0), ("Why did you stop", 5)])
    deps = make_deps(tmp_path, talk, keys=[(70.0, KeyboardInterrupt)])
    with pytest.raises(Interrupted):
        session(deps, side="left")
    assert "contact your clinician" in talk.transcript
    (record,) = deps.journal.recent(kinds={records.SESSION})
    assert record.data["aftercare_answered"] is False


def test_aftercare_cut_short_is_recorded_as_unanswered(tmp_path: Path) -> None:
    """Input ending mid-aftercare: the session is kept, the answers are marked as not
    given (not as a false "no"), and the input error's exit code (2) is used."""
    talk = ScriptedTalk(
        [
            ("smooth", True),
            ("right now", 0),
            ("Soreness now", 2),
            ("Bruising (more", UsageError("ended")),
        ]
    )
    deps = make_deps(tmp_path, talk)
    with pytest.raises(UsageError):
        session(deps, side="left")
    (record,) = deps.journal.recent(kinds={records.SESSION})
    assert record.data["aftercare_answered"] is False
    assert record.data["soreness"] == 2, "the answer given before the input ended is kept"
    assert record.data["complete"] is True, "the strokes themselves were all done"


def test_red_flag_given_before_ctrl_c_still_holds(tmp_path: Path) -> None:
    """Soreness 8, then Ctrl-C at the next question: the region is still put on hold."""
    talk = ScriptedTalk(
        [
            ("smooth", True),
            ("right now", 0),
            ("Soreness now", 8),
            ("Bruising (more", KeyboardInterrupt()),
        ]
    )
    deps = make_deps(tmp_path, talk)
    with pytest.raises(Interrupted):
        session(deps, side="left")
    assert "calf" in active_holds(deps.journal)
    assert "now on hold" in talk.transcript


def test_aftercare_only_for_sides_that_were_treated(tmp_path: Path) -> None:
    """Quitting during the left side of 'both': no questions about the untreated right."""
    talk = ScriptedTalk([*MILD])
    deps = make_deps(tmp_path, talk, keys=[(30.0, "q")])
    with pytest.raises(Interrupted):
        session(deps, side="both")
    assert not any("right calf" in q for q in talk.asked)
    assert [r.data["side"] for r in deps.journal.recent(kinds={records.SESSION})] == ["left"]


def test_red_flag_does_not_also_say_soreness_is_normal(tmp_path: Path) -> None:
    """After a red flag, the hold advice is not followed by 'mild soreness is normal'."""
    talk = ScriptedTalk(
        [("Soreness now", 8), ("smooth", True), ("right now", 0), ("treated area now", 1)]
    )
    session(make_deps(tmp_path, talk), side="left")
    after_panel = talk.transcript.split("now on hold", 1)[1]
    assert "is normal" not in after_panel


def test_too_sore_before_starting_stops(tmp_path: Path) -> None:
    """Soreness of 4 or more before the strokes: no session today (exit 3), recorded."""
    deps = make_deps(tmp_path, ScriptedTalk([("smooth", True), ("right now", 4)]))
    with pytest.raises(SafetyStop) as caught:
        session(deps, side="left")
    assert "settle" in (caught.value.hint or "")
    (screening,) = deps.journal.recent(kinds={records.SCREENING})
    assert screening.data["stopped_by"] == "soreness-before"
    deps = make_deps(tmp_path / "b", ScriptedTalk([*MILD, ("right now", 3)]))
    session(deps, side="left")


def test_refused_first_use_is_asked_again(tmp_path: Path) -> None:
    """Stopped for a sharp tool: the next session asks about the tool again."""
    clock = FakeClock()
    deps = make_deps(tmp_path, ScriptedTalk([("smooth", False), ("right now", 1)]), clock)
    with pytest.raises(SafetyStop):
        session(deps, side="left")
    clock.advance(3600)
    talk = ScriptedTalk(MILD)
    deps.talk = talk
    session(deps, side="left")
    assert any("smooth" in q for q in talk.asked)


def test_red_flag_panel_shows_region_literally() -> None:
    """A region name from a hand-edited journal cannot inject markup into the panel title."""
    from rich.console import Console

    from iastm_coach.safety.redflags import RedFlag
    from iastm_coach.views.redflags import red_flag_panel

    console = Console(width=100, record=True, color_system=None)
    console.print(red_flag_panel([RedFlag("numbness", "numbness")], "[bold]calf[/bold]"))
    assert "[bold]calf[/bold]" in console.export_text()


def test_get_ready_time_is_the_timed_plan(tmp_path: Path) -> None:
    """The 'Get ready' time matches what will be timed, skipped areas left out."""
    talk = ScriptedTalk([*MILD, ("Is there an ordinary bruise", True), ("Skip 'Lower calf", True)])
    session(make_deps(tmp_path, talk), side="left")
    assert "about 1 min 30 s of strokes" in talk.transcript  # 45 s + 45 s, soleus skipped


def test_get_ready_time_of_both_legs_says_the_time_per_leg(tmp_path: Path) -> None:
    """Both legs: 'about 4 min of strokes (2 min per leg)', never a bare total that reads
    as each leg's time."""
    talk = ScriptedTalk([*MILD, ("smooth", True)])
    session(make_deps(tmp_path, talk), side="both")
    assert "Time: about 4 min of strokes (2 min per leg)" in " ".join(talk.transcript.split())
