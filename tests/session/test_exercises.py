"""Guided exercises: set counters, timed holds on the injected clock, skips."""

from __future__ import annotations

from pathlib import Path

from iastm_coach.journal import records
from iastm_coach.protocols.model import Exercise
from iastm_coach.session.exercises import guide_exercises
from tests.builders import MILD, make_deps, session
from tests.fakes import FakeClock
from tests.scripted_talk import ScriptedTalk

HOLD = Exercise(name="Calf stretch", sets=3, hold_s=30, cue="Heel down")
REPS = Exercise(name="Calf raises", sets=2, reps=12, cue="Slowly")


def test_hold_sets_run_on_the_clock_without_sleeping() -> None:
    """Three 30 s holds take 90 s of fake time, announced every 10 s."""
    clock = FakeClock()
    talk = ScriptedTalk([("now", True), ("ready", True)])
    (done,) = guide_exercises([HOLD], clock=clock, time_scale=1.0, talk=talk)
    assert (done.sets_done, done.sets_planned) == (3, 3)
    assert 90 <= clock.elapsed < 91
    assert talk.transcript.count("20 s left") == 3 and talk.transcript.count("Release") == 3


def test_time_scale_shortens_holds() -> None:
    """IASTM_COACH_TIME_SCALE applies to holds as to strokes."""
    clock = FakeClock()
    guide_exercises(
        [HOLD], clock=clock, time_scale=0.01, talk=ScriptedTalk([("now", True), ("ready", True)])
    )
    assert clock.elapsed < 1


def test_reps_count_sets_and_stop_when_declined() -> None:
    """Answering no at set 2 records one set done; a skipped exercise records zero."""
    talk = ScriptedTalk([("Do 'Calf raises'", True), ("Set 1", True), ("Set 2", False)])
    raises, stretch = guide_exercises([REPS, HOLD], clock=FakeClock(), time_scale=1, talk=talk)
    assert (raises.sets_done, raises.sets_planned) == (1, 2)
    assert (stretch.sets_done, stretch.sets_planned) == (0, 3)


def test_session_records_exercises_and_measurements(tmp_path: Path) -> None:
    """A session with before/after measures and guided exercises links them to the session."""
    talk = ScriptedTalk(
        [
            *MILD,
            ("before you start", True),
            ("before the strokes", 9.0),
            ("after the strokes", 10.0),
            ("with a guide", True),
            ("now?", True),
            ("ready", True),
            ("Done?", True),
        ]
    )
    deps = make_deps(tmp_path, talk)
    outcome = session(deps, side="left")
    session_id = outcome.sessions[0].id
    measures = deps.journal.recent(kinds={records.MEASURE})
    assert sorted((m.data["phase"], m.data["value"]) for m in measures) == [
        ("after", 10.0),
        ("before", 9.0),
    ]
    assert {m.data["session"] for m in measures} == {session_id}
    assert "+1 cm" in talk.transcript and "long term" in talk.transcript
    (exercise,) = deps.journal.recent(kinds={records.EXERCISE})
    assert exercise.data["session"] == session_id
    assert all(e["sets_done"] == e["sets_planned"] for e in exercise.data["exercises"])


def test_red_flag_skips_exercises(tmp_path: Path) -> None:
    """After a red flag the advice is to stop, so no exercises are offered."""
    talk = ScriptedTalk(
        [("Soreness now", 9), ("smooth", True), ("right now", 0), ("with a guide", True)]
    )
    deps = make_deps(tmp_path, talk)
    session(deps, side="left")
    assert not any("with a guide" in q for q in talk.asked)
    assert not deps.journal.recent(kinds={records.EXERCISE})


def test_input_ending_mid_exercises_keeps_what_was_done(tmp_path: Path) -> None:
    """A pipe that ends during the second exercise still records the first one's sets,
    and a 'before' measurement is kept even when the 'after' one is never given."""
    from iastm_coach.session.conversation import EndOfInput

    talk = ScriptedTalk(
        [
            *MILD,
            ("before you start", True),
            ("before the strokes", 9.0),
            ("after the strokes", EndOfInput("ended")),
            ("with a guide", True),
            ("Do 'Wall calf stretch, knee straight' now", True),
            ("ready", True),
            ("Do 'Wall calf stretch, knee bent' now", EndOfInput("ended")),
        ]
    )
    deps = make_deps(tmp_path, talk)
    session(deps, side="left")
    (measure,) = deps.journal.recent(kinds={records.MEASURE})
    assert (measure.data["phase"], measure.data["value"]) == ("before", 9.0)
    (exercise,) = deps.journal.recent(kinds={records.EXERCISE})
    assert [e["sets_done"] for e in exercise.data["exercises"]] == [3]
