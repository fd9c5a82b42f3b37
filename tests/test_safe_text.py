"""Hostile text in the journal never reaches a terminal as escape sequences.

A note typed (or pasted, or hand-edited in) with `ESC c` would reset the terminal of
whoever prints the report; `ESC ] 0 ; ... BEL` retitles the window, `ESC ] 52` writes
to the clipboard, `ESC [ 2 J` clears the screen. `history` already strips them; the
report printed to standard output and `journal check` warnings do the same, while a
report written to a file with `--out` keeps the data as it was recorded.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from iastm_coach.cli import app
from iastm_coach.safe_text import terminal_safe
from tests.builders import T0, add_checkin, add_session, make_journal
from tests.cli import FixedRunner

runner = FixedRunner()
RESET = "\x1bc"
CLEAR = "\x1b[2J"
TITLE = "\x1b]0;owned\x07"
CLIPBOARD = "\x1b]52;c;ZWNobyBvd25lZA==\x07"
CSI_C1 = "\x9b31m"
HOSTILE = f"calm{RESET} then{CLEAR} and{TITLE} also{CLIPBOARD} last{CSI_C1}"
RAW = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@pytest.fixture
def hostile_notes(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IASTM_COACH_NOW", "2026-03-04T09:00:00+00:00")
    journal = make_journal(isolated_home)
    left = add_session(journal, side="left", started=T0, note=HOSTILE)
    add_checkin(journal, left, hours=24, soreness=3, note=f"24 h {CLEAR}{TITLE}")


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), prog_name="iastm-coach")
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.usefixtures("hostile_notes")
@pytest.mark.parametrize("fmt", ["md", "html", "csv", "json"])
def test_the_report_on_standard_output_carries_no_escape_sequences(fmt: str) -> None:
    code, out, _ = run("report", "--format", fmt)
    assert code == 0
    assert not RAW.search(out), repr(RAW.search(out))
    assert "calm" in out and "then" in out and "last" in out  # the words stay


@pytest.mark.usefixtures("hostile_notes")
def test_the_csv_on_standard_output_keeps_its_line_endings() -> None:
    result = runner.invoke(app, ["report", "--format", "csv"])
    assert result.stdout_bytes.count(b"\r\n") >= 2  # header and one row per session: still CSV


@pytest.mark.usefixtures("hostile_notes")
@pytest.mark.parametrize("fmt", ["md", "csv"])
def test_a_report_file_keeps_the_note_as_recorded(fmt: str, tmp_path: Path) -> None:
    """--out writes the data; only what goes to a terminal is cleaned."""
    out = tmp_path / f"report.{fmt}"
    code, _, _ = run("report", "--format", fmt, "--out", str(out))
    assert code == 0
    assert RESET.encode() in out.read_bytes()


@pytest.mark.usefixtures("hostile_notes")
def test_history_and_the_report_clean_notes_the_same_way() -> None:
    """The escape character goes; what followed it stays, as plain text, in both."""
    _, history, _ = run("history", "--plain")
    _, report, _ = run("report")
    assert terminal_safe(HOSTILE).startswith("calmc then[2J")
    assert "calmc then" in report and "calmc" in history
    assert not RAW.search(history) and not RAW.search(report)


def test_journal_check_warnings_are_escaped(isolated_home: Path) -> None:
    """A hand-edited field name with an escape sequence comes back as a plain warning."""
    journal = make_journal(isolated_home)
    record = add_session(journal, side="left", started=T0 - timedelta(days=1))
    month = next((isolated_home / "journal").glob("*.toml"))
    text = month.read_text()
    marker = f'id = "{record.id}"\n'
    assert marker in text
    month.write_text(text.replace(marker, marker + '"\\u001b]0;owned\\u0007x\\u001bc" = 1\n'))
    code, out, err = run("journal", "check")
    assert code == 0, err
    assert "unknown field" in err
    assert not RAW.search(err) and not RAW.search(out)
    assert "]0;ownedx" in err  # what is left is printed literally


def test_terminal_safe_keeps_lines_crlf_and_tabs() -> None:
    assert terminal_safe("a\tb\r\nc\nd\re\x1b[2Jf\u202eg") == "a\tb\r\nc\nde[2Jfg"
