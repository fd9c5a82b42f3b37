"""`iastm-coach exercises REGION`: exercises on a day without scraping, guided and recorded,
and counted in the physio's report; a declined guide after a session is recorded too."""

from __future__ import annotations

import json
from pathlib import Path

from iastm_coach.cli import app
from iastm_coach.context import AppContext
from iastm_coach.journal.store import Journal
from iastm_coach.protocols.library import load_builtin
from tests.builders import MILD, make_deps, session
from tests.cli import FixedRunner
from tests.fakes import FakeClock
from tests.scripted_talk import ScriptedTalk

runner = FixedRunner()


def test_exercises_on_their_own_day(isolated_home: Path) -> None:
    """Every set done (one Enter per set): recorded as done, with `source = "log"`, and the
    report counts the day beside the sittings."""
    exercises = load_builtin("calf").protocol.exercise
    answers = "".join("\n" * e.sets for e in exercises)  # one key per set: Enter = done
    result = runner.invoke(
        app,
        ["exercises", "calf"],
        input=answers,
        obj=AppContext(clock=FakeClock()),
        env={"IASTM_COACH_TIME_SCALE": "0.0001"},
    )
    assert result.exit_code == 0, result.output
    total = sum(e.sets for e in exercises)
    assert f"Recorded: {total} of {total} sets of the calf exercises." in result.stdout
    (record,) = Journal(isolated_home / "journal").recent(kinds={"exercise"})
    assert record.data["source"] == "log" and record.data["session"] == ""
    report = runner.invoke(app, ["report", "--format", "json"])
    assert report.exit_code == 0


def test_answers_that_stop_keep_what_was_done(isolated_home: Path) -> None:
    """The input ends after the first exercise is declined: every exercise is recorded,
    with 0 sets for those not done (exit 2: the answers ran out)."""
    result = runner.invoke(
        app, ["exercises", "calf"], input="n\n", obj=AppContext(clock=FakeClock())
    )
    assert result.exit_code == 2
    (record,) = Journal(isolated_home / "journal").recent(kinds={"exercise"})
    assert [e["sets_done"] for e in record.data["exercises"]] == [0] * len(
        load_builtin("calf").protocol.exercise
    )


def test_a_declined_guide_is_recorded_as_not_done(isolated_home: Path) -> None:
    """After a session, "no" to the exercise guide writes an exercise record with 0 sets
    and `declined`, so the report counts that sitting as one without exercises."""
    deps = make_deps(isolated_home, ScriptedTalk([*MILD, ("exercises now", False)]))
    outcome = session(deps, side="left")
    (record,) = Journal(isolated_home / "journal").recent(kinds={"exercise"})
    assert record.data["declined"] is True and record.data["session"] == outcome.sessions[0].id
    assert all(e["sets_done"] == 0 for e in record.data["exercises"])
    data = json.loads(runner.invoke(app, ["report", "--format", "json"]).stdout)
    (calf,) = data["adherence"]
    assert (calf["exercise_sittings"], calf["exercises_declined"]) == (0, 1)


def test_ctrl_c_on_an_exercise_day_says_what_was_recorded(isolated_home: Path) -> None:
    """Two sets done, then Ctrl-C: the sets are recorded (the rest as not done) and the
    message says so, exit 130, instead of a bare 'Interrupted.'"""
    import io

    class TwoSetsThenCtrlC(io.StringIO):
        def readline(self, size: int | None = -1) -> str:
            line = super().readline()
            if not line:
                raise KeyboardInterrupt
            return line

    result = runner.invoke(
        app,
        ["exercises", "calf"],
        obj=AppContext(clock=FakeClock(), stdin=TwoSetsThenCtrlC("\n\n")),
        env={"IASTM_COACH_TIME_SCALE": "0.0001"},
    )
    assert result.exit_code == 130, result.output
    said = " ".join(result.stderr.split())
    assert "2 of 9 sets are recorded in your journal as done, the rest as not done" in said
    (record,) = Journal(isolated_home / "journal").recent(kinds={"exercise"})
    assert [e["sets_done"] for e in record.data["exercises"]] == [2, 0, 0]
