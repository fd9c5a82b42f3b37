"""The patient's name: remembered from the first file that names one, shown at install
and session start, and questioned when a later file names someone else."""

from __future__ import annotations

from pathlib import Path

import pytest

from iastm_coach.cli import app
from iastm_coach.errors import DataFileError
from iastm_coach.protocols.library import builtin_path
from iastm_coach.protocols.patient import first_use_name, remember_name, same_person
from tests.cli import FixedRunner

runner = FixedRunner()
CALF = builtin_path("calf").read_text(encoding="utf-8")


def for_patient(tmp_path: Path, patient: str, name: str) -> Path:
    path = tmp_path / name
    path.write_text(CALF.replace("[access]", f'[issued]\npatient = "{patient}"\n\n[access]', 1))
    return path


def run(args: list[str], answers: str = "") -> tuple[int, str]:
    result = runner.invoke(app, args, input=answers)
    return result.exit_code, " ".join((result.stdout + result.stderr).split())


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("Anna B", "anna b.", True),
        ("Anna  Björk", "ANNA BJORK", True),
        ("Anna B", "Ben C", False),
        ("Anna B", "Anna Bell", False),
    ],
)
def test_names_compare_without_case_accents_or_dots(first: str, second: str, same: bool) -> None:
    assert same_person(first, second) is same


def test_the_first_named_file_sets_the_name_privately(tmp_path: Path, isolated_home: Path) -> None:
    assert first_use_name() is None
    code, output = run(["protocol", "install", str(for_patient(tmp_path, "Anna B", "a.toml"))])
    assert code == 0 and "For: Anna B" in output and "remembered as your name" in output
    assert first_use_name() == "Anna B"
    assert (isolated_home / "settings.toml").stat().st_mode & 0o777 == 0o600


def test_a_session_for_someone_else_asks_and_stops_on_no(tmp_path: Path) -> None:
    remember_name("Anna B")
    path = for_patient(tmp_path, "Ben C", "ben.toml")
    code, output = run(["session", "--protocol", str(path), "--side", "left"], "n\n")
    assert code == 3
    assert "This protocol is for Ben C, but your name was given as Anna B" in output
    assert "session not started: this protocol is for Ben C, not Anna B" in output
    # The same name written differently is not questioned.
    same = for_patient(tmp_path, "anna b.", "anna.toml")
    code, output = run(["session", "--protocol", str(same), "--side", "left"], "")
    assert "Is it really meant for you" not in output and "For: anna b." in output


def test_answering_yes_goes_on_and_keeps_the_first_name(tmp_path: Path) -> None:
    remember_name("Anna B")
    path = for_patient(tmp_path, "A. Bergström", "a.toml")
    code, output = run(["protocol", "install", str(path)], "y\n")
    assert code == 0 and "Installed" in output
    assert first_use_name() == "Anna B"


def test_a_damaged_settings_file_is_a_data_error(isolated_home: Path) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "settings.toml").write_text("patient_name = \n")
    with pytest.raises(DataFileError, match="settings file is damaged"):
        first_use_name()
