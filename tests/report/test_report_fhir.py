"""`report --format fhir`: a FHIR Bundle a clinic's system can take, validated with the
maintained `fhir.resources` models (R4B, the FHIR 4.x release that package maintains for
pydantic 2; Patient, Observation, Procedure and Bundle are unchanged from R4 4.0.1 in the
parts used here)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.procedure import Procedure

from iastm_coach.report.build import Prescribed, Report, render
from tests.builders import T0, add_runner_weeks, journal_report, make_journal

NOW = T0 + timedelta(days=27)


@pytest.fixture(name="runner")
def _runner(tmp_path: Path) -> Report:
    journal = make_journal(tmp_path)
    add_runner_weeks(journal)
    return journal_report(
        journal, now=NOW, prescriptions={"calf": Prescribed(2, 4)}, patients=["Sam Runner"]
    )


def test_the_bundle_validates_and_holds_every_session(runner: Report) -> None:
    bundle = Bundle.model_validate_json(render(runner, "fhir"))
    assert bundle.type == "collection"
    resources = [entry.resource for entry in bundle.entry or []]
    (patient,) = [r for r in resources if isinstance(r, Patient)]
    assert patient.name is not None and patient.name[0].text == "Sam Runner"
    procedures = [r for r in resources if isinstance(r, Procedure)]
    assert len(procedures) == len(runner.rows)
    observations = [r for r in resources if isinstance(r, Observation)]
    pain = [o for o in observations if o.code.coding and o.code.coding[0].code == "72514-3"]
    answers = sum(
        (row.soreness_after is not None) + len(row.soreness_by_hours) for row in runner.rows
    )
    assert len(pain) == answers
    assert {o.code.coding[0].system for o in pain if o.code.coding} == {"http://loinc.org"}
    assert all(o.valueInteger is not None and 0 <= o.valueInteger <= 10 for o in pain)
    tests = [o for o in observations if not o.code.coding]
    assert len(tests) == len(runner.measures)
    assert {(o.valueQuantity.unit, o.valueQuantity.code) for o in tests if o.valueQuantity} == {
        ("cm", "cm")
    }


def test_references_resolve_inside_the_bundle(runner: Report) -> None:
    data = json.loads(render(runner, "fhir"))
    urls = {entry["fullUrl"] for entry in data["entry"]}
    references = [
        ref["reference"]
        for entry in data["entry"]
        for ref in [entry["resource"].get("subject"), *entry["resource"].get("partOf", [])]
        if ref
    ]
    assert references and set(references) <= urls


def test_the_same_journal_gives_the_same_bundle(runner: Report) -> None:
    assert render(runner, "fhir") == render(runner, "fhir")


def test_a_stopped_session_and_a_nameless_patient(tmp_path: Path) -> None:
    from tests.builders import add_session

    journal = make_journal(tmp_path)
    add_session(journal, started=T0, complete=False, note="<b>cramp</b>")
    report = journal_report(journal, now=NOW)
    bundle = Bundle.model_validate_json(render(report, "fhir"))
    resources = [entry.resource for entry in bundle.entry or []]
    (patient,) = [r for r in resources if isinstance(r, Patient)]
    assert patient.name is None
    (procedure,) = [r for r in resources if isinstance(r, Procedure)]
    assert procedure.status == "stopped"
    assert procedure.note and procedure.note[-1].text == "<b>cramp</b>"
