"""The protocol format: valid files load, every bound is enforced, errors are precise."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from iastm_coach.errors import DataFileError
from iastm_coach.protocols.files import load_protocol_file, parse_protocol
from iastm_coach.protocols.library import builtin_dir, region_index
from iastm_coach.protocols.model import TreatmentProtocol
from tests.builders import minimal_protocol as minimal

BUILTINS = sorted(builtin_dir().glob("*.toml"))


def problems_for(document: dict[str, Any]) -> list[str]:
    with pytest.raises(DataFileError) as caught:
        parse_protocol(tomli_w.dumps(document).encode(), name="p.toml")
    assert caught.value.exit_code == 4
    return caught.value.problems


def test_minimal_document_is_valid() -> None:
    """The smallest complete protocol validates."""
    protocol = parse_protocol(tomli_w.dumps(minimal()).encode(), name="p.toml")
    assert protocol.planned_seconds(sides=2) == 120


@pytest.mark.parametrize("path", BUILTINS, ids=lambda p: p.stem)
def test_every_builtin_protocol_validates(path: Path) -> None:
    """Each shipped protocol is valid, named after its region, and has exercises."""
    loaded = load_protocol_file(path, source="built-in")
    assert loaded.protocol.region == path.stem
    assert loaded.protocol.exercise, "a programme includes exercises"
    assert loaded.protocol.issued is None
    assert all(area.pressure != "firm" for area in loaded.protocol.area)


def test_builtin_library_is_complete() -> None:
    """At least the twelve regions the issue names ship with the program."""
    expected = {
        "calf", "achilles", "plantar-fascia", "shin", "hamstrings", "quadriceps",
        "lateral-thigh", "glutes", "lower-back", "upper-back", "posterior-shoulder",
        "forearm-extensors", "forearm-flexors",
    }  # fmt: skip
    assert expected <= set(region_index().regions)


def test_aliases_are_unique_and_never_shadow_a_region() -> None:
    """An alias resolves to exactly one region."""
    seen: dict[str, str] = {}
    regions = {path.stem for path in BUILTINS}
    for path in BUILTINS:
        for alias in tomllib.loads(path.read_text())["aliases"]:
            assert alias not in regions
            assert alias not in seen, f"{alias} in {seen.get(alias)} and {path.stem}"
            seen[alias] = path.stem


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda d: d["area"][0].update(duration_s=600),
            "p.toml: area[1].duration_s: must be between 15 and 90 seconds, the home limit "
            "(got 600)",
        ),
        (
            lambda d: d["settings"].update(rest_hours=12),
            "p.toml: settings.rest_hours: must be between 48 and 336 hours, the home limit "
            "(got 12)",
        ),
        (
            lambda d: d["settings"].update(max_session_minutes=45),
            "p.toml: settings.max_session_minutes: must be between 1 and 10 minutes, the home "
            "limit (got 45)",
        ),
        (
            lambda d: d["area"][0].update(angle_deg=5),
            "p.toml: area[1].angle_deg: must be between 15 and 60 degrees, the home limit (got 5)",
        ),
        (
            lambda d: d["area"][0].update(pressure="crushing"),
            "p.toml: area[1].pressure: must be one of 'light', 'moderate' or 'firm' "
            "(got 'crushing')",
        ),
        (
            lambda d: d["area"][0].update(pressure="firm"),
            "p.toml: area[1].pressure: must be one of 'light' or 'moderate', the home limit "
            "(got 'firm')",
        ),
        (
            lambda d: d["area"][0].update(stroke="swivel"),
            "p.toml: area[1].stroke: must be one of 'sweep', 'fan', 'brush', 'frame', "
            "'j-stroke', 'strum' or 'scan' (got 'swivel')",
        ),
        (
            lambda d: d["area"][0].update(stroke="strum"),
            "p.toml: area[1].stroke: must be one of 'sweep', 'fan', 'brush' or 'frame', "
            "the home limit (got 'strum')",
        ),
        (
            lambda d: d.pop("title"),
            "p.toml: title: is required but missing",
        ),
        (
            lambda d: d["area"][0].update(durration=3),
            "p.toml: area[1].durration: unknown key 'durration'; did you mean 'duration_s'?",
        ),
        (
            lambda d: d["exercise"][0].update(reps=10),
            "p.toml: exercise[1]: give exactly one of reps or hold_s",
        ),
        (
            lambda d: d.update(id="Calf Protocol"),
            "p.toml: id: must be lowercase letters, digits and single dashes",
        ),
    ],
)
def test_each_problem_is_reported_precisely(edit: Any, expected: str) -> None:
    """Messages name the file, the key path (counting from 1) and what is allowed."""
    document = minimal()
    edit(document)
    assert any(line.startswith(expected) for line in problems_for(document)), problems_for(document)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d.update(title=3), "title: must be text in quotes (got 3)"),
        (
            lambda d: d["access"].update(sided="yes"),
            "access.sided: must be true or false (got 'yes')",
        ),
        (
            lambda d: d["area"][0].update(duration_s=1.5),
            "area[1].duration_s: must be a whole number",
        ),
        (lambda d: d.update(issued={"review_by": "soon"}), "issued.review_by: must be a date like"),
        (
            lambda d: d.update(after_red_flag_percent=5),
            "after_red_flag_percent: must be between 10",
        ),
        (lambda d: d.update(area={"name": "x"}), "area: must be a list (got a table)"),
    ],
)
def test_type_errors_use_plain_words(edit: Any, expected: str) -> None:
    """Wrong types are explained in TOML terms, with the value as written."""
    document = minimal()
    edit(document)
    problems = problems_for(document)
    assert any(expected in line for line in problems), problems


def test_cross_field_problems_come_with_the_others() -> None:
    """A missing reps/hold_s and an over-long session show up beside field errors."""
    document = minimal()
    document["title"] = ""
    document["exercise"][0]["reps"] = 10
    document["area"] = [dict(document["area"][0], name=f"A{n}", duration_s=180) for n in range(5)]
    problems = problems_for(document)
    assert any("title: must not be empty" in line for line in problems)
    assert any("exercise[1]: give exactly one of reps or hold_s" in line for line in problems)
    assert any("more than the 10 minute session limit" in line for line in problems)


def test_every_problem_is_listed_at_once() -> None:
    """Three independent mistakes give three lines, not one error per run."""
    document = minimal()
    document["area"][0]["duration_s"] = 1
    document["settings"]["rest_hours"] = 1
    document["colour"] = "red"
    assert len(problems_for(document)) == 3


def test_total_dose_cannot_exceed_ten_minutes_at_home() -> None:
    """Areas that each look fine but add up to more than the session limit are refused."""
    document = minimal()
    template = document["area"][0]
    document["area"] = [dict(template, name=f"Area {n}", duration_s=90) for n in range(4)]
    (problem,) = problems_for(document)
    assert "areas add up to 12 min 0 s for both sides, more than the 10 minute" in problem


def test_a_one_side_plan_counts_only_its_side_against_the_session_limit() -> None:
    """A right-only plan treats one side a sitting: 6 min of areas fit a 10 minute limit
    (the physio's tennis elbow plan was refused as '12 min for both sides'); over the limit,
    the message does not speak of both sides."""
    document = minimal()
    template = document["area"][0]
    document["area"] = [dict(template, name=f"Area {n}", duration_s=90) for n in range(4)]
    document["access"]["sides"] = ["right"]
    protocol = parse_protocol(tomli_w.dumps(document).encode(), name="p.toml")
    assert protocol.access.sides == ["right"]
    document["settings"]["max_session_minutes"] = 5
    (problem,) = problems_for(document)
    assert problem == (
        "p.toml: (top level): areas add up to 6 min 0 s, more than the 5 minute session "
        "limit (settings.max_session_minutes)"
    )


def test_toml_syntax_errors_give_line_and_column() -> None:
    """A broken file says where it broke."""
    with pytest.raises(DataFileError) as caught:
        parse_protocol(b'id = "calf"\ntitle = \n', name="bad.toml")
    problem, shown, caret = caught.value.problems
    assert problem.startswith("bad.toml: TOML syntax error at line 2, column 9: Invalid value")
    assert shown == "bad.toml:     2 | title = "
    assert caret == "bad.toml:       |         ^"


@pytest.mark.parametrize(
    "text",
    ["\x1b[2J wipe", "bell\x07", "csi\x9b31m", "tab\there", "rtl\u202eevil", "zero\u200bwidth"],
)
def test_control_characters_are_rejected(text: str) -> None:
    """Terminal escape sequences in protocol text never reach the screen."""
    document = minimal()
    document["area"][0]["cues"] = [text]
    (problem,) = problems_for(document)
    assert problem.startswith("p.toml: area[1].cues[1]: contains a control character")


def test_rich_markup_is_allowed_as_plain_text() -> None:
    """Square brackets are ordinary text in a file (shown literally later)."""
    document = minimal()
    document["title"] = "[bold red]Calf[/]"
    assert parse_protocol(tomli_w.dumps(document).encode(), name="p").title.startswith("[bold")


def test_model_round_trips_through_dump_and_validate() -> None:
    """model_dump -> model_validate gives the same protocol (for `protocol new`)."""
    protocol = TreatmentProtocol.model_validate(minimal())
    assert TreatmentProtocol.model_validate(protocol.model_dump()) == protocol


def test_a_bad_byte_far_along_a_long_line_is_shown_under_the_caret(tmp_path: Path) -> None:
    """A Latin-1 '§' at column 175 of a reference: the line was cut at 120 characters and
    the caret sat at its end, under nothing. The excerpt now holds the byte, caret under it."""
    path = tmp_path / "long.toml"
    path.write_bytes(b'references = ["' + b"x" * 159 + b'\xa7 8e"]\n')
    with pytest.raises(DataFileError) as caught:
        load_protocol_file(path)
    problem, shown, caret = caught.value.problems
    assert "line 1, column 175 (byte 0xa7)" in problem
    where = caret.index("^")
    assert shown[where] == "\ufffd" and shown[where + 1 :].startswith(" 8e")
    assert len(shown) - len(f"{path}:     1 | ") <= 121


def test_non_utf8_file_is_a_clean_error(tmp_path: Path) -> None:
    """Binary junk gets a DataFileError, not a UnicodeDecodeError."""
    path = tmp_path / "junk.toml"
    path.write_bytes(b"id = 1\nt\xc3\x28junk\n")
    with pytest.raises(DataFileError) as caught:
        load_protocol_file(path)
    assert f"{path}: not UTF-8 text at line 2, column 2 (byte 0xc3)" in caught.value.problems[0]
    assert caught.value.problems[1:] == [f"{path}:     2 | t\ufffd(junk", f"{path}:       |  ^"]
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(DataFileError) as caught:
        load_protocol_file(path)
    assert "UTF-16 text but is damaged" in caught.value.problems[0]
