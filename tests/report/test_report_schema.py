"""The report's JSON against its published schema (`report --schema`), with a maintained
validator: every report the tests build, the empty one, and the runner's four weeks."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest

from iastm_coach.report.build import Prescribed, build_report, render_json
from iastm_coach.report.schema import report_schema, schema_text
from iastm_coach.safety.holds import fold_holds
from tests.builders import T0, add_runner_weeks, add_session, journal_report, make_journal

NOW = T0 + timedelta(days=27)


def validator() -> jsonschema.protocols.Validator:
    schema = report_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def test_the_runner_report_matches_the_schema(tmp_path: Path) -> None:
    journal = make_journal(tmp_path)
    add_runner_weeks(journal)
    items = list(journal.scan())
    report = build_report(
        items,
        now=NOW,
        since=None,
        prescriptions={"calf": Prescribed(2, 4)},
        active_holds=fold_holds(items).active,
        exercises_prescribed={"calf": 2},
    )
    data = json.loads(render_json(report))
    assert data["deviations"] and data["hold_spans"] and data["measures"]
    validator().validate(data)


def test_the_empty_report_matches_the_schema() -> None:
    data = json.loads(render_json(build_report([], now=NOW, since=None, prescriptions={})))
    validator().validate(data)


def test_the_schema_catches_a_field_it_does_not_know(tmp_path: Path) -> None:
    """Objects are closed: a field added to the JSON and not to the schema fails here."""
    journal = make_journal(tmp_path)
    add_session(journal, started=T0)
    data = json.loads(render_json(journal_report(journal, now=NOW)))
    data["sessions"][0]["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError, match="surprise"):
        validator().validate(data)


def test_schema_text_is_the_schema() -> None:
    assert json.loads(schema_text()) == report_schema()
