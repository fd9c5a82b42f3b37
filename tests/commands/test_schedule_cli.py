"""`iastm-coach schedule` through Typer's CliRunner: the terminal list, the calendar on
standard output and in a private file, updating that file, and what it refuses."""

from __future__ import annotations

import itertools
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar
from typer.testing import CliRunner

from iastm_coach.cli import app
from iastm_coach.context import AppContext
from iastm_coach.journal.store import Journal
from iastm_coach.paths import journal_dir
from iastm_coach.protocols.library import load_builtin
from tests.builders import add_checkin, add_hold, add_session
from tests.fakes import FakeClock

runner = CliRunner()
MONDAY = datetime(2026, 3, 2, 9, 10, tzinfo=UTC)
SESSION_START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def run(*args: str, now: datetime = MONDAY) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), obj=AppContext(clock=FakeClock(now)))
    return result.exit_code, result.stdout, result.stderr


def words(text: str) -> str:
    """*text* with every run of spaces and line breaks as one space (columns, wrapping)."""
    return " ".join(text.split())


def journal() -> Journal:
    return Journal(journal_dir())


def uids(payload: bytes | str) -> list[str]:
    raw = payload.encode() if isinstance(payload, str) else payload
    return [str(event["UID"]) for event in Calendar.from_ical(raw).walk("VEVENT")]


@pytest.fixture(name="calf_this_morning")
def _calf_this_morning() -> None:
    """Both calves at 07:00 on Monday, with the built-in calf protocol (2 a week, 48 h)."""
    add_session(journal(), side="left", started=SESSION_START, group="g1")
    add_session(journal(), side="right", started=SESSION_START, group="g1")


@pytest.mark.usefixtures("calf_this_morning")
def test_the_terminal_lists_sessions_and_check_ins() -> None:
    code, out, err = run("schedule")
    assert (code, err) == (0, "")
    assert "Sessions" in out
    assert "Thu 5 Mar 07:00 calf session (2nd of 2, week of 2 Mar)" in words(out)
    assert "tomorrow 07:06 calf (left and right) 24 h check-in" in words(out)
    assert "iastm-coach schedule --out iastm-coach.ics" in out


@pytest.mark.usefixtures("calf_this_morning")
def test_ics_on_standard_output_parses_with_alarms() -> None:
    code, out, _ = run("schedule", "--ics", "--weeks", "1")
    assert code == 0
    calendar = Calendar.from_ical(out.encode())
    found = calendar.walk("VEVENT")
    assert [(str(e["SUMMARY"]), e.decoded("DTSTART")) for e in found] == [
        ("IASTM: calf session", datetime(2026, 3, 5, 7, 0, tzinfo=UTC)),
        ("IASTM: calf session", datetime(2026, 3, 9, 7, 0, tzinfo=UTC)),
        ("IASTM: calf (left and right) 24 h check-in", datetime(2026, 3, 3, 7, 6, tzinfo=UTC)),
        ("IASTM: calf (left and right) 48 h check-in", datetime(2026, 3, 4, 7, 6, tzinfo=UTC)),
    ]
    assert all(len(event.walk("VALARM")) == 1 for event in found)


@pytest.mark.usefixtures("calf_this_morning")
def test_out_writes_a_private_file_and_rerunning_updates_the_same_events(tmp_path: Path) -> None:
    """The file is 0600; run again later the same day it has the same UIDs; after the
    24 h check-in is answered, that event is left out and the rest keep their UIDs."""
    target = tmp_path / "plan.ics"
    code, out, _ = run("schedule", "--out", str(target))
    assert code == 0 and f"to {target}" in out
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    first = uids(target.read_bytes())
    assert len(first) == len(set(first)) == 6  # 4 sessions, 2 check-ins

    run("schedule", "--out", str(target), now=MONDAY + timedelta(hours=5))
    assert uids(target.read_bytes()) == first

    left, right = journal().recent(kinds={"session"}, since=MONDAY - timedelta(days=1))
    for session in (left, right):
        add_checkin(journal(), session, hours=24, soreness=0)  # usual: no 72 h follow-up
    run("schedule", "--out", str(target), now=MONDAY + timedelta(hours=25))
    answered = [uid for uid in first if uid.endswith("-24h@iastm-coach")]
    assert len(answered) == 1
    assert uids(target.read_bytes()) == [uid for uid in first if uid not in answered]
    assert not list(tmp_path.glob(".plan.ics.*"))  # no temporary file left behind


def test_an_existing_file_is_replaced_private(tmp_path: Path) -> None:
    """An old calendar readable by others is replaced by a 0600 one."""
    target = tmp_path / "plan.ics"
    target.write_bytes(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    target.chmod(0o644)
    assert run("schedule", "--out", str(target))[0] == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_symlink_is_refused_and_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.ics"
    victim.write_bytes(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    link = tmp_path / "plan.ics"
    link.symlink_to(victim)
    code, _, err = run("schedule", "--out", str(link))
    assert code == 2
    assert "symbolic link" in err
    assert victim.read_bytes() == b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    assert link.is_symlink()


def test_a_file_that_is_not_a_calendar_is_left_alone(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    code, _, err = run("schedule", "--out", str(notes))
    assert code == 2 and "not a calendar" in err
    assert notes.read_text() == "my notes\n"
    code, _, err = run("schedule", "--out", str(tmp_path))
    assert code == 2 and "not a regular file" in err
    code, _, err = run("schedule", "--out", str(tmp_path / "missing" / "plan.ics"))
    assert code == 2 and "folder does not exist" in err


def test_a_region_on_hold_is_listed_not_planned() -> None:
    add_session(journal(), started=SESSION_START)
    add_hold(journal(), region="calf", rule="bruising", at=SESSION_START + timedelta(hours=1))
    code, out, _ = run("schedule")
    assert code == 0
    assert "calf session" not in out
    assert "calf on hold since Mon 2 Mar: see your clinician first" in words(out)
    code, out, _ = run("schedule", "--ics")
    assert not [uid for uid in uids(out) if uid.startswith("session-")]


def test_no_session_is_booked_while_the_course_review_gate_would_refuse_it() -> None:
    """Four full sittings without any improvement: `session calf` asks for a review with a
    clinician first, so `schedule` books nothing for the calf and says why (as `today`)."""
    calf = load_builtin("calf").protocol
    for days in (0, 3, 7, 10):
        started = SESSION_START - timedelta(days=14 - days)
        add_session(journal(), side="left", started=started, protocol_version=calf.version)
    code, out, _ = run("schedule")
    assert code == 0
    assert "calf session" not in out
    assert "time to review with your clinician: after 4 sessions of the calf" in words(out)
    code, out, _ = run("today")
    assert "Time to review with your clinician" in out
    code, out, _ = run("schedule", "--ics")
    assert not [uid for uid in uids(out) if uid.startswith("session-")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--weeks", "0"], "--weeks must be a whole number from 1 to 12 (got 0)"),
        (["--weeks", "13"], "--weeks must be a whole number from 1 to 12 (got 13)"),
        (["--at", "7pm"], "--at must be a time of day as HH:MM, like 18:30 (got '7pm')"),
    ],
)
def test_bad_options_are_usage_errors(args: list[str], message: str) -> None:
    code, _, err = run("schedule", *args)
    assert code == 2
    assert message in " ".join(err.split())


def test_at_sets_the_time_of_day() -> None:
    add_session(journal(), started=SESSION_START)
    code, out, _ = run("schedule", "--at", "19:30", "--weeks", "1")
    assert code == 0
    assert "Thu 5 Mar 19:30 calf session (2nd of 2, week of 2 Mar)" in words(out)


def test_a_new_user_is_told_how_to_start() -> None:
    code, out, _ = run("schedule")
    assert code == 0
    assert "Nothing to plan yet" in out
    code, out, _ = run("schedule", "--ics")
    assert code == 0 and uids(out) == []


def test_the_calendar_is_never_written_through_a_symlink_swapped_in_late(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rename replaces a link put there after the check; the link's target is untouched."""
    victim = tmp_path / "victim"
    victim.write_text("keep me\n")
    target = tmp_path / "plan.ics"
    add_session(journal(), started=SESSION_START)
    original_replace = os.replace

    def replace_after_swap(src: str | Path, dst: str | Path) -> None:
        if Path(dst) == target and not target.exists():
            target.symlink_to(victim)
        original_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace_after_swap)
    assert run("schedule", "--out", str(target))[0] == 0
    assert victim.read_text() == "keep me\n"
    assert not target.is_symlink() and target.read_bytes().startswith(b"BEGIN:VCALENDAR")


def test_a_check_in_closes_at_the_same_minute_in_schedule_and_today() -> None:
    """A session that ended Mon 07:06:20: its 24 h follow-up closes Tue 23:06:20, which
    both `schedule` and `today` show as 23:07 (rounded up, `describe_end`)."""
    add_session(journal(), started=SESSION_START + timedelta(seconds=20))
    tuesday = MONDAY + timedelta(hours=20)
    assert "24 h check-in, open until today 23:07" in words(run("schedule", now=tuesday)[1])
    assert "24 h follow-up, open until today 23:07" in words(run("today", now=tuesday)[1])


def test_overlapping_regions_are_never_planned_inside_each_others_rest() -> None:
    """The calf and the Achilles treat the same tissue and share one rest clock (the session
    gate refuses the Achilles less than 48 h after a calf session): the calendar never
    books one of them inside the other's rest, which it used to do (achilles at 11:00,
    calf at 18:00 the same day)."""
    add_session(journal(), side="left", started=SESSION_START, group="g1")
    add_session(journal(), side="right", started=SESSION_START, group="g1")
    achilles_start = SESSION_START - timedelta(days=10)
    add_session(journal(), region="achilles", side="left", started=achilles_start, group="g0")
    code, out, err = run("schedule", "--ics", "--weeks", "4")
    assert code == 0, out + err
    events = sorted(
        (event.decoded("DTSTART"), str(event["UID"]).split("-")[1])
        for event in Calendar.from_ical(out.encode()).walk("VEVENT")
        if str(event["UID"]).startswith("session-")
    )
    regions = {region for _, region in events}
    assert regions == {"calf", "achilles"}, events
    rest = timedelta(hours=48 - 2)  # the gate's routine tolerance at most
    for (earlier, _), (later, _) in itertools.pairwise(events):
        assert later - earlier >= rest, (earlier, later, events)
