"""Outcome measurements: `record_measure`, the bounds, and `iastm-coach measure`."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from iastm_coach.cli import app
from iastm_coach.context import AppContext
from iastm_coach.errors import UsageError
from iastm_coach.history.measure import (
    check_value,
    describe_previous,
    format_value,
    recent_measures,
    record_measure,
    value_bounds,
)
from iastm_coach.journal.store import Journal, Record, records
from iastm_coach.paths import installed_protocols_dir, journal_dir
from iastm_coach.protocols.library import builtin_path
from tests.fakes import DEFAULT_START, FakeClock

runner = CliRunner()
NOW = DEFAULT_START  # Monday 2 March 2026, 18:30 UTC
KNEE_TO_WALL = "Knee-to-wall lunge"


def journal() -> Journal:
    return Journal(journal_dir())


def measures() -> list[Record]:
    return list(journal().scan(kinds={records.MEASURE}))


def invoke(args: list[str], answers: str = "") -> Any:
    return runner.invoke(app, ["measure", *args], input=answers, obj=AppContext(FakeClock(NOW)))


def record(value: float, **changes: Any) -> Record:
    fields: dict[str, Any] = {
        "region": "calf",
        "side": "left",
        "test": KNEE_TO_WALL,
        "unit": "cm",
        "value": value,
        "phase": "standalone",
        "session_id": "",
        "at": NOW,
    }
    fields.update(changes)
    return record_measure(journal(), **fields)


def install_calf(edit: Any) -> None:
    """Install an edited copy of the built-in calf protocol."""
    text = edit(builtin_path("calf").read_text(encoding="utf-8"))
    target = installed_protocols_dir() / "calf.toml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


# --- the library ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "bounds"),
    [
        ("cm", (-100.0, 400.0)),
        ("degrees", (-100.0, 400.0)),
        ("0-10", (0.0, 10.0)),
        ("pain 0\u201310", (0.0, 10.0)),
        ("0 - 10", (0.0, 10.0)),
    ],
)
def test_value_bounds(unit: str, bounds: tuple[float, float]) -> None:
    """Ranges -100..400; a unit naming the 0-10 scale bounds the value 0..10."""
    assert value_bounds(unit) == bounds


@pytest.mark.parametrize(
    ("value", "unit"), [(400.5, "cm"), (-101, "cm"), (11, "0-10"), (-1, "0-10")]
)
def test_out_of_bounds_is_a_usage_error(value: float, unit: str) -> None:
    """Typing mistakes are caught with exit code 2."""
    with pytest.raises(UsageError):
        check_value(value, unit)


def test_not_a_number_is_refused() -> None:
    """NaN and infinity are never stored."""
    for value in (float("nan"), float("inf")):
        with pytest.raises(UsageError):
            check_value(value, "cm")


def test_record_measure_writes_the_documented_fields() -> None:
    """One measure record with region, side, test, unit, value, phase and session."""
    written = record(9.5, phase="after", session_id="01J0000000000000000000000A")
    [read] = measures()
    assert read.id == written.id
    assert read.at == NOW
    assert dict(read.data) == {
        "region": "calf",
        "side": "left",
        "test": KNEE_TO_WALL,
        "unit": "cm",
        "value": 9.5,
        "phase": "after",
        "session": "01J0000000000000000000000A",
    }


def test_record_measure_stores_floats() -> None:
    """An int value is stored as a float, so the field has one type."""
    record(9)
    assert isinstance(measures()[0].data["value"], float)


@pytest.mark.parametrize(
    "changes", [{"side": "both"}, {"phase": "during"}, {"region": ""}, {"unit": ""}]
)
def test_record_measure_rejects_bad_arguments(changes: dict[str, Any]) -> None:
    """Side, phase and the names are checked (programming errors: ValueError)."""
    with pytest.raises(ValueError):
        record(9.5, **changes)
    assert measures() == []


def test_record_measure_rejects_out_of_bounds_values() -> None:
    """A score of 12 is not recorded."""
    with pytest.raises(UsageError):
        record(12, unit="0-10")
    assert measures() == []


def test_recent_measures_filters_and_orders() -> None:
    """Newest first, only this region, test and side, at most the limit."""
    for days, value in ((5, 8.0), (3, 8.5), (1, 9.0)):
        record(value, at=NOW - timedelta(days=days))
    record(7.0, side="right", at=NOW - timedelta(days=2))
    record(2.0, test="Other test", at=NOW - timedelta(days=1))
    record(3.0, region="achilles", at=NOW - timedelta(days=1))
    found = recent_measures(journal(), region="calf", test=KNEE_TO_WALL, now=NOW, side="left")
    assert [r.data["value"] for r in found] == [9.0, 8.5, 8.0]
    two = recent_measures(journal(), region="calf", test=KNEE_TO_WALL, now=NOW, limit=2)
    assert [r.data["value"] for r in two] == [9.0, 7.0]


def test_describe_previous() -> None:
    """'9 cm yesterday (left)', 'on Sat 28 Feb', and the session phase."""
    one = record(9.0, at=NOW - timedelta(days=1))
    two = record(8.5, at=NOW - timedelta(days=2), phase="before", session_id="x")
    score = record(4, side="none", unit="0-10", test="Pain", at=NOW - timedelta(days=9))
    assert describe_previous([one, two, score], NOW) == [
        "9 cm yesterday (left)",
        "8.5 cm on Sat 28 Feb (left, before a session)",
        "4/10 on Sat 21 Feb",
    ]


def test_format_value() -> None:
    """Ranges with their unit, scores out of 10."""
    assert format_value(9.5, "cm") == "9.5 cm"
    assert format_value(3.0, "0-10") == "3/10"


# --- the command --------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "value"), [("12,5", 12.5), ("12.5", 12.5), ("-1,5", -1.5)])
def test_measure_value_takes_a_decimal_comma_as_the_prompt_does(typed: str, value: float) -> None:
    """`--value 12,5` is 12.5, as the session's prompt reads '9,5'; '1,2,3' is still refused."""
    result = invoke(["calf", "--value", typed, "--side", "left"])
    assert result.exit_code == 0, result.output
    assert [m.data["value"] for m in measures()] == [value]
    refused = invoke(["calf", "--value", "1,2,3", "--side", "left"])
    assert refused.exit_code == 2 and "must be a number" in refused.stderr


def test_measure_with_value_records_it() -> None:
    """`measure calf --value 9.5 --side left`: exit 0, one standalone record, the caveat."""
    result = invoke(["calf", "--value", "9.5", "--side", "left"])
    assert result.exit_code == 0, result.output
    assert "Recorded Knee-to-wall lunge, left: 9.5 cm." in result.stdout
    assert "same time of day" in result.stdout
    [read] = measures()
    assert (read.data["phase"], read.data["session"], read.data["value"]) == ("standalone", "", 9.5)
    assert read.at == NOW


def test_alias_is_resolved() -> None:
    """A region alias records under the canonical region."""
    assert invoke(["calves", "--value", "9", "--side", "right"]).exit_code == 0
    assert measures()[0].data["region"] == "calf"


def test_previous_values_are_shown_for_context() -> None:
    """The last measurements of the same test and side follow the new one."""
    record(9.0, at=NOW - timedelta(days=4))
    result = invoke(["calf", "--value", "9.5", "--side", "left"])
    assert "Last: 9 cm on Thu 26 Feb" in result.stdout


def test_negative_value_is_accepted_for_a_range() -> None:
    """`--value -3` (a sit-and-reach short of the toes) is a valid range value."""
    result = invoke(["calf", "--value", "-3", "--side", "left"])
    assert result.exit_code == 0, result.output
    assert measures()[0].data["value"] == -3.0


def test_json_output() -> None:
    """`--json`: the record's fields, its id and time, and the previous values."""
    record(9.0, at=NOW - timedelta(days=4))
    result = invoke(["calf", "--value", "9.5", "--side", "left", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["value"] == 9.5
    assert data["test"] == KNEE_TO_WALL
    assert data["at"] == NOW.isoformat()
    assert [p["value"] for p in data["previous"]] == [9.0]


def test_json_without_value_is_a_usage_error() -> None:
    """Nobody can answer a question in --json mode: exit 2, nothing recorded."""
    result = invoke(["calf", "--json", "--side", "left"])
    assert result.exit_code == 2
    assert "--json needs --value" in result.stderr
    assert measures() == []


def test_sided_region_needs_a_side_with_value() -> None:
    """`--value` without `--side` on a sided region: exit 2."""
    result = invoke(["calf", "--value", "9.5"])
    assert result.exit_code == 2
    assert "--side left or --side right" in result.stderr


def test_sided_region_refuses_side_none() -> None:
    """A sided region is measured one side at a time."""
    result = invoke(["calf", "--value", "9.5", "--side", "none"])
    assert result.exit_code == 2
    assert "one side of the calf at a time" in result.stderr


def test_region_without_sides_refuses_left() -> None:
    """The neck has no sides: --side left is a usage error; no side records 'none'."""
    assert invoke(["neck", "--value", "3", "--side", "left"]).exit_code == 2
    assert invoke(["neck", "--value", "3"]).exit_code == 0
    assert measures()[0].data["side"] == "none"


def test_score_bounds_apply_to_0_10_tests() -> None:
    """The neck's test is a 0-10 score: 11 is refused with exit 2."""
    result = invoke(["neck", "--value", "11"])
    assert result.exit_code == 2
    assert "0 to 10" in result.stderr
    assert measures() == []


def test_range_bounds_apply_to_cm_tests() -> None:
    """450 cm is a typing mistake: exit 2."""
    result = invoke(["calf", "--value", "450", "--side", "left"])
    assert result.exit_code == 2
    assert "-100 to 400" in result.stderr


def test_unknown_region_is_a_usage_error() -> None:
    """A misspelt region: exit 2 with its name."""
    result = invoke(["calff", "--value", "9"])
    assert result.exit_code == 2
    assert "unknown region 'calff'" in result.stderr


def test_prompted_measurement_shows_instructions_and_asks() -> None:
    """Without --value: the test and how to do it, the side and value asked, then recorded."""
    record(8.0, at=NOW - timedelta(days=2))
    result = invoke(["calf"], answers="left\n9.5\n")
    assert result.exit_code == 0, result.output
    assert "Outcome test for the calf: Knee-to-wall lunge (cm)" in result.stdout
    assert "Face a wall with your big toe on a tape measure." in result.stdout
    assert "Last: 8 cm on Sat 28 Feb (left)" in result.stdout
    assert "Recorded Knee-to-wall lunge, left: 9.5 cm." in result.stdout
    assert [r.data["value"] for r in measures()] == [8.0, 9.5]


def test_prompt_retries_out_of_range_values() -> None:
    """A value out of range is asked again, not recorded."""
    result = invoke(["neck"], answers="12\n4\n")
    assert result.exit_code == 0, result.output
    assert [r.data["value"] for r in measures()] == [4.0]


def test_prompt_can_be_skipped() -> None:
    """Enter at the value question records nothing (exit 0)."""
    result = invoke(["calf", "--side", "right"], answers="\n")
    assert result.exit_code == 0
    assert "Nothing recorded." in result.stdout
    assert measures() == []


def test_region_without_outcome_test_is_a_usage_error() -> None:
    """An installed protocol with no [outcome] table: exit 2 with what to ask the physio."""

    def drop_outcome(text: str) -> str:
        start = text.index("[outcome]")
        end = text.index("[prescription]")
        return text[:start] + text[end:]

    install_calf(drop_outcome)
    result = invoke(["calf", "--value", "9", "--side", "left"])
    assert result.exit_code == 2
    assert "the calf protocol has no outcome test" in result.stderr
    assert "[outcome]" in result.stderr


def test_protocol_text_is_shown_literally() -> None:
    """Markup in an installed protocol's test name and instructions is not interpreted."""

    def add_markup(text: str) -> str:
        text = text.replace('name = "Knee-to-wall lunge"', 'name = "[red]Lunge[/red]"')
        return text.replace('how = "Face a wall', 'how = "[bold]Face[/bold] a wall')

    install_calf(add_markup)
    result = invoke(["calf", "--side", "left"], answers="9\n")
    assert result.exit_code == 0, result.output
    assert "[red]Lunge[/red]" in result.stdout
    assert "[bold]Face[/bold] a wall" in result.stdout
