"""The home and clinician envelopes: one table; files are at home unless signed by a trusted
clinician (tests/protocols/test_signing.py checks that path)."""

from __future__ import annotations

from typing import Any

import pytest
import tomli_w

from iastm_coach.errors import DataFileError
from iastm_coach.protocols.envelope import (
    BOUNDS,
    CLINICIAN,
    HOME,
    Choices,
    Range,
    envelope_for,
    limits_table_markdown,
)
from iastm_coach.protocols.files import parse_protocol, protocol_json_schema
from iastm_coach.protocols.model import TreatmentProtocol
from tests.builders import REPO
from tests.builders import minimal_protocol as minimal

# The self-written file from the review (issue 10 item 9): firm pressure, 90° strum
# strokes, one stroke every 0.5 s, a 20-minute session, 24 h rest, 3 a week, no cut
# after a red flag and a dose rule that never fires.
CLINIC_DOSE: dict[str, Any] = {
    "area": [
        {"duration_s": 180, "stroke": "strum", "angle_deg": 90, "pressure": "firm",
         "cadence_s": 0.5},
    ],
    "settings": {"rest_hours": 24, "max_session_minutes": 20},
    "prescription": {"sessions_per_week": 3, "course_weeks": 4},
    "after_red_flag_percent": 100,
    "dose_rule": [{"when_soreness_at_least": 10, "scale_percent": 100, "explain": "never"}],
}  # fmt: skip


def clinic_document() -> dict[str, Any]:
    document = minimal()
    document["area"][0].update(CLINIC_DOSE["area"][0])
    document["settings"].update(CLINIC_DOSE["settings"])
    for key in ("prescription", "after_red_flag_percent", "dose_rule"):
        document[key] = CLINIC_DOSE[key]
    return document


def test_an_unsigned_file_beyond_the_home_envelope_is_refused_line_by_line() -> None:
    """Every key beyond the home envelope is named, with the home limit, in one go."""
    with pytest.raises(DataFileError) as caught:
        parse_protocol(tomli_w.dumps(clinic_document()).encode(), name="mine.toml")
    problems = "\n".join(caught.value.problems)
    for key in (
        "area[1].duration_s", "area[1].stroke", "area[1].angle_deg", "area[1].pressure",
        "area[1].cadence_s", "settings.rest_hours", "settings.max_session_minutes",
        "prescription.sessions_per_week", "after_red_flag_percent",
        "dose_rule[1].when_soreness_at_least", "dose_rule[1].scale_percent",
    ):  # fmt: skip
        assert f"mine.toml: {key}: must be" in problems, key
    assert problems.count("the home limit") == 11


def test_the_same_file_fits_the_clinician_envelope() -> None:
    """With a verified signature, the wider limits apply."""
    document = tomli_w.dumps(clinic_document()).encode()
    protocol = parse_protocol(document, name="signed.toml", envelope=CLINICIAN)
    assert protocol.area[0].pressure == "firm"
    assert protocol.settings.rest_hours == 24


def test_only_a_verified_signature_widens_the_limits() -> None:
    assert envelope_for(signature_verified=False) == HOME
    assert envelope_for(signature_verified=True) == CLINICIAN


def test_validation_without_a_context_is_the_home_envelope() -> None:
    """Code that validates a document directly cannot forget the home limits."""
    with pytest.raises(ValueError, match="the home limit"):
        TreatmentProtocol.model_validate(clinic_document())


def test_the_home_envelope_matches_the_issue() -> None:
    """Issue 10 item 9, number by number."""
    expected = {
        "pressure": Choices(("light", "moderate")),
        "stroke": Choices(("sweep", "fan", "brush", "frame")),
        "angle_deg": Range(15, 60),
        "cadence_s": Range(1, 5),
        "duration_s": Range(15, 90),
        "max_session_minutes": Range(1, 10),
        "rest_hours": Range(48, 336),
        "sessions_per_week": Range(1, 2),
        "after_red_flag_percent": Range(10, 50),
        "when_soreness_at_least": Range(1, 5),
        "scale_percent": Range(10, 70),
    }
    assert {key: BOUNDS[key].home for key in expected} == expected


@pytest.mark.parametrize("key", sorted(BOUNDS))
def test_the_clinician_envelope_contains_the_home_envelope(key: str) -> None:
    """Signing only ever widens: whatever is allowed at home is allowed with a signature."""
    home, clinician = BOUNDS[key].home, BOUNDS[key].clinician
    if isinstance(home, Range):
        assert isinstance(clinician, Range)
        assert clinician.low <= home.low <= home.high <= clinician.high
    else:
        assert isinstance(clinician, Choices)
        assert set(home.values) <= set(clinician.values)
    assert BOUNDS[key].source


def test_no_stroke_without_a_source() -> None:
    """ "swivel" has no source (clinical reference §2) and is not a stroke type."""
    for bound in (BOUNDS["stroke"].home, BOUNDS["stroke"].clinician):
        assert isinstance(bound, Choices) and "swivel" not in bound.values


def _schema_properties(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for model in [schema, *schema.get("$defs", {}).values()]:
        found |= model.get("properties", {})
    return found


@pytest.mark.parametrize("key", sorted(BOUNDS))
def test_json_schema_is_generated_from_the_table(key: str) -> None:
    """`protocol schema` states the home limits and the clinician ones beside them."""
    field = _schema_properties(protocol_json_schema())[key]
    home, clinician = BOUNDS[key].home, BOUNDS[key].clinician
    if isinstance(home, Range):
        assert isinstance(clinician, Range)
        assert (field["minimum"], field["maximum"]) == (home.low, home.high)
        if clinician != home:
            assert field["x-clinician-maximum"] == clinician.high
    else:
        assert field["enum"] == list(home.values)


def test_limits_table_lists_every_bound() -> None:
    table = limits_table_markdown()
    for bound in BOUNDS.values():
        assert f"| `{bound.key}` |" in table


def test_readme_limits_table_is_the_generated_one() -> None:
    """The README's table is `limits_table_markdown()`, word for word."""
    readme = (REPO / "README.md").read_text()
    assert limits_table_markdown() in readme
    assert "Every limit is a safety bound taken from the clinical reference" not in readme


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d.update(format=2), "format: must be at most 1 (got 2)"),
        (
            lambda d: d.update(
                outcome={"name": "KTW", "unit": "cm", "how": "x", "minimal_change": 0}
            ),
            "outcome.minimal_change: must be more than 0 (got 0)",
        ),
    ],
)
def test_limits_outside_the_table_are_explained_in_words(edit: Any, expected: str) -> None:
    document = minimal()
    edit(document)
    with pytest.raises(DataFileError) as caught:
        parse_protocol(tomli_w.dumps(document).encode(), name="p.toml")
    assert f"p.toml: {expected}" in caught.value.problems


def test_a_signed_file_beyond_home_limits_is_explained_to_the_patient_in_one_line() -> None:
    """`validate` and `sign` name each value only the signature allows; `install` tells the
    patient once, in words, why the file may go beyond the home limits."""
    from datetime import date
    from pathlib import Path

    from iastm_coach.protocols.files import LoadedProtocol

    document = tomli_w.dumps(clinic_document()).encode()
    protocol = parse_protocol(document, name="signed.toml", envelope=CLINICIAN)
    signed = LoadedProtocol(protocol, Path("signed.toml"), "ab" * 32, "file", envelope=CLINICIAN)
    day = date(2026, 1, 1)
    assert sum("within the clinician limit only" in line for line in signed.warnings(day)) == 11
    assert [line for line in signed.notes_for_patient(day) if "beyond" in line] == [
        "This plan goes beyond the limits iastm-coach keeps for plans used at home; that is "
        "allowed only because the clinician who signed it is one you trust."
    ]
