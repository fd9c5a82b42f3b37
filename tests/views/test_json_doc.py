"""Every JSON document the program prints: it parses, names its version, and has one style.

A script reading `iastm-coach ... --json` checks one number (the `*_version` field)
before anything else; the README's table says which field and which top-level keys
each command prints, and this test keeps that table true.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from iastm_coach.cli import app
from iastm_coach.protocols.library import builtin_path
from iastm_coach.views.json_doc import MissingVersion, json_text
from tests.builders import REPO, T0, add_checkin, add_hold, add_session, make_journal
from tests.cli import FixedRunner

runner = FixedRunner()
NOW = "2026-03-04T09:00:00+00:00"
README = (REPO / "README.md").read_text()

# Every command that prints JSON, with the arguments that make it do so.
JSON_COMMANDS: dict[str, list[str]] = {
    "today --json": ["today", "--json"],
    "history --json": ["history", "--json"],
    "trend --json": ["trend", "--json"],
    "report --format json": ["report", "--format", "json"],
    "hold list --json": ["hold", "list", "--json"],
    "journal check --json": ["journal", "check", "--json"],
    "measure --json": ["measure", "calf", "--side", "left", "--value", "9.5", "--json"],
    "learn --json": ["learn", "--json"],
    "learn TOPIC --json": ["learn", "what-is-iastm", "--json"],
    "protocol list --json": ["protocol", "list", "--json"],
    "protocol show --json": ["protocol", "show", "calf", "--json"],
    "protocol schema": ["protocol", "schema"],
    "protocol validate --json": ["protocol", "validate", "--json", str(builtin_path("calf"))],
    "protocol keys --json": ["protocol", "keys", "--json"],
    "report --schema": ["report", "--schema"],
}
# `report --format fhir` is a FHIR Bundle: its shape is the standard's, not ours.
# The report keeps its own documented layout (one session per line: fast on big journals).
OWN_LAYOUT = {"report --format json"}


@pytest.fixture(autouse=True)
def journal_with_everything(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IASTM_COACH_NOW", NOW)
    journal = make_journal(isolated_home)
    left = add_session(journal, side="left", started=T0, note="café \x1b]0;owned\x07 ok")
    add_checkin(journal, left, hours=24, soreness=3)
    add_hold(journal, region="shin", at=T0 + timedelta(hours=1))


def printed(args: list[str]) -> str:
    result = runner.invoke(app, args, prog_name="iastm-coach")
    assert result.exit_code == 0, result.output
    return result.stdout


def readme_table() -> dict[str, tuple[str, list[str]]]:
    """README's JSON table: `command` | `field` | `key`, `key`, ..."""
    section = README.split("### JSON output", 1)[1].split("\n#", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`iastm-coach "):
            command = cells[0].strip("`").removeprefix("iastm-coach ")
            rows[command] = (cells[1].strip("`"), re.findall(r"`([^`]+)`", cells[2]))
    return rows


@pytest.mark.parametrize("name", list(JSON_COMMANDS))
def test_every_json_document_parses_and_leads_with_its_version(name: str) -> None:
    text = printed(JSON_COMMANDS[name])
    document = json.loads(text)
    assert isinstance(document, dict)
    first = next(iter(document))
    assert first.endswith("_version") and isinstance(document[first], int), first
    field, keys = readme_table()[name]
    assert first == field
    assert sorted(document) == sorted([field, *keys]), "README's JSON table is out of date"
    if name not in OWN_LAYOUT:
        assert text == json_text(document), "printed in another style than the one emitter"
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", text), "raw control characters"


def test_the_readme_table_lists_every_json_command() -> None:
    assert sorted(readme_table()) == sorted(JSON_COMMANDS)


def test_the_emitter_refuses_a_document_without_a_version() -> None:
    with pytest.raises(MissingVersion):
        json_text({"sessions": []})


def test_the_emitter_escapes_what_json_leaves_raw() -> None:
    """C1 controls (a one-byte CSI) and direction overrides are escaped, the data kept."""
    text = json_text({"x_version": 1, "note": "a\x9b2Jb \u202eevil"})
    assert "\x9b" not in text and "\u202e" not in text
    assert json.loads(text)["note"] == "a\x9b2Jb \u202eevil"
    assert text.startswith('{\n  "x_version": 1,\n')
