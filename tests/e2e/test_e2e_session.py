"""End-to-end: the installed program in a real pseudo-terminal, driven like a person.

pexpect types the answers and presses keys while the live view runs (with a
small IASTM_COACH_TIME_SCALE), then checks the screen, the exit code, that the
terminal is back in line mode with echo, and the journal record.
"""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import pexpect
import pytest

from tests import terminal
from tests.builders import ALL_CLEAR, FIRST_USE, READY
from tests.terminal import PROGRAM, terminal_env

pytestmark = pytest.mark.slow


def spawn_env(home: Path, scale: str) -> dict[str, str]:
    return terminal_env(IASTM_COACH_HOME=str(home), IASTM_COACH_TIME_SCALE=scale)


def answer_checklist(child: pexpect.spawn) -> None:
    """Soreness 1 first; a physio showed me, the tool is smooth; then no to every list."""
    terminal.answer_safety_check(child)


def start_without_measuring(child: pexpect.spawn) -> None:
    terminal.start_strokes(child)


def spawn(program: str, args: list[str], home: Path, scale: str) -> pexpect.spawn:
    return terminal.spawn(program, args, env=spawn_env(home, scale))


def spawn_in_shell(home: Path) -> pexpect.spawn:
    """A left-calf session inside a shell that then prints the exit code and `stty -a`,
    so the test sees the terminal settings the program left behind. The shell ignores
    Ctrl-C itself (the trap) but the program does not."""
    command = f"trap 'true' INT; {PROGRAM} session calf --side left --no-bell"
    return spawn("/bin/sh", ["-c", f"{command}; echo EXIT=$?; stty -a"], home, "0.05")


def first_area_running(home: Path) -> pexpect.spawn:
    """The session of `spawn_in_shell`, screened and started without measuring, once the
    first area's strokes are running (not the break before it)."""
    child = spawn_in_shell(home)
    answer_checklist(child)
    start_without_measuring(child)
    child.expect("timed strokes")
    child.expect("Inner calf")
    child.expect("Stroke beat")
    return child


def journal_kind(home: Path, kind: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    for path in sorted((home / "journal").glob("*.toml")):
        found += tomllib.loads(path.read_text()).get(kind, [])
    return found


def journal_sessions(home: Path) -> list[dict[str, object]]:
    return journal_kind(home, "session")


def test_live_session_with_pause_next_and_quit(tmp_path: Path) -> None:
    """Space pauses, n skips to the next area, q + y quits: record incomplete, exit 130."""
    home = tmp_path / "home"
    child = first_area_running(home)
    child.send(" ")
    child.expect("PAUSED")
    child.send(" ")
    child.send("n")
    terminal.pass_area_checks(child, 1)
    child.expect("Get into position")  # the break before area 2
    child.expect("Stroke beat")  # area 2 is running
    terminal.quit_and_say_why(child)
    child.expect(r"Soreness now in the left calf")
    child.sendline("3")
    child.expect(r"Bruising.*\[y/n\]")
    child.sendline("n")
    child.expect("note")
    child.sendline("stopped to test")
    child.expect(r"EXIT=(\d+)")
    assert child.match.group(1) == "130"
    child.expect(pexpect.EOF)
    settings = child.before
    assert " icanon" in settings and " echo" in settings, "terminal restored to line mode"
    (record,) = journal_sessions(home)
    assert record["complete"] is False
    statuses = [area["status"] for area in record["areas"]]  # type: ignore[attr-defined]
    assert statuses == ["partial", "partial", "not-started"]
    assert record["note"] == "stopped to test"
    assert (home / "journal").stat().st_mode & 0o777 == 0o700


def test_q_at_an_area_break_quits_as_the_footer_says(tmp_path: Path) -> None:
    """At the "Discomfort now?" break the footer still says "q quit": q asks "Quit the
    session?" and y ends it there (why you stopped is asked; the area done is kept, exit
    130), instead of being ignored until one of the check's own keys is pressed."""
    home = tmp_path / "home"
    child = first_area_running(home)
    child.expect("Discomfort now")  # the first area ran to its end
    terminal.quit_and_say_why(child)
    child.expect(r"Soreness now in the left calf")
    child.sendline("1")
    child.expect(r"\[y/n\]")
    child.sendline("n")
    child.expect("note")
    child.sendline("")
    child.expect(r"EXIT=(\d+)")
    assert child.match.group(1) == "130"
    (record,) = journal_sessions(home)
    assert record["complete"] is False and record["stop_reason"] == "other"
    statuses = [area["status"] for area in record["areas"]]  # type: ignore[attr-defined]
    assert statuses == ["done", "not-started", "not-started"]


def test_live_session_to_the_end(tmp_path: Path) -> None:
    """A whole session at 1% speed: measured before and after, aftercare, a guided
    exercise, and complete records."""
    home = tmp_path / "home"
    child = spawn(PROGRAM, ["session", "calf", "--side", "both", "--no-bell"], home, "0.01")
    answer_checklist(child)
    child.sendline("y")
    for side, value in (("left", "9"), ("right", "10.5")):
        child.expect(rf"\({side}\) before the strokes, in cm")
        child.sendline(value)
    child.expect("Press Enter when you")
    child.sendline("")
    terminal.pass_area_checks(child, 5)  # 6 areas: 5 breaks
    for side in ("left", "right"):
        child.expect(f"Soreness now in the {side} calf")
        child.sendline("2")
        child.expect(r"Bruising.*\[y/n\]")
        child.sendline("n")
    child.expect("note")
    child.sendline("")
    for side in ("left", "right"):
        child.expect(rf"\({side}\) after the strokes")
        child.sendline("11")
    child.expect(r"Change: left \+2 cm, right \+0.5 cm")
    child.expect("with a guide")
    child.sendline("y")
    child.expect("Exercise 1 of 3: .*Wall calf stretch, knee straight")
    for _ in range(3):
        child.expect("Enter to start the 30 s hold")
        child.sendline("")  # one key per set
        child.expect("Release")
    child.expect("Exercise 2 of 3")
    child.expect("Set 1 of 3")
    child.sendline("q")  # stop the exercises
    child.expect(r"Exercises: 3 of 9 sets done\.")
    child.expect("checkin")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    records = journal_sessions(home)
    assert sorted(r["side"] for r in records) == ["left", "right"]  # type: ignore[type-var]
    assert all(r["complete"] for r in records)
    measures = journal_kind(home, "measure")
    assert sorted((m["side"], m["phase"], m["value"]) for m in measures) == [
        ("left", "after", 11.0), ("left", "before", 9.0),
        ("right", "after", 11.0), ("right", "before", 10.5),
    ]  # fmt: skip
    (exercise,) = journal_kind(home, "exercise")
    assert [e["sets_done"] for e in exercise["exercises"]] == [3, 0, 0]  # type: ignore[index]


def test_piped_plain_session(tmp_path: Path) -> None:
    """`printf ... | iastm-coach session calf --plain` completes and records the session."""
    home = tmp_path / "home"
    answers = "left\n" + FIRST_USE + ALL_CLEAR + READY + "1\nn\npiped\n"
    result = subprocess.run(
        [PROGRAM, "session", "calf", "--plain"],
        input=answers,
        env=spawn_env(home, "0.001"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "\x1b[" not in result.stdout, "no escape sequences in plain mode"
    assert "Area 3/3, left calf" in result.stdout
    (record,) = journal_sessions(home)
    assert record["note"] == "piped" and record["complete"] is True


def test_ctrl_c_in_live_view_restores_terminal(tmp_path: Path) -> None:
    """Ctrl-C during the strokes: exit 130, the terminal in line mode, the partial kept."""
    home = tmp_path / "home"
    child = first_area_running(home)
    child.sendintr()
    # Once any stroke time has passed the session asks why it stopped (timing decides).
    if child.expect([r"Why did you stop\? \[1-5\]", r"EXIT=(\d+)"]) == 0:
        child.sendline("5")  # just stopping: no symptom, no hold
        child.expect(r"EXIT=(\d+)")
    assert child.match.group(1) == "130"
    child.expect(pexpect.EOF)
    assert " icanon" in child.before and " echo" in child.before
    (record,) = journal_sessions(home)
    assert record["complete"] is False and record["soreness"] == -1


@pytest.mark.parametrize("how", ["--plain", "| cat"])
def test_plain_mode_at_a_terminal_keeps_the_keys_and_leaks_none(tmp_path: Path, how: str) -> None:
    """Plain lines (for a screen reader, or output through `cat`) with a person at the
    keyboard: the keys are named, `n` moves on, and keys typed during the strokes ('x',
    'zz') never end up in the soreness answer."""
    home = tmp_path / "home"
    args = "session calf --side left --no-bell"
    if how == "--plain":
        child = spawn(PROGRAM, [*args.split(), "--plain"], home, "0.01")
    else:
        child = spawn("/bin/sh", ["-c", f"{PROGRAM} {args} | cat"], home, "0.01")
    answer_checklist(child)
    start_without_measuring(child)
    child.expect("Keys: space pause")
    child.expect("Area 1/3")
    child.send("x")
    child.send("n")
    child.expect(r"Area (ended early|skipped)")
    child.send("zz")  # not a key the timer or the area check knows
    while child.expect([r"Discomfort now\?", r"Soreness now.*\[0-10\]"]) == 0:
        child.send("\r")  # the area-break check: one key, Enter = fine
    child.sendline("2")
    while child.expect([r"\[y/n\]", r"note for your journal"]) == 0:
        assert "Please type a whole number" not in child.before
        child.sendline("n")  # the warning signs: none
    child.sendline("")
    child.expect(r"with a guide\? \[Y/n\]")
    child.sendline("n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    (session,) = journal_sessions(home)
    assert session["soreness"] == 2 and session["complete"] is True
    areas = session["areas"]
    assert isinstance(areas, list) and areas[0]["status"] in ("skipped", "partial")
    assert "\x1b[?25l" not in child.before  # plain: no cursor codes
