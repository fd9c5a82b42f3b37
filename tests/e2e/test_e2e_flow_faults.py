"""A person's terminal, end to end: the session piped through `tee` shows each typed
answer once, and Ctrl-C while an exercise hold counts down keeps the sets done, records
the rest as not done and says so (exit 130)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pexpect
import pytest

from iastm_coach.journal.store import Journal
from tests import terminal
from tests.terminal import PROGRAM, terminal_env

pytestmark = pytest.mark.slow

NOTE = "felt-it-in-the-outer-calf"


def test_tee_shows_answers_once_and_ctrl_c_in_a_hold_keeps_the_sets(tmp_path: Path) -> None:
    home = tmp_path / "home"
    log = tmp_path / "session.log"
    pipeline = (
        f"{shlex.quote(PROGRAM)} session calf --side left --no-bell 2>&1 "
        f"| tee {shlex.quote(str(log))}; echo session-exit=${{PIPESTATUS[0]}}"
    )
    env = terminal_env(IASTM_COACH_HOME=str(home), IASTM_COACH_TIME_SCALE="0.01")
    child = terminal.spawn("bash", ["-c", pipeline], env=env)
    terminal.answer_safety_check(child)
    terminal.start_strokes(child)
    terminal.pass_area_checks(child, 2)
    terminal.answer_aftercare(child, "2", NOTE)
    child.expect(r"with a guide\? \[Y/n\]")
    seen = child.before + child.after
    assert seen.count(NOTE) == 1, "the typed note is shown once, not echoed again"
    child.sendline("y")
    child.expect(r"Set 1 of 3: Enter to start")
    child.sendline("")
    child.expect("Release")
    child.expect(r"Set 2 of 3: Enter to start")
    child.sendline("")
    child.expect("s left")
    child.sendintr()  # Ctrl-C in the second hold
    child.expect(r"session-exit=(\d+)")
    assert child.match.group(1) == "130", child.before
    logged = log.read_text()  # what tee kept before Ctrl-C ended it: the questions; the
    assert "A note for your journal" in logged  # typed answers are the terminal's own echo
    assert NOTE not in logged
    child.expect(pexpect.EOF)
    journal = Journal(home / "journal")
    (exercise,) = journal.recent(kinds={"exercise"})
    assert [e["sets_done"] for e in exercise.data["exercises"]] == [1, 0, 0]
    (session,) = journal.recent(kinds={"session"})
    assert session.data["complete"] is True and session.data["note"] == NOTE


def test_a_reader_gone_at_once_leaves_the_questions_on_the_terminal(tmp_path: Path) -> None:
    """`iastm-coach session calf | head -3` (or any reader that stops early): the person at
    the terminal still sees every question that follows, on standard error, instead of
    answering prompts nobody can see; the session is recorded as usual (exit 0)."""
    home = tmp_path / "home"
    pipeline = (
        f"{shlex.quote(PROGRAM)} session calf --side left --no-bell | true; "
        "echo session-exit=${PIPESTATUS[0]}"
    )
    env = terminal_env(IASTM_COACH_HOME=str(home), IASTM_COACH_TIME_SCALE="0.01")
    child = terminal.spawn("bash", ["-c", pipeline], env=env)
    child.expect(r"How sore is your calf right now", timeout=10)  # the first question
    child.sendline("1")
    terminal.answer_safety_check(child)
    terminal.start_strokes(child)
    terminal.pass_area_checks(child, 2)
    terminal.answer_aftercare(child, "2")
    child.expect(r"with a guide\? \[Y/n\]")
    child.sendline("n")
    child.expect(r"session-exit=(\d+)")
    assert child.match.group(1) == "0", child.before
    (session,) = Journal(home / "journal").recent(kinds={"session"})
    assert session.data["complete"] is True and session.data["soreness"] == 2
