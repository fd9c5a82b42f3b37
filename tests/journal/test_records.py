"""The field reference of each record kind, and `field_problems` checking records against it."""

from __future__ import annotations

import math
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iastm_coach.journal import records
from iastm_coach.journal.records import field_problems, problems_by_field, unknown_fields
from iastm_coach.session.aftercare import Answers
from tests.builders import EXAMPLE_AT as T0
from tests.builders import EXAMPLES, example

# --- the reference ---------------------------------------------------------------------------


def test_every_kind_has_a_field_table_and_a_valid_example() -> None:
    """FIELDS covers exactly KINDS; each example fits, with no unknown fields."""
    assert tuple(records.FIELDS) == records.KINDS
    assert set(EXAMPLES) == set(records.KINDS)
    for kind in records.KINDS:
        assert field_problems(kind, EXAMPLES[kind]) == [], kind
        assert unknown_fields(kind, EXAMPLES[kind]) == [], kind
        required = {name for name, spec in records.FIELDS[kind].items() if spec.required}
        assert required <= set(EXAMPLES[kind]), kind


def test_every_field_is_documented() -> None:
    """Every field (and every field of a list's tables) says what it means, and the
    printed reference names them all."""
    text = records.reference()
    for kind, table in records.FIELDS.items():
        assert f"{kind}:" in text
        for name, spec in table.items():
            assert spec.doc.strip(), f"{kind}.{name} has no description"
            assert f"  {name}: " in text
            if isinstance(spec, records.ListOf) and isinstance(spec.item, records.Entry):
                for inner, inner_spec in spec.item.fields.items():
                    assert inner_spec.doc.strip(), f"{kind}.{name}.{inner}"
                    assert f"      {inner}: " in text


def test_the_score_rule_agrees_with_measure() -> None:
    """records keeps its own copy of measure.is_score (records must stay light)."""
    from iastm_coach.history import measure

    for unit in ["cm", "0-10", "pain 0-10", "0 – 10", "0—10", "degrees", "10-0", "0-100"]:
        assert records._is_score(unit) == measure.is_score(unit), unit
    assert records.SCORE_BOUNDS == measure.SCORE_BOUNDS
    assert records.MEASURE_BOUNDS == measure.RANGE_BOUNDS
    assert records.SIDES == measure.SIDES
    assert records.MEASURE_PHASES == measure.PHASES


# --- types -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "field", "value", "message"),
    [
        (
            "session",
            "soreness",
            "four",
            "soreness: must be a whole number from -1 to 10 (got 'four')",
        ),
        ("session", "soreness", 2.0, "soreness: must be a whole number from -1 to 10 (got 2.0)"),
        ("session", "soreness", True, "soreness: must be a whole number from -1 to 10 (got true)"),
        ("session", "complete", 1, "complete: must be true or false (got 1)"),
        ("session", "complete", "yes", "complete: must be true or false (got 'yes')"),
        ("session", "note", 5, "note: must be text (got 5)"),
        ("session", "note", ["a"], "note: must be text (got a list)"),
        ("session", "areas", {"name": "x"}, "areas: must be a list of tables (got a table)"),
        (
            "session",
            "started",
            "2026-01-13 07:25",
            "started: must be a date and time with a time zone offset (got '2026-01-13 07:25')",
        ),
        (
            "session",
            "started",
            datetime(2026, 1, 13, 7, 25),
            "started: must be a date and time with a time zone offset (got 2026-01-13T07:25:00)",
        ),
        (
            "session",
            "ended",
            date(2026, 1, 13),
            "ended: must be a date and time with a time zone offset (got 2026-01-13)",
        ),
        ("measure", "value", "9.5", "value: must be a number from -100 to 400 (got '9.5')"),
        ("measure", "value", False, "value: must be a number from -100 to 400 (got false)"),
        (
            "screening",
            "local",
            "scar",
            "local: must be a list of text (got 'scar')",
        ),
        (
            "screening",
            "answers",
            ["fever-unwell"],
            "answers: must be a table of true or false values (got a list)",
        ),
        ("hold_clear", "reason", 42, "reason: must be text (got 42)"),
    ],
)
def test_wrong_types(kind: str, field: str, value: Any, message: str) -> None:
    """A value of the wrong type is named with what it must be and what it is."""
    assert field_problems(kind, example(kind, **{field: value})) == [message]


def test_a_whole_number_is_a_fine_measure_value() -> None:
    """`value = 9` (an int in TOML) is as good as 9.0."""
    assert field_problems("measure", example("measure", value=9)) == []


def test_long_text_is_shortened_in_messages() -> None:
    (message,) = field_problems("session", example("session", side="x" * 100))
    assert message == f"side: must be one of left, right, none (got '{'x' * 37}...')"


# --- ranges ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "field", "value", "message"),
    [
        ("session", "soreness", 15, "soreness: must be a whole number from -1 to 10 (got 15)"),
        ("session", "soreness", -2, "soreness: must be a whole number from -1 to 10 (got -2)"),
        ("checkin", "soreness", -1, "soreness: must be a whole number from 0 to 10 (got -1)"),
        ("checkin", "soreness", 11, "soreness: must be a whole number from 0 to 10 (got 11)"),
        (
            "screening",
            "soreness_before",
            12,
            "soreness_before: must be a whole number from 0 to 10 (got 12)",
        ),
        (
            "session",
            "dose_percent",
            150,
            "dose_percent: must be a whole number from 0 to 100 (got 150)",
        ),
        (
            "session",
            "actual_s",
            -5,
            "actual_s: must be a whole number from 0 to 86400 (got -5)",
        ),
        ("measure", "value", 500.0, "value: must be a number from -100 to 400 (got 500.0)"),
        ("measure", "value", math.inf, "value: must be a number from -100 to 400 (got inf)"),
        ("measure", "value", math.nan, "value: must be a number from -100 to 400 (got nan)"),
        ("session", "region", "", "region: must be non-empty text (got '')"),
        ("measure", "test", "  ", "test: must be non-empty text (got '  ')"),
    ],
)
def test_out_of_range(kind: str, field: str, value: Any, message: str) -> None:
    """Numbers outside their range, and empty text where a name is needed."""
    assert field_problems(kind, example(kind, **{field: value})) == [message]


def test_the_edges_of_a_range_are_fine() -> None:
    for soreness in (-1, 0, 10):
        assert field_problems("session", example("session", soreness=soreness)) == []
    for value in (-100, 400, 0.0):
        assert field_problems("measure", example("measure", value=value)) == []


def test_a_0_10_score_must_be_from_0_to_10() -> None:
    """The unit decides the range of a measure's value (as `measure` does when recording)."""
    score = example("measure", unit="pain 0-10", test="Pain on stairs")
    assert field_problems("measure", {**score, "value": 7}) == []
    assert field_problems("measure", {**score, "value": 11}) == [
        "value: must be from 0 to 10 for a 0-10 score (got 11)"
    ]


# --- choices ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "field", "value", "message"),
    [
        ("session", "side", "middle", "side: must be one of left, right, none (got 'middle')"),
        ("session", "source", "app", "source: must be one of timer, log (got 'app')"),
        (
            "session",
            "protocol_source",
            "web",
            "protocol_source: must be one of built-in, installed, file (got 'web')",
        ),
        ("checkin", "hours", 36, "hours: must be one of 24, 48, 72, 120 (got 36)"),
        ("checkin", "hours", "24", "hours: must be one of 24, 48, 72, 120 (got '24')"),
        ("screening", "outcome", "ok", "outcome: must be one of cleared, stopped (got 'ok')"),
        ("measure", "side", "both", "side: must be one of left, right, none (got 'both')"),
        (
            "measure",
            "phase",
            "during",
            "phase: must be one of before, after, standalone (got 'during')",
        ),
    ],
)
def test_choices(kind: str, field: str, value: Any, message: str) -> None:
    """A value that is not one of the field's choices lists them."""
    assert field_problems(kind, example(kind, **{field: value})) == [message]


def test_problems_inside_lists_and_tables_name_the_item() -> None:
    """areas[1].status, answers.<id>, exercises[0].sets_done: the path to the bad value."""
    session = example("session")
    session["areas"][1]["status"] = "finished"
    assert field_problems("session", session) == [
        "areas[1].status: must be one of done, skipped, partial, not-started (got 'finished')"
    ]
    screening = example("screening", answers={"fever-unwell": 1})
    assert field_problems("screening", screening) == [
        "answers.fever-unwell: must be true or false (got 1)"
    ]
    screening = example("screening", cleared_cautions=["diabetes", 3])
    assert field_problems("screening", screening) == ["cleared_cautions[1]: must be text (got 3)"]
    exercise = example("exercise")
    exercise["exercises"][0]["sets_done"] = -1
    assert field_problems("exercise", exercise) == [
        "exercises[0].sets_done: must be a whole number, 0 or more (got -1)"
    ]
    exercise["exercises"][0] = "Calf raises"
    assert field_problems("exercise", exercise) == [
        "exercises[0]: must be a table {name, sets_done, sets_planned} (got 'Calf raises')"
    ]


def test_every_problem_of_a_record_is_listed() -> None:
    """Not just the first: each wrong field, in the order of the reference."""
    data = example("session", side="middle", soreness=15, note=3)
    assert field_problems("session", data) == [
        "side: must be one of left, right, none (got 'middle')",
        "soreness: must be a whole number from -1 to 10 (got 15)",
        "note: must be text (got 3)",
    ]


# --- missing and unknown fields ----------------------------------------------------------------


def test_missing_required_fields_are_problems() -> None:
    data = example("checkin")
    del data["soreness"], data["hours"]
    assert field_problems("checkin", data) == [
        "hours: is missing (it must be one of 24, 48, 72, 120)",
        "soreness: is missing (it must be a whole number from 0 to 10)",
    ]
    assert [p.missing for p in problems_by_field("checkin", data)] == [True, True]


def test_missing_fields_inside_a_list() -> None:
    session = example("session")
    del session["areas"][0]["status"]
    assert field_problems("session", session) == [
        "areas[0].status: is missing (it must be one of done, skipped, partial, not-started)"
    ]
    assert field_problems("session", session, missing=False) == []


def test_optional_fields_may_be_left_out() -> None:
    """A refused screening has region, outcome and stopped_by only; a logged session has no
    aftercare_answered; a screening without soreness_before or first_use is fine."""
    refusal = {"region": "calf", "outcome": "stopped", "stopped_by": "smooth-tool"}
    assert field_problems("screening", refusal) == []
    logged = example("session", source="log", areas=[], exercises=[])
    del logged["aftercare_answered"]
    assert field_problems("session", logged) == []


def test_without_missing_only_present_values_are_checked() -> None:
    """What the journal does when it reads: partial records are fine, wrong values are not."""
    assert field_problems("session", {"region": "calf"}, missing=False) == []
    assert field_problems("session", {"soreness": 15}, missing=False) == [
        "soreness: must be a whole number from -1 to 10 (got 15)"
    ]
    (problem,) = problems_by_field("session", {"soreness": 15}, missing=False)
    assert (problem.field, problem.missing) == ("soreness", False)


def test_unknown_fields_are_allowed_and_listed_separately() -> None:
    """Forward compatibility: a newer iastm-coach may add fields; check warns about them."""
    data = example("hold", colour="red", severity=3)
    assert field_problems("hold", data) == []
    assert unknown_fields("hold", data) == ["colour", "severity"]


def test_unknown_kinds_have_no_field_problems() -> None:
    assert field_problems("sleep", {"hours": "eight"}) == []
    assert unknown_fields("sleep", {"hours": "eight"}) == []


# --- every record the program writes fits --------------------------------------------------------

NOTES = st.text(st.characters(codec="utf-8"), max_size=30)
SIDES = st.sampled_from(["left", "right", "none"])


def _no_problems(kind: str, data: dict[str, Any]) -> None:
    assert field_problems(kind, data) == [], (kind, data)
    assert unknown_fields(kind, data) == [], (kind, data)


@settings(max_examples=60, deadline=None)
@given(
    region=st.sampled_from(["calf", "neck", "hamstrings"]),
    side=SIDES,
    steps=st.lists(
        st.tuples(
            st.text(min_size=1, max_size=20),
            st.integers(0, 600),
            st.integers(0, 600),
            st.sampled_from(["done", "skipped", "partial", "not-started"]),
        ),
        max_size=5,
    ),
    ended_by=st.sampled_from(["finished", "quit", "interrupted"]),
    percent=st.integers(10, 100),
    reason=NOTES,
    rest_override=st.booleans(),
    aftercare=st.builds(
        Answers,
        soreness=st.integers(-1, 10),
        bruising=st.none() | st.booleans(),
        numbness=st.none() | st.booleans(),
    ),
    note=NOTES,
    minutes=st.integers(0, 90),
)
def test_session_fields_always_fit(
    region: str,
    side: Any,
    steps: list[tuple[str, int, int, Any]],
    ended_by: Any,
    percent: int,
    reason: str,
    rest_override: bool,
    aftercare: Answers,
    note: str,
    minutes: int,
) -> None:
    """session.session_fields (what a guided session writes) fits the session fields."""
    from iastm_coach.protocols.library import load_builtin
    from iastm_coach.safety.dose import Dose
    from iastm_coach.safety.gates import GateResult
    from iastm_coach.session.flow import session_fields
    from iastm_coach.session.timer import RunResult, StepResult

    step_results = [
        StepResult(side, name, planned, min(actual, planned), status)
        for name, planned, actual, status in steps
    ]
    result = RunResult(
        step_results,
        ended_by,
        sum(s.planned_s for s in step_results),
        sum(s.actual_s for s in step_results),
    )
    data = session_fields(
        load_builtin(region),
        side=side,
        group=f"g{T0:%Y%m%d%H%M%S}beef",
        result=result,
        started=T0,
        ended=T0 + timedelta(minutes=minutes),
        dose=Dose(percent, reason),
        gates=GateResult(
            rest_override, ({"rule": "rest", "detail": reason},) if rest_override else ()
        ),
        aftercare=aftercare,
        note=note,
    )
    _no_problems(records.SESSION, data)


@settings(max_examples=60, deadline=None)
@given(
    region=st.sampled_from(["calf", "neck", "lower-back", "forearm"]),
    first=st.booleans(),
    answers=st.lists(st.booleans(), min_size=40, max_size=40),
    cleared=st.lists(st.booleans(), min_size=40, max_size=40),
    first_answers=st.lists(st.booleans(), min_size=5, max_size=5),
    soreness=st.integers(0, 10),
)
def test_screening_records_always_fit(
    region: str,
    first: bool,
    answers: list[bool],
    cleared: list[bool],
    first_answers: list[bool],
    soreness: int,
) -> None:
    """checklist.screening_record after the real evaluation of any answers fits."""
    from iastm_coach.safety.checklist import (
        ScreeningResult,
        evaluate_answer,
        evaluate_caution_clearance,
        evaluate_first_use,
        evaluate_soreness_before,
        load_checklist,
        screening_record,
    )

    checklist = load_checklist()
    result = ScreeningResult()
    if first:
        for question, yes in zip(checklist.first_use, first_answers, strict=False):
            evaluate_first_use(result, question, yes)
            if result.stopped:
                break
    for item, present, ok in zip(checklist.item, answers, cleared, strict=False):
        if result.stopped:
            break
        evaluate_answer(result, item, present, region=region)
        if present and item in result.cautions and not result.stopped:
            evaluate_caution_clearance(result, item, ok)
    if not result.stopped:
        evaluate_soreness_before(result, soreness)
    _no_problems(records.SCREENING, screening_record(result, region=region))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    soreness=st.integers(0, 10),
    signs=st.tuples(st.booleans(), st.booleans(), st.booleans(), st.booleans()),
    note=NOTES,
    hours=st.sampled_from([24, 48]),
    unit=st.sampled_from(["cm", "degrees", "pain 0-10"]),
    value=st.floats(0, 10),
    phase=st.sampled_from(["before", "after", "standalone"]),
    side=SIDES,
    sets=st.lists(st.tuples(st.integers(0, 5), st.integers(1, 5)), max_size=4),
)
def test_checkins_holds_measures_and_exercises_always_fit(
    soreness: int,
    signs: tuple[bool, bool, bool, bool],
    note: str,
    hours: int,
    unit: str,
    value: float,
    phase: str,
    side: str,
    sets: list[tuple[int, int]],
) -> None:
    """record_checkin (and the holds it places), clear_hold, record_measure and the
    exercise record write fields that fit, in a real journal, read back."""
    from iastm_coach.history.measure import record_measure
    from iastm_coach.journal.store import Journal
    from iastm_coach.safety.holds import active_holds, clear_hold
    from iastm_coach.session.checkin import CheckinAnswers, record_checkin
    from iastm_coach.session.exercises import ExerciseDone

    with tempfile.TemporaryDirectory() as temp:
        journal = Journal(Path(temp) / "journal")
        session = journal.append(records.SESSION, example(records.SESSION), at=T0)
        bruising, numbness, swelling, worse = signs
        answers = CheckinAnswers(soreness, bruising, numbness, swelling, worse, note)
        later = example(records.SESSION)["ended"] + timedelta(hours=hours + 1)
        record_checkin(journal, session, answers, hours=hours, now=later)
        for region in active_holds(journal):
            clear_hold(
                journal, region=region, reason="physio said OK", examined_by="Dr Lee", at=later
            )
        record_measure(
            journal,
            region="calf",
            side=side,
            test="Knee-to-wall lunge",
            unit=unit,
            value=value,
            phase=phase,
            session_id="" if phase == "standalone" else session.id,
            at=later,
        )
        journal.append(  # as aftercare.follow_up writes it
            records.EXERCISE,
            {
                "session": session.id,
                "group": session.data["group"],
                "region": "calf",
                "exercises": [
                    ExerciseDone(f"exercise {n}", min(done, planned), planned).fields()
                    for n, (done, planned) in enumerate(sets)
                ],
            },
            at=later,
        )
        written = list(Journal(journal.directory).scan())
        assert {r.kind for r in written} >= {"session", "checkin", "measure", "exercise"}
        for record in written:
            _no_problems(record.kind, dict(record.data))
        report = journal.check_report()
        assert report.problems == []


def test_a_guided_session_and_a_logged_one_check_clean(tmp_path: Path, isolated_home: Path) -> None:
    """The real session flow and `iastm-coach log` write journals that `journal check` passes
    without a single warning."""
    from iastm_coach.cli import app
    from iastm_coach.journal.store import Journal
    from iastm_coach.session.deps import SessionRequest
    from iastm_coach.session.flow import run_session
    from tests.builders import MILD, make_deps
    from tests.cli import FixedRunner
    from tests.scripted_talk import ScriptedTalk

    talk = ScriptedTalk([*MILD, ("journal", "felt good"), ("Which side", "both")])
    deps = make_deps(isolated_home, talk)
    run_session(SessionRequest(region="calf"), deps)
    runner = FixedRunner()
    for args in (["log", "neck", "--soreness", "3"], ["log", "calf", "--soreness", "8"]):
        logged = runner.invoke(app, args)
        assert logged.exit_code == 0, logged.output
    journal = Journal(isolated_home / "journal")
    kinds = {record.kind for record in journal.scan()}
    assert kinds >= {"session", "screening", "hold"}
    result = runner.invoke(app, ["journal", "check"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Journal OK: ")
    assert result.stderr == ""
    assert journal.check() == []
