"""`checkin ID --soreness N` at a terminal asks the warning signs not given as options."""

from __future__ import annotations

from pathlib import Path

import pexpect
import pytest

from iastm_coach.journal.store import Journal
from tests.terminal import PROGRAM, spawn, terminal_env

pytestmark = pytest.mark.slow


def run(home: Path, when: str, *args: str) -> pexpect.spawn:
    env = terminal_env(IASTM_COACH_HOME=str(home), IASTM_COACH_NOW=when)
    return spawn(PROGRAM, list(args), env=env)


def test_the_quick_form_asks_the_signs_not_given(tmp_path: Path) -> None:
    """--bruising given: numbness, swelling and worse are asked (swelling 'y' holds the calf);
    bruising is not asked again."""
    home = tmp_path / "home"
    child = run(home, "2026-03-02T18:30:00+01:00", "log", "calf", "--soreness", "2")
    child.expect(pexpect.EOF)
    journal = Journal(home / "journal")
    session = journal.recent(kinds={"session"})[0]
    child = run(
        home, "2026-03-03T19:00:00+01:00", "checkin", session.id, "--soreness", "3", "--no-bruising"
    )
    asked = []
    for answer in ("n", "y", "n"):
        child.expect(r"\n?([^\n]*)\[y/n\]")
        asked.append(child.match.group(1))
        child.sendline(answer)
    child.expect("Recorded the 24 h check-in")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert not any("Bruising" in question for question in asked)
    (checkin,) = journal.recent(kinds={"checkin"})
    assert (checkin.data["bruising"], checkin.data["numbness"], checkin.data["swelling"]) == (
        False,
        False,
        True,
    )
    assert "not_asked" not in checkin.data
    assert [hold.data["region"] for hold in journal.recent(kinds={"hold"})] == ["calf"]
