"""Stories: a record and the hold it causes are written together or not at all.

`log calf --soreness 9` writes a session and the hold that soreness 9 places. They used
to be two writes: a crash, a kill or a full disk between them left a severe session with
no hold. Now they are one write and one fsync under the lock, the hold first.
"""

from __future__ import annotations

import errno
from datetime import UTC, datetime
from pathlib import Path

import pytest

from iastm_coach.cli import app
from iastm_coach.context import AppContext
from iastm_coach.journal import store
from iastm_coach.journal.store import Journal, records
from iastm_coach.safety.holds import active_holds, prepare_hold
from iastm_coach.safety.redflags import RedFlag
from tests.builders import ALL_CLEAR, FIRST_USE, READY, example
from tests.cli import FixedRunner
from tests.fakes import FakeClock

runner = FixedRunner()
AT = datetime(2026, 3, 2, 18, 30, tzinfo=UTC)
SORE = RedFlag("soreness-7", "soreness 9/10")


def test_records_prepared_together_are_written_in_one_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A session and its hold: one `write`, both read back in the order given, and the
    hold names the session by the id it was given before anything was written."""
    journal = Journal(tmp_path / "journal")
    journal.append(records.SESSION, example(records.SESSION), at=AT)  # an earlier record
    writes: list[bytes] = []
    real = store.write_all

    def counting(fd: int, payload: bytes) -> None:
        writes.append(payload)
        real(fd, payload)

    monkeypatch.setattr(store, "write_all", counting)
    session = journal.prepare(records.SESSION, example(records.SESSION, soreness=9), at=AT)
    hold = prepare_hold(journal, region="calf", flag=SORE, source_id=session.id, at=AT)
    assert journal.append_all([hold, session]) == [hold, session]
    assert len(writes) == 1 and writes[0].count(b"[[") == 2
    fresh = Journal(journal.directory)
    assert fresh.get(session.id) == session and fresh.get(hold.id) == hold
    assert active_holds(fresh)["calf"].source_id == session.id
    assert fresh.check_report(now=AT).problems == []


def test_records_of_two_months_cannot_be_written_together(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal")
    first = journal.prepare(records.SESSION, example(records.SESSION), at=AT)
    other = journal.prepare(
        records.SESSION, example(records.SESSION), at=datetime(2026, 4, 1, tzinfo=UTC)
    )
    with pytest.raises(ValueError, match="one month file"):
        journal.append_all([first, other])
    assert journal.month_files() == []


class DiskWithRoom:
    """A `store.write_all` for a disk with room for *writes* more writes: after them, every
    write fails as a full disk does (ENOSPC), writing nothing."""

    def __init__(self, *, writes: int) -> None:
        self.writes = writes
        self.real = store.write_all

    def __call__(self, fd: int, payload: bytes) -> None:
        if self.writes <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.writes -= 1
        self.real(fd, payload)


def test_a_disk_that_fills_after_one_write_cannot_split_a_session_from_its_hold(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk has room for one more write when `log calf --soreness 9` runs: the session
    and its hold go in that one write, together, and the calf is on hold. When the disk is
    already full: exit 4, "nothing was recorded", and nothing was."""
    one_more = DiskWithRoom(writes=1)
    with monkeypatch.context() as patch:
        patch.setattr(store, "write_all", one_more)
        result = runner.invoke(app, ["log", "calf", "--soreness", "9", "--side", "left"])
    assert result.exit_code == 0, result.output
    journal = Journal(isolated_home / "journal")
    assert sorted(r.kind for r in journal.recent()) == ["hold", "session"]
    assert set(active_holds(journal)) == {"calf"}

    one_more.writes = 0  # now full
    with monkeypatch.context() as patch:
        patch.setattr(store, "write_all", one_more)
        # The calf is on hold now: logging needs --override-hold to reach the write.
        result = runner.invoke(
            app, ["log", "calf", "--soreness", "9", "--side", "right", "--override-hold"]
        )
    assert result.exit_code == 4
    assert "nothing was recorded" in result.stderr
    assert len(Journal(journal.directory).recent()) == 2


def test_a_write_cut_short_keeps_the_hold_first(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Power is lost half-way through the write of `log calf --soreness 9`: the hold, written
    first, survives; after `journal repair` the calf is still on hold, though its session
    was torn off."""
    real = store.write_all

    def torn(fd: int, payload: bytes) -> None:
        real(fd, payload[: len(payload) // 2])
        raise KeyboardInterrupt  # the process dies here: nothing cleans up

    with monkeypatch.context() as patch:
        patch.setattr(store, "write_all", torn)
        result = runner.invoke(app, ["log", "calf", "--soreness", "9", "--side", "left"])
    assert result.exit_code != 0
    assert runner.invoke(app, ["journal", "repair"]).exit_code == 0
    journal = Journal(isolated_home / "journal")
    assert set(active_holds(journal)) == {"calf"}
    assert [r.kind for r in journal.recent()] == ["hold"]


def test_a_guided_session_writes_its_sides_and_holds_in_one_write(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Soreness 8 after a guided session of the left calf: the screening is written first
    (its own write), then the session and its hold in one more. A disk with room for only
    those two writes still keeps the calf on hold."""
    with monkeypatch.context() as patch:
        patch.setattr(store, "write_all", DiskWithRoom(writes=2))
        result = runner.invoke(
            app,
            ["session", "calf", "--side", "left", "--no-bell"],
            input=FIRST_USE + ALL_CLEAR + READY + "8\nn\n\n",
            obj=AppContext(clock=FakeClock()),  # the timer's waits take no time
        )
    assert result.exit_code == 0, result.output
    journal = Journal(isolated_home / "journal")
    kinds = [r.kind for r in sorted(journal.recent(), key=lambda r: r.seq)]
    assert kinds == ["screening", "hold", "session"]
    assert set(active_holds(journal)) == {"calf"}
