"""One rule for times in every view: a moment shows the clock time it was recorded at, in
its own UTC offset, labelled where this computer's zone would say otherwise. A session and
a hold written at +01:00 read 09:05 and 10:00 in history, the hold list, today, the
check-in header and the report (md, html, csv), never 08:05 in some and 09:05 in others."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from iastm_coach.journal.store import Journal
from iastm_coach.paths import journal_dir
from iastm_coach.vocabulary import describe_moment, moment_text, zone_note
from tests.builders import add_hold, add_session
from tests.cli import NOW, run

PLUS_ONE = timezone(timedelta(hours=1))
STARTED = datetime(2026, 3, 2, 9, 5, tzinfo=PLUS_ONE)  # 08:05 UTC
HELD = datetime(2026, 3, 2, 10, 0, tzinfo=PLUS_ONE)


@pytest.fixture(name="written_at_plus_one")
def _written_at_plus_one(isolated_home: Path) -> None:
    journal = Journal(journal_dir())
    add_session(journal, side="left", started=STARTED)
    add_hold(journal, rule="bruising", reason="bruising reported", side="left", at=HELD)


def words(text: str) -> str:
    return " ".join(text.split())


def label() -> str:
    """What this computer adds to a +01:00 time: '' where its zone is +01:00 then."""
    return zone_note(STARTED)


@pytest.mark.usefixtures("written_at_plus_one")
def test_every_view_shows_the_recorded_clock_time() -> None:
    assert NOW.tzinfo is UTC
    history = words(run("history", "--plain")[1])
    assert f"2026-03-02 09:05{label()}" in history
    holds = words(run("hold", "list", "--plain")[1])
    assert f"2026-03-02 10:00{label()}" in holds
    today = words(run("today", "--plain")[1])
    assert f"since today 10:00{label()}" in today
    for form in ("md", "html"):
        report = words(run("report", "--format", form)[1])
        assert f"2026-03-02 09:05{label()}" in report, form
        assert "08:05" not in report, form
    [row] = list(csv.DictReader(io.StringIO(run("report", "--format", "csv")[1])))
    assert (row["started"], row["utc_offset"]) == ("2026-03-02 09:05:00", "UTC+01:00")


def test_the_label_is_there_only_when_the_zone_would_say_otherwise() -> None:
    here = STARTED.astimezone()  # the same instant in this computer's zone: no label
    assert zone_note(here) == ""
    assert moment_text(here) == f"{here:%Y-%m-%d %H:%M}"
    if STARTED.utcoffset() != here.utcoffset():
        assert moment_text(STARTED) == "2026-03-02 09:05 (UTC+01:00)"
        assert describe_moment(STARTED, NOW) == "today 09:05 (UTC+01:00)"
