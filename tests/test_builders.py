"""The shared builders write only what the program itself would: `journal check` passes them.

A builder that writes a record the journal calls damaged (a missing field, a value out of
range) lets a test prove something about a file the program never produces. Each builder is
run here, alone and with its options, and the journal's own check must find nothing at all,
not even a warning.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from iastm_coach.journal import records
from iastm_coach.journal.store import Journal
from tests.builders import (
    MILD,
    MINUS_5,
    PLUS_10,
    T0,
    add_checkin,
    add_exercise,
    add_hold,
    add_measure,
    add_session,
    example,
    make_deps,
    session,
)
from tests.scripted_talk import ScriptedTalk


def sessions(journal: Journal) -> None:
    add_session(journal)
    add_session(journal, side="right", started=T0.astimezone(PLUS_10), group="g1")
    add_session(journal, region="neck", side="none", ended=T0 + timedelta(days=3), minutes=4)
    add_session(journal, soreness=-1, complete=False, source="log", dose_percent=50, note="x")
    add_session(journal, started=T0.astimezone(MINUS_5) + timedelta(days=40), soreness=10)


def checkins(journal: Journal) -> None:
    first = add_session(journal)
    add_checkin(journal, first, hours=24, soreness=3)
    add_checkin(journal, first, hours=48, soreness=7, bruising=True, worse=True, note="stiff")
    add_checkin(journal, first, hours=72, soreness=0, at=T0 + timedelta(days=5))


def holds(journal: Journal) -> None:
    source = add_session(journal)
    add_hold(journal, at=T0 + timedelta(hours=1))
    add_hold(journal, region="neck", rule="worse-48h", source=source.id, at=T0, reason="rose")


def exercises(journal: Journal) -> None:
    sitting = add_session(journal)
    add_exercise(journal, sitting, [(3, 3), (0, 2)])
    add_exercise(journal, sitting, [(1, 1)], group="g9", region="neck", at=T0 + timedelta(days=1))


def measures(journal: Journal) -> None:
    sitting = add_session(journal)
    add_measure(journal, 9.5, at=T0 - timedelta(minutes=1), phase="before", session=sitting)
    add_measure(journal, 10.0, at=T0 + timedelta(hours=1), phase="after", session=sitting)
    add_measure(journal, 0.0, at=T0 + timedelta(days=2), side="right", test="Lunge <i>x</i>")


def examples(journal: Journal) -> None:
    for n, kind in enumerate(records.KINDS):
        journal.append(kind, example(kind), at=T0 + timedelta(minutes=n))


def guided_session(journal: Journal) -> None:
    """The real session flow through the harness the session tests use."""
    talk = ScriptedTalk([*MILD, ("journal", "felt good"), ("Which side", "both")])
    session(make_deps(journal.directory.parent, talk))


BUILDERS: dict[str, Callable[[Journal], None]] = {
    "add_session": sessions,
    "add_checkin": checkins,
    "add_hold": holds,
    "add_exercise": exercises,
    "add_measure": measures,
    "example": examples,
    "make_deps": guided_session,
}


@pytest.mark.parametrize("name", list(BUILDERS))
def test_builders_write_records_the_journal_accepts(name: str, tmp_path: Path) -> None:
    """Whatever a builder writes, `journal check` reads back without an error or a warning."""
    journal = Journal(tmp_path / "journal")
    BUILDERS[name](journal)
    report = journal.check_report()
    assert report.records > 0
    assert [f"{p.severity}: {p.message}" for p in report.problems] == []
    assert journal.check() == []
