"""Guided exercises: one screen per exercise with a counter, one key per set (Enter done,
s skip, q stop), timed holds on the injected clock."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

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
    talk = ScriptedTalk()  # Enter at every set
    (done,) = guide_exercises([HOLD], clock=clock, time_scale=1.0, talk=talk)
    assert (done.sets_done, done.sets_planned) == (3, 3)
    assert 90 <= clock.elapsed < 91
    assert talk.transcript.count("20 s left") == 3 and talk.transcript.count("Release") == 3


def test_time_scale_shortens_holds() -> None:
    """IASTM_COACH_TIME_SCALE applies to holds as to strokes."""
    clock = FakeClock()
    guide_exercises([HOLD], clock=clock, time_scale=0.01, talk=ScriptedTalk())
    assert clock.elapsed < 1


def test_one_key_per_set_skip_and_stop() -> None:
    """Enter at set 1, `s` at set 2 skips the rest of the raises; `q` at the stretch's
    first set stops: 1 and 0 sets recorded, and the one after is recorded with 0."""
    talk = ScriptedTalk([("Set 2 of 2", "skip"), ("hold", "quit")])
    raises, stretch, again = guide_exercises(
        [REPS, HOLD, REPS], clock=FakeClock(), time_scale=1, talk=talk
    )
    assert (raises.sets_done, raises.sets_planned) == (1, 2)
    assert (stretch.sets_done, stretch.sets_planned) == (0, 3)
    assert (again.sets_done, again.sets_planned) == (0, 2)
    assert "Exercise 1 of 3: Calf raises" in talk.transcript
    assert "Exercise 2 of 3: Calf stretch" in talk.transcript
    assert "Exercise 3 of 3" not in talk.transcript  # stopped: not shown
    assert len(talk.asked) == 3  # one question per set reached, none to confirm each one


def test_the_calf_guide_asks_one_key_per_set_and_does_not_list_them_again(
    tmp_path: Path,
) -> None:
    """The calf's three exercises of three sets: 1 question to start, then 9 set keys (all
    Enter) instead of 13 yes/no confirmations; the closing screen counts the sets instead
    of printing the list again."""
    talk = ScriptedTalk([*MILD, ("with a guide", True)])
    deps = make_deps(tmp_path, talk)
    session(deps, side="left")
    guide = talk.asked[talk.asked.index(next(q for q in talk.asked if "with a guide" in q)) :]
    assert len(guide) == 1 + 9
    assert all(q.startswith("Set ") for q in guide[1:])
    assert "Exercises: 9 of 9 sets done." in talk.transcript
    assert "to keep doing as your physio advises" not in talk.transcript


def test_session_records_exercises_and_measurements(tmp_path: Path) -> None:
    """A session with before/after measures and guided exercises links them to the session."""
    talk = ScriptedTalk(
        [
            *MILD,
            ("before you start", True),
            ("before the strokes", 9.0),
            ("after the strokes", 10.0),
            ("with a guide", True),
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


class CountsSets(ScriptedTalk):
    """Enter at every set, counting the set questions; something happens at number *at*."""

    def __init__(self, rules: list[tuple[str, object]], *, at: int) -> None:
        super().__init__(rules)
        self.sets = 0
        self.at = at

    def ask_choice(
        self, question: str, choices: Sequence[str], *, default: str | None = None
    ) -> str:
        if question.startswith("Set "):
            self.sets += 1
            self.at_set()
        return super().ask_choice(question, choices, default=default)

    def at_set(self) -> None:
        """Called at each set question, once `sets` counts it."""


class EndsAtSet(CountsSets):
    """Enter at every set until set question number *at*, where the input ends."""

    def at_set(self) -> None:
        from iastm_coach.session.conversation import EndOfInput

        if self.sets == self.at:
            raise EndOfInput("ended")


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
        ]
    )
    talk = EndsAtSet(talk.rules, at=4)  # the first set of the second exercise
    deps = make_deps(tmp_path, talk)
    session(deps, side="left")
    (measure,) = deps.journal.recent(kinds={records.MEASURE})
    assert (measure.data["phase"], measure.data["value"]) == ("before", 9.0)
    (exercise,) = deps.journal.recent(kinds={records.EXERCISE})
    assert [e["sets_done"] for e in exercise.data["exercises"]] == [3, 0, 0]  # 0: not done
    assert "Exercises: 3 of 9 sets done." in talk.transcript


class CtrlCInHold(CountsSets):
    """Enter at every set; Ctrl-C arrives during the hold after set question *at*."""

    def show(self, *items: object) -> None:
        super().show(*items)
        if self.sets == self.at and any("s left" in str(getattr(i, "text", "")) for i in items):
            raise KeyboardInterrupt


def test_ctrl_c_during_a_hold_keeps_the_sets_done_and_says_so(tmp_path: Path) -> None:
    """Ctrl-C while the 2nd set's hold counts down: the set done is kept, the rest of the
    prescription is recorded with 0 sets (1 of 9, not "0/0"), exit 130 names what was
    kept, and the check-in reminder is still shown."""
    from iastm_coach.errors import Interrupted

    talk = CtrlCInHold([*MILD, ("with a guide", True)], at=2)
    deps = make_deps(tmp_path, talk)
    with pytest.raises(Interrupted) as stopped:
        session(deps, side="left")
    assert "1 of 9 exercise sets done" in stopped.value.message
    assert "kept in your journal as done" in stopped.value.message
    (exercise,) = deps.journal.recent(kinds={records.EXERCISE})
    assert [(e["sets_done"], e["sets_planned"]) for e in exercise.data["exercises"]] == [
        (1, 3),
        (0, 3),
        (0, 3),
    ]
    assert "run `iastm-coach checkin`" in talk.transcript
    (record,) = deps.journal.recent(kinds={records.SESSION})
    assert record.data["complete"] is True


def test_skip_ends_one_exercise_and_quit_says_the_rest_are_not_done() -> None:
    """`s` at set 2 leaves only that exercise (the guide goes on, and says so); `q` says
    the exercises after it are recorded as not done."""
    talk = ScriptedTalk([("Set 2 of 2", "skip"), ("Set 1 of 3", "quit")])
    guide_exercises([REPS, HOLD, REPS], clock=FakeClock(), time_scale=1, talk=talk)
    assert "Skipped the rest of Calf raises." in talk.transcript
    assert "Exercise 2 of 3: Calf stretch" in talk.transcript
    assert "Exercises stopped: the one after this one is recorded as not done." in talk.transcript
