"""End-to-end: a whole first week, in a real pseudo-terminal, with the installed program.

IASTM_COACH_NOW sets the day each command runs on; IASTM_COACH_TIME_SCALE makes the
strokes quick. Monday: the first session, with screening and a measurement. Tuesday:
today's plan shows the 24 h check-in, the check-in, and a second session refused by the
rest period. Wednesday: the 48 h check-in. Thursday: a measured session. Sunday: the
report for the physio, parsed back.
"""

from __future__ import annotations

import os
import shlex
from html.parser import HTMLParser
from pathlib import Path

import pexpect
import pytest

from iastm_coach.journal.store import Journal
from tests.terminal import (
    PROGRAM,
    answer_safety_check,
    pass_area_checks,
    spawn,
    start_strokes,
    terminal_env,
)

pytestmark = pytest.mark.slow

MONDAY = "2026-03-02T18:30:00+01:00"
TUESDAY = "2026-03-03T19:00:00+01:00"
WEDNESDAY = "2026-03-04T19:00:00+01:00"
THURSDAY = "2026-03-05T19:00:00+01:00"
SUNDAY = "2026-03-08T12:00:00+01:00"


def run(home: Path, when: str, *args: str) -> pexpect.spawn:
    env = terminal_env(
        IASTM_COACH_HOME=str(home), IASTM_COACH_NOW=when, IASTM_COACH_TIME_SCALE="0.005"
    )
    return spawn(PROGRAM, list(args), env=env)


def finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus is not None
    return child.exitstatus


def measured_session(child: pexpect.spawn, before: str, after: str, soreness: str) -> None:
    """Answer the safety check 'no' throughout, measure, run, and answer aftercare."""
    answer_safety_check(child)
    start_strokes(child, [before])
    pass_area_checks(child, 2)
    child.expect("Soreness now in the left calf")
    child.sendline(soreness)
    child.expect(r"\[y/n\]")  # the warning signs, grouped
    child.sendline("n")
    child.expect("note")
    child.sendline("")
    child.expect("after the strokes, in cm")
    child.sendline(after)
    child.expect(r"with a guide\? \[Y/n\]")
    child.sendline("n")
    child.expect("Session done")


def checkin(child: pexpect.spawn, soreness: str) -> None:
    """The check-in asks as the session does: [0-10], then four [y/n] (no default)."""
    child.expect(r"Soreness.*\[0-10\]")
    child.sendline(soreness)
    for _ in range(4):
        child.expect(r"\[y/n\]")
        child.sendline("n")
    child.expect("A note for your journal")
    child.sendline("")
    child.expect("Recorded")


class ChartPoints(HTMLParser):
    """The soreness data points (series, value) marked in the report's inline SVG."""

    def __init__(self) -> None:
        super().__init__()
        self.points: list[tuple[str, str]] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("class") == "point" and found.get("data-series") in SORENESS_SERIES:
            self.points.append((str(found["data-series"]), str(found["data-value"])))
        self.scripts += tag == "script"


SORENESS_SERIES = {"after", "24h", "48h", "72h"}


def test_first_week(tmp_path: Path) -> None:
    """Monday to Sunday as a new user lives it, ending with the physio's report."""
    home = tmp_path / "home"

    child = run(home, MONDAY, "session", "calf", "--side", "left", "--no-bell")
    child.expect("Safety check")
    measured_session(child, before="9", after="10", soreness="3")
    assert finish(child) == 0

    child = run(home, TUESDAY)  # no command: today's plan
    child.expect("Check-ins due")
    child.expect("24 h follow-up")
    child.expect("Resting")
    assert finish(child) == 0

    child = run(home, TUESDAY, "checkin")
    checkin(child, "2")
    assert finish(child) == 0

    child = run(home, TUESDAY, "session", "calf", "--side", "left")
    child.expect("48 h of rest")
    assert finish(child) == 3

    child = run(home, WEDNESDAY, "checkin")
    checkin(child, "1")
    assert finish(child) == 0

    child = run(home, THURSDAY, "session", "calf", "--side", "left", "--no-bell")
    measured_session(child, before="10", after="11.5", soreness="2")
    assert finish(child) == 0

    report = tmp_path / "report.html"
    child = run(home, SUNDAY, "report", "--format", "html", "--out", str(report))
    assert finish(child) == 0
    html = report.read_text()
    parser = ChartPoints()
    parser.feed(html)
    assert parser.scripts == 0
    assert sorted(parser.points) == [("24h", "2"), ("48h", "1"), ("after", "2"), ("after", "3")]
    assert report.stat().st_mode & 0o777 == 0o600

    journal = Journal(home / "journal")
    sessions = journal.recent(kinds={"session"})
    assert len(sessions) == 2 and all(s.data["complete"] for s in sessions)
    assert len(journal.recent(kinds={"checkin"})) == 2
    assert len(journal.recent(kinds={"measure"})) == 4
    screenings = journal.recent(kinds={"screening"})
    assert [s.data["outcome"] for s in screenings] == ["cleared", "cleared"]
    assert len(screenings[-1].data["first_use"]) == 3 and "age_band" in screenings[-1].data
    assert screenings[0].data["first_use"] == {"smooth-tool": True}, "the edge, every session"


# --- the same week with the mistakes people make (issue 12) -----------------------------------


def answer_until_ready(child: pexpect.spawn) -> int:
    """Answer every question before the strokes ('no', soreness 1, first-use 'yes');
    return how many were asked."""
    asked = 0
    prompts = [
        r"\[y/n\]",
        r"\[y/N\]",
        r"\[0-10\]",
        r"\[0-120\]",
        r"note for your journal\?.*\)",
        "Press Enter when you",
    ]
    while (index := child.expect(prompts)) < len(prompts) - 1:
        asked += 1
        first_use = any(word in child.before for word in ("smooth", "shown you", "assessed"))
        # yes to the first-use questions, no to anything else; soreness 1; age 40; no note
        child.sendline(["y" if first_use else "n", "n", "1", "40", ""][index])
    child.sendline("")  # the get-ready screen; the measurement was a [y/N] above
    return asked + 1


def type_bytes(child: pexpect.spawn, data: bytes) -> None:
    """Type raw bytes, as a terminal set to Latin-1 sends them ('é' is the byte 0xE9)."""
    os.write(child.child_fd, data)


def test_first_week_with_everyday_mistakes(tmp_path: Path) -> None:
    """Monday: an area skipped with `n` and a note typed in a Latin-1 terminal. Tuesday: Ctrl-D
    halfway through the check-in, then the follow-up answered again under LC_ALL=C. Thursday:
    the session piped through `tee`, stopped with Ctrl-C. Every answer is in the journal."""
    home = tmp_path / "home"
    journal = Journal(home / "journal")

    child = run(home, MONDAY, "session", "calf", "--side", "left", "--no-bell")
    answer_until_ready(child)
    child.expect("Inner calf")
    child.send("n")  # next area, at once
    while child.expect(["Discomfort now", "Timed strokes finished"]) == 0:
        child.send("\r")  # the area-break check: fine
    child.expect(r"Soreness now.*\[0-10\]")
    child.sendline("2")
    while child.expect([r"\[y/n\]", "A note for your journal"]) == 0:
        child.sendline("n")  # the warning signs: none
    type_bytes(child, b"caf\xe9 au lait avant\r")
    child.expect(r"with a guide\? \[Y/n\]")
    child.sendline("n")
    child.expect("Session done")
    assert finish(child) == 0
    (monday,) = journal.recent(kinds={"session"})
    assert monday.data["complete"] is True and monday.data["note"] == "café au lait avant"
    assert monday.data["areas"][0]["status"] in ("skipped", "partial")

    child = run(home, TUESDAY, "checkin")
    child.expect(r"Soreness.*\[0-10\]")
    child.sendline("2")
    for _ in range(2):
        child.expect(r"\[y/n\]")
        child.sendline("n")
    child.expect(r"Swelling\? \[y/n\]")
    child.sendeof()  # Ctrl-D
    child.expect("Kept the answers given so far")
    assert finish(child) == 2
    (first,) = journal.recent(kinds={"checkin"})
    assert first.data["soreness"] == 2 and first.data["not_asked"] == ["swelling", "worse"]

    later = "2026-03-03T19:30:00+01:00"
    env = terminal_env(IASTM_COACH_HOME=str(home), IASTM_COACH_NOW=later, LC_ALL="C")
    child = spawn(PROGRAM, ["checkin", monday.id[-6:], "--hours", "24"], env=env)
    child.expect(r"\[0-10\]")
    child.sendline("3")
    for _ in range(4):
        child.expect(r"\[y/n\]")
        child.sendline("n")
    child.expect("note")
    type_bytes(child, b"tr\xe8s raide\r")
    child.expect("It corrects the answer given")
    assert finish(child) == 0
    newest = max(journal.recent(kinds={"checkin"}), key=lambda r: r.seq)
    assert newest.data["corrects"] == first.id and newest.data["note"] == "très raide"
    assert len(journal.recent(kinds={"checkin"})) == 2

    log = tmp_path / "session.log"
    pipeline = (
        f"trap : INT; {shlex.quote(PROGRAM)} session calf --side left --no-bell "
        f"| tee {shlex.quote(str(log))}; echo session-exit=${{PIPESTATUS[0]}}"
    )
    env = terminal_env(
        IASTM_COACH_HOME=str(home), IASTM_COACH_NOW=THURSDAY, IASTM_COACH_TIME_SCALE="0.02"
    )
    child = spawn("bash", ["-c", pipeline], env=env)
    answer_until_ready(child)
    child.expect("Area 1/3")
    child.sendintr()  # Ctrl-C: tee dies with it, and the pipe closes
    child.expect(r"session-exit=(\d+)")
    assert child.match.group(1) == "130"
    finish(child)
    thursday = max(journal.recent(kinds={"session"}), key=lambda r: r.seq)
    assert thursday.id != monday.id and thursday.data["complete"] is False
