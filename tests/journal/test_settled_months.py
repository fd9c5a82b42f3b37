"""Stories of months that have settled: the holds of a long journal are read without
reading and hashing every month file again, and no change to a file goes unseen.

Every command that shows or gates on holds first verifies the hash chain of every month
(a deleted record may have been a hold). After years that is hundreds of files: a month
file whose stat (size, mtime, ctime, inode, device) is the one it had when its bytes were
last read, more than a few seconds after its last change, is taken to have those bytes.
An edit (in place, through an editor's rename, with the mtime put back), a link or a FIFO
where a month was, or a summary index not sealed by this journal brings the bytes back.
"""

from __future__ import annotations

import os
import pickle
import signal
import stat
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from iastm_coach.errors import DataFileError
from iastm_coach.journal import cache
from iastm_coach.journal.blocks import split_blocks
from iastm_coach.journal.cache import RACY_NS, StatKey, settled_stat
from iastm_coach.journal.chain import HEAD_NAME, MonthChain
from iastm_coach.journal.files import JournalPermissionWarning
from iastm_coach.journal.store import Journal, Record, records
from iastm_coach.safety.holds import hold_records
from tests.builders import example

T0 = datetime(2026, 1, 10, 18, 0, tzinfo=UTC)
AN_HOUR_NS = 3_600 * 10**9


class ReadingJournal(Journal):
    """A Journal that lists the month files whose bytes it reads; *settled*: it reads them
    an hour after they were written (as a command run later would), not at once."""

    def __init__(self, directory: Path, *, settled: bool = True) -> None:
        super().__init__(directory)
        self.read: list[str] = []
        if settled:
            self.wall_ns = lambda: time.time_ns() + AN_HOUR_NS

        self.chained: list[str] = []

    def _read_month_stat(self, path: Path) -> tuple[bytes, StatKey | None] | None:
        self.read.append(path.name)
        return super()._read_month_stat(path)

    def month_chain(
        self, path: Path, raw: bytes | None = None, *, digest: bytes | None = None
    ) -> MonthChain:
        self.chained.append(path.name)
        return super().month_chain(path, raw, digest=digest)


def three_months(directory: Path) -> Record:
    """Sessions every five days from January to March, and a calf hold in February."""
    journal = Journal(directory)
    hold = None
    for n in range(14):
        at = T0 + timedelta(days=5 * n)
        journal.append(records.SESSION, example(records.SESSION, note=f"s{n}"), at=at)
        if n == 6:
            hold = journal.append(
                records.HOLD, example(records.HOLD, region="calf"), at=at + timedelta(hours=2)
            )
    assert hold is not None
    return hold


def month_of(directory: Path, record: Record) -> Path:
    return directory / f"{record.at.astimezone(UTC):%Y-%m}.toml"


def block_text(path: Path, record: Record) -> str:
    return next(b.text for b in split_blocks(path.read_text()) if record.id in b.text)


def holds_of(journal: Journal) -> list[str]:
    return [r.id for r in hold_records(journal)]


@pytest.fixture(name="directory")
def _directory(tmp_path: Path) -> Path:
    return tmp_path / "journal"


def test_settled_months_are_not_read_again_only_the_one_with_the_hold(directory: Path) -> None:
    hold = three_months(directory)
    first = ReadingJournal(directory)
    assert holds_of(first) == [hold.id]
    assert first.read == ["2026-01.toml", "2026-02.toml", "2026-03.toml"]

    later = ReadingJournal(directory)
    assert holds_of(later) == [hold.id]
    assert later.read == ["2026-02.toml"]  # parsed for its hold; the others: stat only

    # A session appended in March: March is read again, and settles again after that.
    Journal(directory).append(records.SESSION, example(records.SESSION), at=T0 + timedelta(days=75))
    after_append = ReadingJournal(directory)
    assert holds_of(after_append) == [hold.id]
    assert after_append.read == ["2026-02.toml", "2026-03.toml"]
    again = ReadingJournal(directory)
    holds_of(again)
    assert again.read == ["2026-02.toml"]


def test_months_just_written_are_read_every_time_until_they_settle(directory: Path) -> None:
    """A file changed in the last seconds could change again without its stat showing it
    (the same timestamp tick), so its stat is not trusted yet: its bytes are read."""
    three_months(directory)
    for _ in range(2):
        now = ReadingJournal(directory, settled=False)
        holds_of(now)
        assert set(now.read) == {"2026-01.toml", "2026-02.toml", "2026-03.toml"}


def delete_in_place(path: Path, record: Record) -> None:
    path.write_text(path.read_text().replace(block_text(path, record), ""))


def change_through_a_rename(path: Path, record: Record) -> None:
    """An editor's save: a new file with the same size renamed over the month."""
    text = path.read_text()
    block = block_text(path, record)
    edited = path.with_suffix(".tmp")
    edited.write_text(text.replace(block, block.replace('"s1"', '"s9"')))
    assert edited.stat().st_size == path.stat().st_size
    edited.chmod(0o600)
    edited.replace(path)


@pytest.mark.parametrize("edit", [delete_in_place, change_through_a_rename])
def test_an_edit_after_the_months_settled_is_still_caught(
    directory: Path, edit: Callable[[Path, Record], None]
) -> None:
    """The calf hold is deleted by hand (or a January session edited by an editor) after
    the months settled: the next reading of holds reads that month and refuses the break."""
    hold = three_months(directory)
    holds_of(ReadingJournal(directory))
    january = Journal(directory).recent(limit=100)[-2]  # the session with note "s1"
    assert january.data["note"] == "s1"
    target = hold if edit is delete_in_place else january
    edit(month_of(directory, target), target)
    later = ReadingJournal(directory)
    with pytest.raises(DataFileError, match="hash chain is broken"):
        holds_of(later)
    assert month_of(directory, target).name in later.read


def test_a_change_only_the_ctime_shows_is_read(
    directory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`touch -d` can put the mtime back after a same-size edit; the ctime it cannot.
    (Here the ctime is moved by a stand-in `lstat`, as a clock tick would move it.)"""
    three_months(directory)
    holds_of(ReadingJournal(directory))
    real_lstat = os.lstat
    january = directory / "2026-01.toml"

    def later_ctime(path: os.PathLike[str] | str, **kwargs: object) -> os.stat_result:
        info = real_lstat(path)
        if Path(path) != january:
            return info
        fields = list(info)
        return os.stat_result(
            fields,
            {"st_mtime_ns": info.st_mtime_ns, "st_ctime_ns": info.st_ctime_ns + 1},
        )

    monkeypatch.setattr(os, "lstat", later_ctime)
    later = ReadingJournal(directory)
    holds_of(later)
    assert "2026-01.toml" in later.read


def test_a_link_or_fifo_where_a_settled_month_was_is_refused(directory: Path) -> None:
    three_months(directory)
    holds_of(ReadingJournal(directory))
    january = directory / "2026-01.toml"
    january.unlink()
    january.symlink_to("/dev/zero")
    with pytest.raises(DataFileError, match="symbolic link"):
        holds_of(ReadingJournal(directory))
    january.unlink()
    os.mkfifo(january)
    with pytest.raises(DataFileError, match="special file"):
        holds_of(ReadingJournal(directory))


def test_a_loosened_settled_month_is_still_warned_about(directory: Path) -> None:
    three_months(directory)
    holds_of(ReadingJournal(directory))
    (directory / "2026-01.toml").chmod(0o644)
    with pytest.warns(JournalPermissionWarning, match="0644"):
        holds_of(ReadingJournal(directory))


def test_a_summary_index_made_by_hand_hides_nothing(directory: Path) -> None:
    """The hold is deleted after the months settled, and a summary index claiming the old
    bytes for the new stat is written without the journal's seal: it is ignored."""
    hold = three_months(directory)
    holds_of(ReadingJournal(directory))
    index = directory / ".cache" / cache.INDEX_NAME
    february = month_of(directory, hold)
    summaries = cache.read_summary_index(
        cache.cache_key(directory / ".cache", create=False), index.read_bytes()
    )
    old = summaries[february.name]
    delete_in_place(february, hold)
    new_stat = cache.stat_key(february.stat())
    plain = {
        name: (s.size, s.digest, tuple(s.kinds), tuple(s.regions), s.stat)
        for name, s in summaries.items()
    }
    plain[february.name] = (
        february.stat().st_size,
        old.digest,
        tuple(old.kinds),
        tuple(old.regions),
        new_stat,
    )
    body = pickle.dumps((cache.CACHE_FORMAT, cache.CURRENT_SCHEMA, plain), protocol=5)
    for blob in (body, cache.seal(bytes(32), body)):
        index.write_bytes(blob)
        later = ReadingJournal(directory)
        with pytest.raises(DataFileError, match="hash chain is broken"):
            holds_of(later)
        assert february.name in later.read


def test_a_stat_is_settled_only_for_the_whole_file_seconds_after_its_last_change(
    tmp_path: Path,
) -> None:
    path = tmp_path / "2026-01.toml"
    path.write_bytes(b"x" * 10)
    info = path.stat()
    changed = max(info.st_mtime_ns, info.st_ctime_ns)
    assert settled_stat(info, 10, changed + RACY_NS + 1) == cache.stat_key(info)
    assert settled_stat(info, 10, changed + RACY_NS - 1) is None  # could still change unseen
    assert settled_stat(info, 9, changed + AN_HOUR_NS) is None  # not the bytes read
    assert stat.S_ISREG(info.st_mode)


def test_an_index_of_another_shape_is_not_used(directory: Path) -> None:
    """An index sealed with the right key but of another shape (a bug, another layout)
    is dropped whole; a stat of another form never matches a file, so its month is read."""
    three_months(directory)
    holds_of(ReadingJournal(directory))
    key = cache.cache_key(directory / ".cache", create=False)
    assert key is not None
    good = cache.read_summary_index(key, (directory / ".cache" / cache.INDEX_NAME).read_bytes())
    assert all(s.stat is not None for s in good.values())

    def sealed(plain: dict[str, object]) -> bytes:
        body = pickle.dumps((cache.CACHE_FORMAT, cache.CURRENT_SCHEMA, plain), protocol=5)
        return cache.seal(key, body)

    three_fields = {"2026-01.toml": (1, b"d", ("session",), (), (1, 2, 3), "extra")}
    assert cache.read_summary_index(key, sealed(three_fields)) == {}
    assert cache.read_summary_index(key, sealed({"2026-01.toml": None})) == {}

    odd = {
        name: (s.size, s.digest, tuple(s.kinds), tuple(s.regions), [*(s.stat or ())])
        for name, s in good.items()
    }
    (directory / ".cache" / cache.INDEX_NAME).write_bytes(sealed(odd))
    later = ReadingJournal(directory)
    holds_of(later)
    assert set(later.read) == {"2026-01.toml", "2026-02.toml", "2026-03.toml"}


def test_a_verdict_is_remembered_for_exactly_the_bytes_it_was_given(directory: Path) -> None:
    """Unchanged months, head and ledger: the chain verified last time is not worked out
    again. A head that claims more records than the months hold (the newest records
    deleted, head kept), or a verdict file not sealed by this journal, is verified again,
    and the break found."""
    hold = three_months(directory)
    first = ReadingJournal(directory)
    holds_of(first)
    assert set(first.chained) == {"2026-01.toml", "2026-02.toml", "2026-03.toml"}
    later = ReadingJournal(directory)
    assert holds_of(later) == [hold.id]
    assert later.chained == ["2026-02.toml"]  # read for its hold: its chain from its bytes

    verdict = directory / ".cache" / cache.VERDICT_NAME
    for forged in (b"", bytes(32), cache.seal(bytes(32), verdict.read_bytes()[32:])):
        verdict.write_bytes(forged)
        again = ReadingJournal(directory)
        holds_of(again)
        assert set(again.chained) == {"2026-01.toml", "2026-02.toml", "2026-03.toml"}

    head = directory / HEAD_NAME
    seq, digest, name, rid = head.read_text().splitlines()[-1].split()
    head.write_text(f"{int(seq) + 1} {digest} {name} {rid}\n")
    with pytest.raises(DataFileError, match="hash chain is broken"):
        holds_of(ReadingJournal(directory))


def test_a_hold_deleted_while_its_month_is_being_read_is_caught(
    directory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The February file (with the hold) is rewritten without it the moment its stat is
    looked at, if it is: the holds and the chain verified come from the same bytes, so
    the hold is either read (before the change) or its deletion found, never silently
    gone."""
    hold = three_months(directory)
    holds_of(ReadingJournal(directory))
    february = month_of(directory, hold)
    real_lstat = os.lstat

    def then_edit(path: os.PathLike[str] | str, **kwargs: object) -> os.stat_result:
        info = real_lstat(path)
        if Path(path) == february and hold.id in february.read_text():
            delete_in_place(february, hold)
        return info

    monkeypatch.setattr(os, "lstat", then_edit)
    try:
        found = holds_of(ReadingJournal(directory))
    except DataFileError as error:
        assert "hash chain is broken" in str(error)
    else:
        assert found == [hold.id]


def test_where_the_ctime_is_not_the_change_time_every_month_is_read(
    directory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Windows st_ctime is the creation time: a same-size edit with its mtime put back
    would keep every stat field, so no stat is trusted there."""
    monkeypatch.setattr(cache, "CTIME_IS_CHANGE_TIME", False)
    three_months(directory)
    holds_of(ReadingJournal(directory))
    later = ReadingJournal(directory)
    holds_of(later)
    assert set(later.read) == {"2026-01.toml", "2026-02.toml", "2026-03.toml"}


def test_a_fifo_for_the_head_does_not_hang_the_holds(directory: Path) -> None:
    """`.chain-head` replaced by a FIFO: reading holds, or checking the journal, must not
    wait on it forever (it is read as no head, as when it is missing)."""
    hold = three_months(directory)
    head = directory / HEAD_NAME
    head.unlink()
    os.mkfifo(head)

    def hung(signum: int, frame: object) -> None:
        raise AssertionError("reading the holds waited on the FIFO")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(10)
    try:
        assert holds_of(ReadingJournal(directory)) == [hold.id]
        Journal(directory).check_report(now=T0 + timedelta(days=80))  # `journal check` too
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_full_scan_leaves_the_months_settled_for_the_next_question(directory: Path) -> None:
    """`history` of everything, or a report, reads every month: it saves their summaries
    and settled stats, so the next question (the holds, the stored report's key) need not
    parse or hash them again."""
    three_months(directory)
    assert len(list(ReadingJournal(directory).scan())) == 15
    key = cache.cache_key(directory / ".cache", create=False)
    index = cache.read_summary_index(key, (directory / ".cache" / cache.INDEX_NAME).read_bytes())
    assert {name: summary.stat for name, summary in index.items()} == {
        name: cache.stat_key((directory / name).stat())
        for name in ("2026-01.toml", "2026-02.toml", "2026-03.toml")
    }


def test_a_listing_read_in_blocks_saves_the_summaries_once_at_its_end(
    directory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`history` reads a long journal in blocks of months, newest first: the summary index
    is saved once, when the listing ends (early, too), not after every block."""
    from iastm_coach.history.stream import HistoryStream
    from iastm_coach.journal import indexes

    three_months(directory)
    saved: list[set[str]] = []  # the months in each summary index saved
    real = indexes.summary_blob

    def counted(key: bytes, index: Mapping[str, cache.MonthSummary]) -> bytes:
        saved.append(set(index))
        return real(key, index)

    monkeypatch.setattr(indexes, "summary_blob", counted)
    rows = list(HistoryStream(ReadingJournal(directory)))
    assert len(rows) == 14
    assert saved == [{"2026-01.toml", "2026-02.toml", "2026-03.toml"}]
    saved.clear()
    (directory / ".cache" / cache.INDEX_NAME).unlink()
    stream = iter(HistoryStream(ReadingJournal(directory)))
    next(stream)
    stream.close()  # type: ignore[attr-defined]  # a pager quit after the first screen
    assert saved == [{"2026-03.toml"}]
