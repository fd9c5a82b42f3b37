"""Stopping early asks why, and the aftercare asks about every warning sign (issue 10 item 7).

A symptom (sharp pain, tingling, dizziness, too sore) places a hold with advice, and the
aftercare never then says "mild soreness is normal"; at each area break a one-key
discomfort check ends the session at 7 or more, sharp pain or tingling. Scripted answers,
scripted keys, a fake clock, a real journal."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iastm_coach.errors import Interrupted, UsageError
from iastm_coach.journal.store import records
from iastm_coach.safety.holds import active_holds, clear_hold
from iastm_coach.safety.redflags import STOP_REASONS
from iastm_coach.session.area_check import check_with_keys, check_with_line, parse_check
from iastm_coach.session.conversation import EndOfInput
from iastm_coach.session.timer import build_plan
from tests.builders import MILD, make_deps, refused, session
from tests.fakes import (
    FakeClock,
    RecordingView,
    ScriptedKeys,
    area_data,
    make_protocol,
    run_scripted,
)
from tests.scripted_talk import ScriptedTalk

DAY = 24 * 3600
ASSESSED = ("assessed", True)
QUIT_IN_AREA_2 = [(60.0, "q")]  # area 1 (45 s), a 5 s break, then area 2


def stopped_because(reason: int, *rules: tuple[str, object]) -> ScriptedTalk:
    return ScriptedTalk([*rules, ("Why did you stop", reason), *MILD, ASSESSED])


def last_session(deps) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return dict(deps.journal.recent(kinds={records.SESSION}, limit=1)[0].data)


def test_quitting_for_sharp_pain_holds_the_region(tmp_path: Path) -> None:
    """q, then 'sharp or spreading pain': the calf goes on hold with advice, the record
    keeps why, no 'mild soreness is normal' follows, and the next session is refused."""
    clock = FakeClock()
    talk = stopped_because(1)
    deps = make_deps(tmp_path, talk, clock, keys=QUIT_IN_AREA_2)
    with pytest.raises(Interrupted):
        session(deps, side="left")
    record = last_session(deps)
    assert record["stop_reason"] == "sharp-pain" and record["complete"] is False
    assert active_holds(deps.journal)["calf"].rules == ("sharp-pain",)
    after = talk.transcript.split("now on hold", 1)[1]
    assert "is normal" not in after
    clock.advance(3 * DAY)
    assert "on hold" in refused(deps, "calf", side="left", override_rest=True)


def test_ctrl_c_for_dizziness_asks_why_and_gives_the_dizziness_advice(tmp_path: Path) -> None:
    """Ctrl-C in area 2, then 'dizziness or feeling faint': held, with sit-down advice;
    the aftercare is not asked (Ctrl-C), the exit is still 130."""
    talk = stopped_because(3)
    deps = make_deps(tmp_path, talk, keys=[(60.0, KeyboardInterrupt)])
    with pytest.raises(Interrupted):
        session(deps, side="left")
    assert last_session(deps)["stop_reason"] == "dizziness"
    assert "calf" in active_holds(deps.journal)
    assert "Sit or lie down until the dizziness" in talk.transcript
    assert not any("Soreness now" in q for q in talk.asked)


def test_just_stopping_places_no_hold_and_does_not_say_soreness_is_normal(
    tmp_path: Path,
) -> None:
    """q for 'something else': no hold; the reminder asks for the check-ins without
    calling soreness normal."""
    talk = stopped_because(5)
    deps = make_deps(tmp_path, talk, keys=QUIT_IN_AREA_2)
    with pytest.raises(Interrupted):
        session(deps, side="left")
    assert last_session(deps)["stop_reason"] == "other"
    assert not active_holds(deps.journal)
    assert "is normal" not in talk.transcript.split("How do you feel?", 1)[1]
    assert "checkin" in talk.transcript


def test_discomfort_7_at_an_area_break_ends_and_holds(tmp_path: Path) -> None:
    """The check after area 1 answered 8: the session ends there (no 'why?' asked: the
    answer said), the calf is on hold for severe soreness (a serious sign), area 1 is
    kept as done."""
    talk = ScriptedTalk([*MILD, ASSESSED])
    deps = make_deps(tmp_path, talk, checks=["8"])
    with pytest.raises(Interrupted):
        session(deps, side="left")
    record = last_session(deps)
    statuses = [area["status"] for area in record["areas"]]  # type: ignore[attr-defined]
    assert statuses == ["done", "not-started", "not-started"]
    assert record["stop_reason"] == "discomfort-7"
    assert not any("Why did you stop" in q for q in talk.asked)
    assert active_holds(deps.journal)["calf"].rules == ("soreness-7",)
    with pytest.raises(UsageError, match="examined"):
        clear_hold(deps.journal, region="calf", reason="fine the next day", at=deps.clock.now())


def test_tingling_at_a_break_holds_the_limb_and_a_fine_answer_carries_on(
    tmp_path: Path,
) -> None:
    """Enter at the first break carries on; 't' at the second ends with a numbness hold,
    which reaches the Achilles on the same leg."""
    talk = ScriptedTalk([*MILD, ASSESSED])
    deps = make_deps(tmp_path, talk, checks=["", "t"])
    with pytest.raises(Interrupted):
        session(deps, side="left")
    statuses = [a["status"] for a in last_session(deps)["areas"]]  # type: ignore[attr-defined]
    assert statuses == ["done", "done", "not-started"]
    assert "cannot be treated" in refused(deps, "achilles", side="left")


def test_the_aftercare_asks_every_warning_sign(tmp_path: Path) -> None:
    """Broken skin and weakness after the calf: both hold (serious: lifted only with a
    clinician's examination); the record keeps each sign; the calf's dizziness is in the
    list, not asked on its own."""
    talk = ScriptedTalk([("Broken or grazed", True), ("Weakness in", True), *MILD, ASSESSED])
    deps = make_deps(tmp_path, talk)
    outcome = session(deps, side="left")
    assert {flag.rule for flag in outcome.flags} == {"skin-broken", "weakness"}
    record = last_session(deps)
    assert record["skin_broken"] is True and record["weakness"] is True
    assert record["swelling"] is False and record["dizziness"] is False
    assert record["aftercare_answered"] is True
    assert "wash and disinfect the tool" in talk.transcript
    assert not any(q.startswith("Any dizziness") for q in talk.asked)
    with pytest.raises(UsageError, match="examined"):
        clear_hold(deps.journal, region="calf", reason="it healed over", at=deps.clock.now())


def test_the_neck_asks_about_dizziness_on_its_own(tmp_path: Path) -> None:
    talk = ScriptedTalk([("Any dizziness", True), *MILD, ASSESSED])
    deps = make_deps(tmp_path, talk)
    outcome = session(deps, region="neck")
    assert [flag.rule for flag in outcome.flags] == ["dizziness"]
    group = next(q for q in talk.asked if q.endswith("Any of these on the neck now?"))
    assert "Dizziness" not in group


def test_the_plain_check_is_one_line() -> None:
    """Plain mode: one line per break; a number, s or t, Enter for fine; a pipe that ends
    or keeps not fitting stops the checks without losing the session."""
    assert [parse_check(a) for a in ("", " ", "3", "7", "10", "S", "t", "x")] == [
        "", "", "", "discomfort-7", "discomfort-7", "sharp-pain", "numbness", None,
    ]  # fmt: skip
    talk = ScriptedTalk([("Discomfort now", "9")])
    assert check_with_line(talk)(None) == "discomfort-7"  # type: ignore[arg-type]
    talk = ScriptedTalk([("Discomfort now", "lots")])
    check = check_with_line(talk)
    assert check(None) == "" and check(None) == ""  # type: ignore[arg-type]
    assert sum("Discomfort now" in q for q in talk.asked) == 5, "asked 5 times, then no more"
    said = " ".join(talk.transcript.split())
    assert said.count("No more discomfort checks between areas") == 1, "never silently"
    assert "Stop at once with q" in said
    talk = ScriptedTalk([("Discomfort now", EndOfInput("ended"))])
    check = check_with_line(talk)
    assert check(None) == "" and check(None) == ""  # type: ignore[arg-type]
    assert len(talk.asked) == 1
    assert "No more discomfort checks between areas" in talk.transcript


def test_input_ending_at_why_keeps_the_session(tmp_path: Path) -> None:
    """The pipe ends at 'Why did you stop?': the session is still recorded, no reason."""
    talk = ScriptedTalk([("Why did you stop", UsageError("ended")), *MILD, ASSESSED])
    deps = make_deps(tmp_path, talk, keys=QUIT_IN_AREA_2)
    with pytest.raises(UsageError):
        session(deps, side="left")
    record = last_session(deps)
    assert record["stop_reason"] == "" and record["aftercare_answered"] is False


def test_the_live_check_is_one_key_and_the_clock_waits() -> None:
    """Live: the check banner shows at the break and reads one key; the 40 s the person
    takes to answer do not eat into the next area, and '8' ends the run there."""
    protocol = make_protocol([area_data("Upper", 30), area_data("Lower", 30)])
    plan = build_plan(protocol, ["left"])
    clock = FakeClock()
    keys = ScriptedKeys(clock, [(70.0, "8")])  # area 1 ends at 30 s; answered at 70 s
    view = RecordingView()
    result = run_scripted(plan, clock=clock, keys=keys, view=view,
                          check_between=check_with_keys(keys, view))  # fmt: skip
    assert result.stop_reason == "discomfort-7" and result.ended_by == "quit"
    assert [s.status for s in result.steps] == ["done", "not-started"]
    assert view.of("check_prompt") == [True, False]

    clock = FakeClock()
    keys = ScriptedKeys(clock, [(70.0, "\r")])
    check = check_with_keys(keys, view)
    result = run_scripted(plan, clock=clock, keys=keys, check_between=check)
    assert result.ended_by == "finished" and result.actual_s == 60
    assert clock.elapsed == pytest.approx(70.0 + 5 + 30, abs=0.5), "the break starts after it"
    assert result.paused_s == 0, "answering the check is not a pause the person made"


@given(st.text(max_size=20))
def test_any_answer_to_the_check_is_a_reason_or_asked_again(answer: str) -> None:
    verdict = parse_check(answer)
    assert verdict is None or verdict == "" or verdict in STOP_REASONS


def test_a_piped_plain_session_stops_at_a_break_on_sharp_pain(isolated_home: Path) -> None:
    """Plain mode through the CLI: 's' on the line after area 1 ends the session (exit
    130, what was done kept), the calf is on hold, and the reason is in the record."""
    from typer.testing import CliRunner

    from iastm_coach.cli import app
    from iastm_coach.context import AppContext
    from iastm_coach.journal.store import Journal
    from tests.builders import ALL_CLEAR, FIRST_USE

    answers = FIRST_USE + ALL_CLEAR + "\n" + "n\n" + "s\n" + "2\nn\nstopped\n"
    result = CliRunner().invoke(
        app, ["session", "calf", "--side", "left", "--no-bell"], input=answers,
        obj=AppContext(clock=FakeClock()),
    )  # fmt: skip
    assert result.exit_code == 130, result.output
    assert "Discomfort now, 0-10?" in result.stdout and "now on hold" in result.stdout
    journal = Journal(isolated_home / "journal")
    (record,) = journal.recent(kinds={records.SESSION})
    assert record.data["stop_reason"] == "sharp-pain" and record.data["note"] == "stopped"
    assert active_holds(journal)["calf"].rules == ("sharp-pain",)
