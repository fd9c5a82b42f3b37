"""Fault injection: whatever breaks — a crash at any write, a torn write, a full disk, a clock
stepped back, a hand-deleted line — every red flag given still holds its region afterwards.

The commands run in this process; `os.write` is replaced to crash (a BaseException, as a
kill would end the program) or to fail with ENOSPC at the n-th call, for every n until the
command gets through. After each fault the journal is repaired if reading refuses it (as
`journal repair` would be run), and then every session or check-in whose answers raise a
red flag must have its region on hold.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from iastm_coach.cli import app
from iastm_coach.errors import DataFileError
from iastm_coach.journal.store import Journal
from iastm_coach.safety.holds import hold_state
from iastm_coach.safety.redflags import aftercare_flags, checkin_flags
from tests.cli import NOW, context_at, runner

NO_SIGNS = ["--no-bruising", "--no-numbness", "--no-swelling", "--no-worse"]


class Killed(BaseException):
    """The process ends here, as with SIGKILL: nothing after it runs."""


def run(*args: str, at: datetime = NOW) -> int:
    """The command's exit code at *at*, or -9 when it was 'killed'."""
    try:
        result = runner.invoke(app, list(args), obj=context_at(at))
    except Killed:
        return -9
    return -9 if isinstance(result.exception, Killed) else result.exit_code


@contextmanager
def fault_at(call: int, fault: str) -> Iterator[Callable[[], int]]:
    """`os.write` fails at its *call*-th use: 'kill' ends the program there, 'torn' first
    writes half the bytes, 'full' raises ENOSPC (and every later write too)."""
    real = os.write
    calls = 0

    def write(fd: int, data: Any) -> int:
        nonlocal calls
        calls += 1
        if calls >= call and fault == "full":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        if calls == call:
            if fault == "torn":
                real(fd, bytes(data)[: max(1, len(data) // 2)])
            raise Killed
        return real(fd, data)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "write", write)
        yield lambda: calls


def readable(journal: Journal) -> Journal:
    """The journal as the next command sees it: repaired when reading refuses it."""
    try:
        hold_state(journal)
    except DataFileError:
        journal.repair()
    fresh = Journal(journal.directory)
    hold_state(fresh)  # reads now, or the test fails here
    return fresh


def unheld_red_flags(journal: Journal) -> list[str]:
    """Sessions and check-ins whose answers raise a red flag while their region is not on
    hold (no hold is lifted in these stories)."""
    held = hold_state(journal).active
    problems = []
    for record in journal.recent(kinds={"session", "checkin"}):
        data = record.data
        if record.kind == "session":
            region = str(data["region"])
            flags = aftercare_flags(
                soreness=data.get("soreness"),
                bruising=bool(data.get("bruising")),
                numbness=bool(data.get("numbness")),
            )
        else:
            session = journal.get(str(data["session"]))
            assert session is not None
            region = str(session.data["region"])
            flags = checkin_flags(data, [])
        if flags and region not in held:
            problems.append(f"{record.kind} {record.id}: {[f.rule for f in flags]}, no hold")
    return problems


def logged_session(home: Path, region: str = "neck") -> str:
    started = (NOW - timedelta(hours=26)).astimezone()
    assert run("log", region, "--soreness", "2", "--when", started.isoformat()) == 0
    (session,) = Journal(home / "journal").recent(kinds={"session"})
    return session.id


@pytest.mark.parametrize("fault", ["kill", "torn", "full"])
@pytest.mark.parametrize("command", ["log", "checkin"])
def test_a_red_flag_holds_its_region_whatever_write_fails(
    isolated_home: Path, command: str, fault: str
) -> None:
    """Soreness 8 given through `log` or `checkin`, with a fault at every write in turn:
    afterwards the journal either has no trace of the answer (and the person was told) or
    has it with its hold; retried, it ends with the answer and the hold, once."""
    session_id = logged_session(isolated_home) if command == "checkin" else ""
    args = (
        ["checkin", session_id, "--soreness", "8", *NO_SIGNS]
        if command == "checkin"
        else ["log", "calf", "--soreness", "8", "--side", "left"]
    )
    journal = Journal(isolated_home / "journal")
    call = 1
    while True:
        with fault_at(call, fault) as calls:
            code = run(*args)
            used = calls()
        journal = readable(journal)
        assert unheld_red_flags(journal) == [], f"fault '{fault}' at write {call}"
        if used < call:  # the command got through without reaching the fault
            assert code == 0
            break
        # Killed, or exit 4 saying nothing was recorded; 0 when only a cache write failed.
        assert code in (-9, 4, 0), f"fault '{fault}' at write {call}: exit {code}"
        call += 1
    assert run(*args) == 0  # the retry: the answer is there, once, with its hold
    journal = readable(journal)
    assert unheld_red_flags(journal) == []
    kind = "checkin" if command == "checkin" else "session"
    answers = [r for r in journal.recent(kinds={kind}) if r.data["soreness"] == 8]
    assert 1 <= len(answers) <= (2 if command == "checkin" else 1)
    assert call > 1, "the fault was reached at least once"


def test_a_clock_stepped_back_after_a_clear_does_not_cancel_a_later_hold(
    isolated_home: Path,
) -> None:
    """Bruising holds the neck; a clinician lifts it; the clock then steps back a day (NTP,
    a VM restored) and the next check-in gives numbness: the neck is on hold again."""
    session_id = logged_session(isolated_home)
    signs = ["--no-swelling", "--no-worse"]
    bruising = ["--soreness", "3", "--bruising", "--no-numbness", *signs]
    assert run("checkin", session_id, *bruising) == 0
    examined = ["--reason", "physio examined it, fine", "--examined-by", "Dr Lee"]
    assert run("hold", "clear", "neck", *examined) == 0
    back = NOW - timedelta(hours=1)  # NTP, or a VM restored: the clock goes back an hour
    numbness = ["--soreness", "3", "--hours", "24", "--numbness", "--no-bruising", *signs]
    assert run("checkin", session_id, *numbness, at=back) == 0
    journal = Journal(isolated_home / "journal")
    assert "neck" in hold_state(journal).active
    newest = max(journal.recent(kinds={"checkin"}), key=lambda r: r.seq)
    assert newest.data["numbness"] is True


def test_a_hand_deleted_line_never_lifts_a_hold_silently(isolated_home: Path) -> None:
    """Someone deletes the hold's `region` line by hand: the journal is damaged, and `log`
    refuses (exit 4) rather than treating the region as free."""
    assert run("log", "calf", "--soreness", "8", "--side", "left") == 0
    (month,) = (isolated_home / "journal").glob("*.toml")
    lines = month.read_text().splitlines(keepends=True)
    header = next(i for i, line in enumerate(lines) if line.strip() == "[[hold]]")
    region = next(i for i in range(header, len(lines)) if lines[i].startswith("region ="))
    month.write_text("".join(lines[:region] + lines[region + 1 :]))
    assert run("log", "calf", "--soreness", "2", "--side", "left") == 4
    assert len(Journal(isolated_home / "journal").check()) >= 1
